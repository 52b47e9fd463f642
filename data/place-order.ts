// Placing an order, end to end and HTTP-free: one read (the ordered items and, with an
// Idempotency-Key, its record), the pricing rules, and one transaction that writes the order, takes
// its stock and records the answer for the key. routes/orders.ts adapts it to HTTP.
import { randomUUID } from 'node:crypto'
import { orderIdFor, requestHash, idempotencyRecordId } from '../domain/idempotency.js'
import { orderedItemIds, priceOrder, publicOrder, type LineInput, type StoredOrder } from '../domain/orders.js'
import { mapAwsError } from './aws-errors.js'
import type { OrdersRepository } from './orders-repository.js'
import { answerFromRecord, type IdempotencyRepository } from './idempotency-repository.js'

export interface PlaceOrderInput {
  userId: string
  userEmail: string
  items: LineInput[]
  idempotencyKey?: string
  now?: Date
}

export interface PlaceOrderResult { statusCode: number; order: StoredOrder; replayed: boolean }

const replay = (response: { statusCode: number; body: unknown }): PlaceOrderResult =>
  ({ statusCode: response.statusCode, order: response.body as StoredOrder, replayed: true })

export async function placeOrder (
  deps: { orders: OrdersRepository; idempotency: IdempotencyRepository },
  input: PlaceOrderInput
): Promise<PlaceOrderResult> {
  const { userId, idempotencyKey: key } = input
  const hash = key === undefined ? undefined : requestHash({ items: input.items })
  // A keyed request's order id is derived from user, key and body: a retry can never make a
  // second order, even once the key's record has expired.
  const id = key === undefined || hash === undefined ? randomUUID() : orderIdFor(userId, key, hash)

  const { items: catalog, record } = await deps.orders.readForOrder(orderedItemIds(input.items), key === undefined ? undefined : idempotencyRecordId(userId, key))
  if (key !== undefined && hash !== undefined) {
    const answer = answerFromRecord(record, hash)
    if (answer !== undefined) return replay(answer)
  }

  const priced = priceOrder(input.items, catalog)
  const now = input.now ?? new Date()
  const at = now.toISOString()
  const order: StoredOrder = {
    id,
    userId,
    userEmail: input.userEmail,
    status: 'placed',
    lines: priced.lines,
    total: priced.total,
    currency: priced.currency,
    createdAt: at,
    updatedAt: at,
    history: [{ status: 'placed', at, by: `user:${userId}` }]
  }
  const view = publicOrder(order)
  const recordPut = key === undefined || hash === undefined
    ? undefined
    : deps.idempotency.recordPut(userId, key, hash, { statusCode: 201, body: view })
  if (await deps.orders.place(order, priced.stock, recordPut) === 'created') return { statusCode: 201, order: view, replayed: false }

  // Another request with this key (or this order id) committed first: answer what it wrote.
  if (key !== undefined && hash !== undefined) {
    const answer = answerFromRecord(await deps.idempotency.read(userId, key), hash)
    if (answer !== undefined) return replay(answer)
  }
  const existing = await deps.orders.get(id)
  if (existing !== undefined && existing.userId === userId) return { statusCode: 201, order: publicOrder(existing), replayed: true }
  // The key's record and the order both vanished between the two reads (TTL at the very edge).
  throw mapAwsError({ name: 'TransactionConflictException' })
}
