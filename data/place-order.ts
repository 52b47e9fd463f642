// Placing an order, end to end and HTTP-free: the ordered items (from the container's snapshots
// when it knows them all, otherwise one read of them and, with an Idempotency-Key, its record), the
// pricing rules, and one transaction that writes the order, takes its stock and records the answer
// for the key. So a warm container places an order in one DynamoDB call. routes/orders.ts adapts
// it to HTTP.
//
// Refusals (400, 409) come only from strongly consistent reads or from the transaction itself, and
// a keyed request is refused only after its key's record and the order id it derives were read
// (strongly consistent) and found absent: whatever a concurrent or earlier request with the key
// wrote is its answer instead. An ambiguous failure of the transaction is settled in
// data/orders-repository.ts place().
import { randomUUID } from 'node:crypto'
import { Problem } from '../core/problem.js'
import { orderIdFor, requestHash, idempotencyRecordId } from '../domain/idempotency.js'
import {
  orderedItemIds,
  priceOrder,
  publicOrder,
  type LineInput,
  type OrderableItem,
  type StoredOrder
} from '../domain/orders.js'
import { checkShippingAddress } from '../domain/shipping-address.js'
import { serviceBusy } from './aws-errors.js'
import type { ItemSnapshots } from './item-snapshots.js'
import type { OrdersRepository } from './orders-repository.js'
import { answerFromRecord, type IdempotencyRepository } from './idempotency-repository.js'

export interface PlaceOrderInput {
  userId: string
  userEmail: string
  /**
   * True when the account's email is verified (the route refuses the order otherwise); unset, the worker mails nothing
   * for the order.
   */
  userEmailVerified?: boolean
  items: LineInput[]
  /** As the shopper sent it: checked here (domain/shipping-address.ts), kept on the order as a snapshot. */
  shippingAddress?: unknown
  idempotencyKey?: string
  now?: Date
  /** The placing request's id: recorded in the order's history as the correlation id. */
  requestId?: string
}

export interface PlaceOrderResult { statusCode: number; order: StoredOrder; replayed: boolean }

export interface PlaceOrderDeps {
  orders: OrdersRepository
  idempotency: IdempotencyRepository
  snapshots: ItemSnapshots
}

/** Priced from snapshots, then read again: an item that keeps changing under us ends in a 503. */
const ATTEMPTS = 3

const replay = (response: { statusCode: number; body: unknown }): PlaceOrderResult =>
  ({ statusCode: response.statusCode, order: response.body as StoredOrder, replayed: true })

export async function placeOrder (deps: PlaceOrderDeps, input: PlaceOrderInput): Promise<PlaceOrderResult> {
  const { userId, idempotencyKey: key } = input
  // A malformed address is refused before anything is read: the same body could never have placed an order.
  const shippingAddress = input.shippingAddress === undefined ? undefined : checkShippingAddress(input.shippingAddress)
  // The address as sent is part of the request: the same key with another address is another request
  // (a 422). A body without one hashes as it always did.
  const hash = key === undefined
    ? undefined
    : requestHash({ items: input.items, shippingAddress: input.shippingAddress })
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

    let outcome: Awaited<ReturnType<typeof deps.orders.place>>
    let view: StoredOrder
    // Where a refusal came from: pricing (from this read or a snapshot) or the transaction itself.
    let pricing = true
    try {
      const priced = priceOrder(input.items, catalog)
      const now = input.now ?? new Date()
      const at = now.toISOString()
      const order: StoredOrder = {
        id,
        userId,
        userEmail: input.userEmail,
        ...(input.userEmailVerified === true ? { userEmailVerified: true } : {}),
        status: 'placed',
        lines: priced.lines,
        total: priced.total,
        currency: priced.currency,
        createdAt: at,
        updatedAt: at,
        history: [{
          status: 'placed',
          at,
          by: `user:${userId}`,
          ...(input.requestId !== undefined ? { requestId: input.requestId } : {})
        }],
        ...(shippingAddress === undefined ? {} : { shippingAddress })
      }
      view = publicOrder(order)
      const recordPut = key === undefined || hash === undefined
        ? undefined
        : deps.idempotency.recordPut(userId, key, hash, { statusCode: 201, body: view })
      pricing = false
      outcome = await deps.orders.place(order, priced.stock, catalog, recordPut)
    } catch (err) {
      if (!isRefusal(err)) throw err
      // A refusal priced from snapshots is only believed once the items (and the key's record) are
      // read; the transaction's own refusal (its conditions' current values) is believed as it is.
      if (pricing && snapshot !== undefined) {
        snapshot = undefined
        continue
      }
      // A keyed refusal only once the key is known not to have placed this order: the read above
      // is not a snapshot across items and record (it can see the stock this key's first request
      // took and not yet its record), and an expired record no longer answers by itself.
      if (key !== undefined && hash !== undefined) {
        const written = await existingAnswer(deps, { userId, key, hash, id })
        if (written !== undefined) return written
      }
      throw err
    }
    if (outcome === 'created') return { statusCode: 201, order: view, replayed: false }
    if (outcome === 'duplicate') return await answerDuplicate(deps, { userId, key, hash, id })
    // An item changed (or went) since it was read: read it again and price the order again.
    deps.snapshots.forget(ids)
    snapshot = undefined
  }
  throw serviceBusy()
}

/** A refusal of the order as sent (400 or 409), as opposed to a failure to process it. */
const isRefusal = (err: unknown): err is Problem => err instanceof Problem && (err.status === 400 || err.status === 409)

/**
 * What this key (or the order id it derives) already wrote, from strongly consistent reads: the
 * record's answer, or (the record expired or gone) the order itself; undefined when neither exists.
 */
async function existingAnswer (
  deps: PlaceOrderDeps, req: { userId: string; key?: string; hash?: string; id: string }
): Promise<PlaceOrderResult | undefined> {
  if (req.key !== undefined && req.hash !== undefined) {
    const answer = answerFromRecord(await deps.idempotency.read(req.userId, req.key), req.hash)
    if (answer !== undefined) return replay(answer)
  }
  const existing = await deps.orders.get(req.id)
  if (existing !== undefined && existing.userId === req.userId) {
    return { statusCode: 201, order: publicOrder(existing), replayed: true }
  }
  return undefined
}

/** Another request with this key (or this order id) committed first: answer what it wrote. */
async function answerDuplicate (
  deps: PlaceOrderDeps, req: { userId: string; key?: string; hash?: string; id: string }
): Promise<PlaceOrderResult> {
  const written = await existingAnswer(deps, req)
  // Neither found: the key's record and the order both vanished between the two reads (TTL at the very edge).
  if (written === undefined) throw serviceBusy()
  return written
}
