// Addresses the worker sends no more order mail: those that hard-bounced or complained, as SES
// reported them (mail-feedback.ts). One item per address in config.tables.suppressions, keyed by
// the lower-cased address; an operator removes one by deleting its item (docs/operations.md).
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'

export type SuppressionReason = 'bounce' | 'complaint'

export interface Suppression {
  reason: SuppressionReason
  /** SES's classification: the bounce's type/subtype, or the complaint's feedback type. */
  detail: string
  /** SES's id of the message that bounced or was complained about. */
  messageId?: string
  at: string
}

export const suppressionKey = (address: string): string => address.trim().toLowerCase()

export function createMailSuppressions (ddb: DynamoDBClient, table: string) {
  return {
    /** Whether order mail to this address is suppressed (a strongly consistent read). */
    async isSuppressed (address: string): Promise<boolean> {
      const res = await ddb.send(new GetItemCommand({
        TableName: table, Key: { id: { S: suppressionKey(address) } }, ConsistentRead: true, ProjectionExpression: 'id'
      }))
      return res.Item !== undefined
    },
    /** Records the address; a later report of the same address replaces the record. */
    async suppress (address: string, s: Suppression): Promise<void> {
      await ddb.send(new PutItemCommand({
        TableName: table,
        Item: {
          id: { S: suppressionKey(address) },
          reason: { S: s.reason },
          detail: { S: s.detail },
          at: { S: s.at },
          ...(s.messageId !== undefined ? { messageId: { S: s.messageId } } : {})
        }
      }))
    }
  }
}

export type MailSuppressions = ReturnType<typeof createMailSuppressions>
