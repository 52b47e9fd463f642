// Placing an order, end to end and HTTP-free: the ordered items (from the container's snapshots
// when it knows them all, otherwise one read of them and, with an Idempotency-Key, its record), the
// pricing rules, and one transaction that writes the order, takes its stock and records the answer
// for the key. So a warm container places an order in one DynamoDB call. routes/orders.ts adapts
// it to HTTP.
import { randomUUID } from 'node:crypto'
import { Problem } from '../core/problem.js'
import { orderIdFor, requestHash, idempotencyRecordId } from '../domain/idempotency.js'
import { orderedItemIds, priceOrder, publicOrder, type LineInput, type OrderableItem, type StoredOrder } from '../domain/orders.js'
import { serviceBusy } from './aws-errors.js'
import type { ItemSnapshots } from './item-snapshots.js'
import type { OrdersRepository } from './orders-repository.js'
import { answerFromRecord, type IdempotencyRepository } from './idempotency-repository.js'

export interface PlaceOrderInput {
  userId: string
  userEmail: string
  /** Whether the account's email is verified (the route refuses the order otherwise). */
  userEmailVerified: boolean
  items: LineInput[]
  idempotencyKey?: string
  now?: Date
}

export interface PlaceOrderResult { statusCode: number; order: StoredOrder; replayed: boolean }

export interface PlaceOrderDeps { orders: OrdersRepository; idempotency: IdempotencyRepository; snapshots: ItemSnapshots }

/** Priced from snapshots, then read again: an item that keeps changing under us ends in a 503. */
const ATTEMPTS = 3

const replay = (response: { statusCode: number; body: unknown }): PlaceOrderResult =>
  ({ statusCode: response.statusCode, order: response.body as StoredOrder, replayed: true })

export async function placeOrder (deps: PlaceOrderDeps, input: PlaceOrderInput): Promise<PlaceOrderResult> {
  const { userId, idempotencyKey: key } = input
  const hash = key === undefined ? undefined : requestHash({ items: input.items })
  // A keyed request's order id is derived from user, key and body: a retry can never make a
  // second order, even once the key's record has expired.
  const id = key === undefined || hash === undefined ? randomUUID() : orderIdFor(userId, key, hash)
  const ids = orderedItemIds(input.items)

  let snapshot = deps.snapshots.lookup(ids)
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let catalog: Map<string, OrderableItem>
    if (snapshot !== undefined) {
      catalog = snapshot
    } else {
      const read = await deps.orders.readForOrder(ids, key === undefined ? undefined : idempotencyRecordId(userId, key))
      deps.snapshots.remember(read.items.values())
      if (key !== undefined && hash !== undefined) {
        const answer = answerFromRecord(read.record, hash)
        if (answer !== undefined) return replay(answer)
      }
      catalog = read.items
    }

    let priced: ReturnType<typeof priceOrder>
    try {
      priced = priceOrder(input.items, catalog)
    } catch (err) {
      // A refusal from snapshots is only believed once the items (and the key's record) are read.
      if (snapshot !== undefined && err instanceof Problem) {
        snapshot = undefined
        continue
      }
      throw err
    }

    const now = input.now ?? new Date()
    const at = now.toISOString()
    const order: StoredOrder = {
      id,
      userId,
      userEmail: input.userEmail,
      userEmailVerified: input.userEmailVerified,
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
    const outcome = await deps.orders.place(order, priced.stock, catalog, recordPut)
    if (outcome === 'created') return { statusCode: 201, order: view, replayed: false }
    if (outcome === 'duplicate') return await answerDuplicate(deps, { userId, key, hash, id })
    // An item changed (or went) since it was read: read it again and price the order again.
    deps.snapshots.forget(ids)
    snapshot = undefined
  }
  throw serviceBusy()
}

/** Another request with this key (or this order id) committed first: answer what it wrote. */
async function answerDuplicate (
  deps: PlaceOrderDeps, req: { userId: string; key?: string; hash?: string; id: string }
): Promise<PlaceOrderResult> {
  if (req.key !== undefined && req.hash !== undefined) {
    const answer = answerFromRecord(await deps.idempotency.read(req.userId, req.key), req.hash)
    if (answer !== undefined) return replay(answer)
  }
  const existing = await deps.orders.get(req.id)
  if (existing !== undefined && existing.userId === req.userId) return { statusCode: 201, order: publicOrder(existing), replayed: true }
  // The key's record and the order both vanished between the two reads (TTL at the very edge).
  throw serviceBusy()
}
