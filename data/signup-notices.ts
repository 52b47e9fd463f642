// The notice to an address that already has an account when someone signs up with it (see
// domain/account-emails.ts), at most once an hour per address: a conditional Put of a record in the
// idempotency table (expired by its TTL) decides, so repeated signups cannot flood the owner's
// mailbox. A notice that cannot be sent is logged, never reported to the caller: the signup's answer
// must not depend on whether the address has an account.
import { createHash } from 'node:crypto'
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { sendEmail, type SESClient } from '../core/ses.js'
import { renderSignupNotice } from '../domain/account-emails.js'

/** Record ids: `signup-notice#<sha-256 of the address>` (the API's role may write only its prefixes). */
export const SIGNUP_NOTICE_PREFIX = 'signup-notice#'
export const NOTICE_INTERVAL_SECONDS = 3600

export interface SignupNoticeDeps {
  ddb: DynamoDBDocumentClient
  table: string
  ses: () => Promise<SESClient>
  email: { from: string; replyTo?: string; configurationSet?: string }
  log: { warn: (fields: object, message: string) => void }
  now?: () => number
}

export function createSignupNotices (deps: SignupNoticeDeps) {
  const now = deps.now ?? Date.now

  /** True when this call may send the address's notice (no notice in the last hour). */
  async function claim (email: string): Promise<boolean> {
    const seconds = Math.floor(now() / 1000)
    try {
      await deps.ddb.send(new PutCommand({
        TableName: deps.table,
        Item: {
          id: `${SIGNUP_NOTICE_PREFIX}${createHash('sha256').update(email).digest('hex')}`,
          expiration: seconds + NOTICE_INTERVAL_SECONDS
        },
        ConditionExpression: 'attribute_not_exists(id) OR expiration < :now',
        ExpressionAttributeValues: { ':now': seconds }
      }))
      return true
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') {
        deps.log.warn({ code: (err as Error).name }, 'signup notice not recorded')
      }
      return false
    }
  }

  return {
    async notify (email: string): Promise<void> {
      if (!await claim(email)) return
      try {
        const { from, replyTo, configurationSet } = deps.email
        await sendEmail(await deps.ses(), { from, replyTo, configurationSet, to: email, ...renderSignupNotice(email) })
      } catch (err) {
        deps.log.warn({ code: (err as Error).name }, 'signup notice not sent')
      }
    }
  }
}

export type SignupNotices = ReturnType<typeof createSignupNotices>
