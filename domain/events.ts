// The order events the worker publishes on the app's bus, one per order status change, and the
// mapping from an orders-table stream record to that event. Shapes and examples: docs/events.md.
import type { DynamoDBRecord } from 'aws-lambda'
import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import { unmarshall } from '@aws-sdk/util-dynamodb'
import { ORDER_STATUSES, type HistoryEntry, type OrderStatus, type StoredOrder } from './orders.js'

export const EVENT_SOURCE = 'serverless-commerce.orders'

export { ORDER_STATUSES } from './orders.js'
export type { OrderStatus, OrderLine, HistoryEntry } from './orders.js'

export const DETAIL_TYPES = {
  placed: 'OrderPlaced',
  packed: 'OrderPacked',
  delivered: 'OrderDelivered',
  cancelled: 'OrderCancelled'
} as const satisfies Record<OrderStatus, string>

export type DetailType = typeof DETAIL_TYPES[OrderStatus]

export const STATUS_OF_DETAIL_TYPE: Record<DetailType, OrderStatus> = {
  OrderPlaced: 'placed',
  OrderPacked: 'packed',
  OrderDelivered: 'delivered',
  OrderCancelled: 'cancelled'
}

/** The order as the API answers it (domain/orders.ts publicOrder), without internal attributes. */
export type PublicOrder = StoredOrder

/**
 * Event detail: the order snapshot plus the stream record's sequence number, and the correlation
 * id: the id of the API request that made this status change (its history entry's requestId),
 * carried into the webhooks, the email and every log line about it. An event an operator replays
 * from the order's history (`npm run replay`) has no stream record: `replayed: true` and no
 * `sequenceNumber`.
 */
export type OrderEventDetail = PublicOrder & { sequenceNumber?: string; replayed?: true; correlationId?: string }

interface OrderEventOf<T extends DetailType> { source: typeof EVENT_SOURCE; detailType: T; detail: OrderEventDetail }
export type OrderPlaced = OrderEventOf<'OrderPlaced'>
export type OrderPacked = OrderEventOf<'OrderPacked'>
export type OrderDelivered = OrderEventOf<'OrderDelivered'>
export type OrderCancelled = OrderEventOf<'OrderCancelled'>
export type OrderEvent = OrderPlaced | OrderPacked | OrderDelivered | OrderCancelled

/** The fields an event carries: a whitelist, so a new internal attribute never leaks onto the bus. */
const PUBLIC_FIELDS = ['id', 'userId', 'userEmail', 'userEmailVerified', 'status', 'lines', 'total', 'currency',
  'createdAt', 'updatedAt',
  'history', 'packageId', 'trackingNumber', 'carrier', 'note', 'shippingAddress'] as const

export class MalformedRecordError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'MalformedRecordError'
  }
}

const isStatus = (v: unknown): v is OrderStatus =>
  typeof v === 'string' && (ORDER_STATUSES as readonly string[]).includes(v)

export function toPublicOrder (row: Record<string, unknown>): PublicOrder {
  const order: Record<string, unknown> = {}
  for (const field of PUBLIC_FIELDS) if (row[field] !== undefined) order[field] = row[field]
  // The effects depend on these; a row without them is a bug upstream, not something to publish.
  if (typeof order.id !== 'string' || order.id === '') throw new MalformedRecordError('order row without an id')
  if (!isStatus(order.status)) throw new MalformedRecordError(`order ${order.id as string} has an unknown status`)
  if (typeof order.userEmail !== 'string' || !Array.isArray(order.lines) || typeof order.total !== 'number' ||
    typeof order.currency !== 'string') {
    throw new MalformedRecordError(`order ${order.id as string} lacks userEmail, lines, total or currency`)
  }
  // History entries as the API answers them: the request ids stay internal (see correlationOf).
  if (Array.isArray(order.history)) {
    order.history = (order.history as Array<HistoryEntry | null>).map((h) =>
      h !== null && typeof h === 'object' ? { status: h.status, at: h.at, by: h.by } : h)
  }
  return order as unknown as PublicOrder
}

