// The DynamoDB calls POST /orders makes for a keyed order, as raw SDK calls: the HTTP write case's
// baselines and the bare HTTP server (bench/baselines/bare-http.ts) make exactly these.
import { randomUUID } from 'node:crypto'
import { BatchGetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { stubOrder } from './aws-stub.js'

export interface OrderTables { items: string; orders: string; idempotency: string }

export interface OrderCalls {
  /** The transaction data/orders-repository.ts place() sends: the order's Put, one stock decrement, the Idempotency-Key's record. */
  transaction: (itemId: string) => Promise<Record<string, unknown>>
  /** Both calls (data/place-order.ts): one BatchGet of the item and the key's record, then the transaction. */
  allCalls: (itemId: string) => Promise<Record<string, unknown>>
}

export function orderCalls (ddb: DynamoDBDocumentClient, tables: OrderTables, userId: string): OrderCalls {
  const { items, orders, idempotency } = tables
  const transaction = async (itemId: string): Promise<Record<string, unknown>> => {
    const order = { ...stubOrder(0, userId), id: randomUUID(), createdAt: new Date().toISOString() }
    const now = Date.now()
    await ddb.send(new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: orders, Item: order, ConditionExpression: 'attribute_not_exists(id)' } },
        {
          Update: {
            TableName: items,
            Key: { id: itemId },
            UpdateExpression: 'ADD #stock :minus SET #updatedAt = :now',
            ConditionExpression: 'attribute_exists(#id) AND #stock >= :count',
            ExpressionAttributeNames: { '#id': 'id', '#stock': 'stock', '#updatedAt': 'updatedAt' },
            ExpressionAttributeValues: { ':minus': -1, ':count': 1, ':now': order.createdAt },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD'
          }
        },
        {
          Put: {
            TableName: idempotency,
            Item: { id: `order#${userId}#${randomUUID()}`, status: 'completed', requestHash: 'h', claimedAt: now, expiration: Math.floor(now / 1000) + 86400, response: { statusCode: 201, body: order } },
            ConditionExpression: 'attribute_not_exists(id)'
          }
        }
      ]
    }))
    return order
  }
  const allCalls = async (itemId: string): Promise<Record<string, unknown>> => {
    await ddb.send(new BatchGetCommand({
      RequestItems: {
        [items]: { Keys: [{ id: itemId }] },
        [idempotency]: { Keys: [{ id: `order#${userId}#${randomUUID()}` }], ConsistentRead: true }
      }
    }))
    return await transaction(itemId)
  }
  return { transaction, allCalls }
}
