// Placing an order, end to end and HTTP-free: the Idempotency-Key claim, the catalog read, the
// pricing rules, the one transaction, and the recorded answer. routes/orders.ts adapts it to HTTP.
import { randomUUID } from 'node:crypto'
import { orderIdFor, requestHash } from '../domain/idempotency.js'
import { orderedItemIds, priceOrder, publicOrder, type LineInput, type StoredOrder } from '../domain/orders.js'
import type { OrdersRepository } from './orders-repository.js'
import type { IdempotencyRepository } from './idempotency-repository.js'

export interface PlaceOrderInput {
  userId: string
  userEmail: string
  items: LineInput[]
  idempotencyKey?: string
  now?: Date
}

export interface PlaceOrderResult { statusCode: number; order: StoredOrder; replayed: boolean }

export async function placeOrder (
  deps: { orders: OrdersRepository; idempotency: IdempotencyRepository },
  input: PlaceOrderInput
): Promise<PlaceOrderResult> {
  const { userId, idempotencyKey: key } = input
  const body = { items: input.items }
  let claimedAt: number | undefined
  let id: string = randomUUID()
  if (key !== undefined) {
    const hash = requestHash(body)
    const claim = await deps.idempotency.claim(userId, key, hash)
    if (claim.outcome === 'replay') {
      return { statusCode: claim.response.statusCode, order: claim.response.body as StoredOrder, replayed: true }
    }
    claimedAt = claim.claimedAt
    id = orderIdFor(userId, key, hash)
  }
  try {
    const catalog = await deps.orders.readItems(orderedItemIds(input.items))
    const priced = priceOrder(input.items, catalog)
    const now = (input.now ?? new Date()).toISOString()
    const order: StoredOrder = {
      id,
      userId,
      userEmail: input.userEmail,
      status: 'placed',
      lines: priced.lines,
      total: priced.total,
      currency: priced.currency,
      createdAt: now,
      updatedAt: now,
      history: [{ status: 'placed', at: now, by: `user:${userId}` }]
    }
    const placed = await deps.orders.place(order, priced.stock)
    const view = publicOrder(placed.order)
    if (key !== undefined && claimedAt !== undefined) {
      await deps.idempotency.complete(userId, key, claimedAt, { statusCode: 201, body: view })
    }
    return { statusCode: 201, order: view, replayed: !placed.created }
  } catch (err) {
    // Free the key for a corrected retry. The transaction is all or nothing; and had the order
    // been written (a failure after it), a retry with the same body derives its id and finds it.
    if (key !== undefined && claimedAt !== undefined) await deps.idempotency.release(userId, key, claimedAt)
    throw err
  }
}
