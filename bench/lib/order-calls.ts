// The DynamoDB call POST /orders makes for a keyed order once its container knows the ordered
// items (data/place-order.ts), as a raw SDK call: the HTTP write case's baseline and the bare HTTP
// server (bench/baselines/bare-http.ts) make exactly this.
import { randomUUID } from 'node:crypto'
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { stubItem, stubOrder } from './aws-stub.js'
import { stockTake } from '../../data/orders-repository.js'
import type { OrderableItem } from '../../domain/orders.js'

export interface OrderTables { items: string; orders: string; idempotency: string }

/**
 * The transaction data/orders-repository.ts place() sends: the order's Put, its stock decrement
 * (`stockTake`, the stub item as priced) and the Idempotency-Key's record.
 */
export function orderTransaction (
  ddb: DynamoDBDocumentClient,
  tables: OrderTables,
  userId: string
): (itemId: string) => Promise<Record<string, unknown>> {
  const { items, orders, idempotency } = tables
  return async (itemId) => {
    const order = { ...stubOrder(0, userId), id: randomUUID(), createdAt: new Date().toISOString() }
    const { title, price, currency, colorPreference } = stubItem(itemId)
    const now = Date.now()
    await ddb.send(new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: orders, Item: order, ConditionExpression: 'attribute_not_exists(id)' } },
        stockTake(items, itemId, 1, { title, price, currency, colorPreference } as OrderableItem, order.createdAt),
        {
          Put: {
            TableName: idempotency,
            Item: {
              id: `order#${userId}#${randomUUID()}`,
              status: 'completed',
              requestHash: 'h',
              claimedAt: now,
              expiration: Math.floor(now / 1000) + 86400,
              response: { statusCode: 201, body: order }
            },
            ConditionExpression: 'attribute_not_exists(id)'
          }
        }
      ]
    }))
    return order
  }
}
