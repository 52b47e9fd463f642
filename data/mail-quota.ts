// A cap on the mail the account flow sends to one address (signup codes, new codes, the "someone
// signed up with your address" notice, email verification codes), whichever route and client asked:
// an hourly counter per recipient in the rate-limit table (one conditional ADD). Over the cap the
// routes answer as usual and send nothing, so nobody can flood an inbox (or earn the sending
// account complaints) through the API, and the answer still tells nothing about the address.
// If the table cannot be reached the mail goes out (a code the owner waits for matters more), and
// a warning is logged.
import { createHash } from 'node:crypto'
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { errorName } from '../core/error-name.js'

export const MAIL_WINDOW_MS = 60 * 60_000

export interface MailQuotaDeps {
  ddb: DynamoDBDocumentClient
  table: string
  /** Mails an address may receive in an hour; undefined: no cap (the limits are off). */
  max: number | undefined
  now: () => number
  log: { warn: (fields: object, message: string) => void }
}

export function createMailQuota ({ ddb, table, max, now, log }: MailQuotaDeps) {
  return {
    /** True when one more mail may go to the address this hour (and it is counted); false over the cap. */
    async take (email: string): Promise<boolean> {
      if (max === undefined) return true
      const window = Math.floor(now() / MAIL_WINDOW_MS)
      const address = createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 22)
      const id = `mail|${address}|${window}`
      try {
        await ddb.send(new UpdateCommand({
          TableName: table,
          Key: { id },
          UpdateExpression: 'ADD hits :one SET expiration = if_not_exists(expiration, :exp)',
          ConditionExpression: 'attribute_not_exists(hits) OR hits < :max',
          ExpressionAttributeValues: {
            ':one': 1,
            ':max': max,
            ':exp': Math.ceil(((window + 1) * MAIL_WINDOW_MS) / 1000) + 1
          }
        }))
        return true
      } catch (err) {
        if (errorName(err) === 'ConditionalCheckFailedException') {
          log.warn({ code: 'mail_cap' }, 'account mail not sent: the address had its mails for this hour')
          return false
        }
        log.warn({ code: errorName(err) }, 'mail cap unreadable: sending')
        return true
      }
    }
  }
}

export type MailQuota = ReturnType<typeof createMailQuota>
