// Replaying one order's events: the order is read (strongly consistent) and the event of each
// status in its history is published on the bus again (domain/events.ts replayEventsOf: the order
// as it was at each change, `replayed: true`, no stream sequence number). The worker's effects
// ledger skips every effect already done, so a replay sends only what never went out, in the
// order's own order; subscribers of the bus deduplicate on detail.id + detail.status.
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb'
import { unmarshall } from '@aws-sdk/util-dynamodb'
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { replayEventsOf, toPublicOrder, type OrderEvent } from '../../domain/events.js'
import { LOCAL_CREDENTIALS, type Target } from './targets.js'

export class OrderNotFoundError extends Error {
  constructor (id: string) {
    super(`no order ${id}`)
    this.name = 'OrderNotFoundError'
  }
}

export async function replayOrder (target: Target, orderId: string): Promise<OrderEvent[]> {
  const local = (endpoint: string | undefined) => endpoint === undefined
    ? {}
    : {
        endpoint,
        credentials: LOCAL_CREDENTIALS
      }
  const ddb = new DynamoDBClient({ region: target.region, ...local(target.dynamodbEndpoint) })
  const events = new EventBridgeClient({ region: target.region, ...local(target.eventsEndpoint) })
  try {
    const table = await target.physicalId('OrdersTable')
    const bus = await target.physicalId('OrdersEventBus')
    const res = await ddb.send(
      new GetItemCommand({ TableName: table, Key: { id: { S: orderId } }, ConsistentRead: true })
    )
    if (res.Item === undefined) throw new OrderNotFoundError(orderId)
    const row = unmarshall(res.Item)
    // The stored history too: each replayed event keeps the correlation id of the request that made it.
    const replayed = replayEventsOf(toPublicOrder(row), Array.isArray(row.history) ? row.history : [])
    // One call per event, in the order's order: EventBridge does not order the entries of one call.
    for (const event of replayed) {
      const out = await events.send(new PutEventsCommand({
        Entries: [{
          EventBusName: bus,
          Source: event.source,
          DetailType: event.detailType,
          Detail: JSON.stringify(event.detail),
          Time: new Date(event.detail.updatedAt)
        }]
      }))
      const entry = out.Entries?.[0]
      if (entry?.ErrorCode !== undefined) {
        throw new Error(`PutEvents refused ${event.detailType}: ${entry.ErrorCode} ${entry.ErrorMessage ?? ''}`)
      }
    }
    return replayed
  } finally {
    ddb.destroy()
    events.destroy()
  }
}