/** The id of the API request that moved the order to its current status, from its history. */
export function correlationOf (row: Record<string, unknown>): string | undefined {
  const history = Array.isArray(row.history) ? row.history as Array<Partial<HistoryEntry>> : []
  const entry = history.findLast((h) => h.status === row.status)
  return typeof entry?.requestId === 'string' ? entry.requestId : undefined
}

/**
 * The order's status-change number for `status`: 1 for placed, 2 for packed or cancelled, 3 for
 * delivered (its position in the order's history, which only grows). Within one order a higher
 * number is a newer event: partners and the worker's effects ledger order by it.
 */
export function statusSequence (
  order: Pick<PublicOrder, 'status' | 'history'>,
  status: OrderStatus = order.status
): number {
  const at = Array.isArray(order.history) ? order.history.findIndex((h) => h?.status === status) : -1
  if (at >= 0) return at + 1
  throw new MalformedRecordError(`the order's history has no ${status} entry`)
}

/**
 * The event of each status an order has been through, rebuilt from its history (the order as it
 * was at each change, as far as the order itself tells: status, updatedAt and the history so far),
 * for an operator's replay. Marked `replayed`; no stream sequence number.
 */
export function replayEventsOf (
  order: PublicOrder,
  stored: Array<Partial<HistoryEntry>> = order.history
): OrderEvent[] {
  return order.history.map((entry, i) => {
    // Each change keeps its own correlation id (the stored history's requestId; the public one has none).
    const correlationId = stored[i]?.requestId
    const detail: OrderEventDetail = {
      ...order,
      status: entry.status,
      updatedAt: entry.at,
      history: order.history.slice(0, i + 1),
      replayed: true,
      ...(typeof correlationId === 'string' ? { correlationId } : {})
    }
    return { source: EVENT_SOURCE, detailType: DETAIL_TYPES[entry.status], detail } as OrderEvent
  })
}

const image = (img: Record<string, unknown> | undefined): Record<string, unknown> | undefined =>
  img === undefined ? undefined : unmarshall(img as Record<string, AttributeValue>)

/** The stream record's order id (its key), for grouping records of one order; undefined if absent. */
export function orderIdOfRecord (record: DynamoDBRecord): string | undefined {
  const key = record.dynamodb?.Keys?.id ?? record.dynamodb?.NewImage?.id ?? record.dynamodb?.OldImage?.id
  return key?.S
}

/**
 * The event a stream record stands for: an insert of a placed order is OrderPlaced; a modify whose
 * status changed is the new status's event; anything else (other changes, removes) is none.
 * Throws MalformedRecordError on a record it cannot read.
 */
export function eventForStreamRecord (record: DynamoDBRecord): OrderEvent | undefined {
  const data = record.dynamodb
  if (record.eventName === 'REMOVE') return undefined
  if (data?.SequenceNumber === undefined) throw new MalformedRecordError('stream record without a sequence number')
  const next = image(data.NewImage as Record<string, unknown> | undefined)
  if (next === undefined) {
    throw new MalformedRecordError(
      `stream record ${data.SequenceNumber} has no new image (the stream must be NEW_AND_OLD_IMAGES)`
    )
  }
  if (record.eventName === 'INSERT') {
    if (next.status !== 'placed') return undefined
  } else if (record.eventName === 'MODIFY') {
    const previous = image(data.OldImage as Record<string, unknown> | undefined)
    if (previous === undefined) throw new MalformedRecordError(`stream record ${data.SequenceNumber} has no old image`)
    if (previous.status === next.status) return undefined
  } else {
    return undefined
  }
  const order = toPublicOrder(next)
  const correlationId = correlationOf(next)
  return {
    source: EVENT_SOURCE,
    detailType: DETAIL_TYPES[order.status],
    detail: { ...order, sequenceNumber: data.SequenceNumber, ...(correlationId !== undefined ? { correlationId } : {}) }
  } as OrderEvent
}
