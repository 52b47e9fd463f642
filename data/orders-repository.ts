// The orders table, and the stock it takes from the items table. Every change of an order is one
// DynamoDB operation: placing (order + every stock decrement) and cancelling (status + every stock
// increment) are one transaction each; a partner's transition is one conditional update. So under
// any concurrency stock never goes below zero, no order exists without its stock, and two
// transitions of one order can never both apply.
import {
  GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand,
  type DynamoDBDocumentClient, type QueryCommandInput, type TransactWriteCommandInput
} from '@aws-sdk/lib-dynamodb'
import { unmarshall } from '@aws-sdk/util-dynamodb'
import { randomUUID } from 'node:crypto'
import { Problem } from '../core/problem.js'
import {
  decideTransition, insufficientStock, invalidTransition, matchesSnapshot, orderNotFound, orderOutcomeUnknown,
  predecessorOf,
  type HistoryEntry, type OrderableItem, type OrderStatus, type ShortItem, type StoredOrder, type TargetStatus
} from '../domain/orders.js'
import { errorName } from '../core/error-name.js'
import { isAmbiguousAwsError, mapAwsError, serviceBusy, wasAnsweredByAws } from './aws-errors.js'
import type { IdempotencyRecord, RecordPut } from './idempotency-repository.js'
import { reasonsOf, withConflictRetry } from './transactions.js'
import { batchGetAll, type BatchGetRequest } from './batch-get.js'

export const BY_USER_INDEX = 'byUser'
/** Orders DynamoDB reads per round trip of a status-filtered page, and the round trips per request. */
const FILTERED_BATCH = 50
const MAX_ROUNDS = 10

type Key = Record<string, unknown>
type Raw = Record<string, unknown>
export interface Tables { items: string; orders: string; idempotency?: string }
export interface OrdersPage { orders: StoredOrder[]; lastKey?: Key }
export interface PartnerDetails { packageId?: string; trackingNumber?: string; carrier?: string; note?: string }

/** The document client leaves the Item of a failed condition marshalled ({ N: '3' }); accept either. */
function plain (item: Raw | undefined): Raw | undefined {
  if (item === undefined) return undefined
  const id = item.id
  return id !== null && typeof id === 'object' ? unmarshall(item as Parameters<typeof unmarshall>[0]) : item
}

function checkStartKey (key: Key): Key {
  const names = ['createdAt', 'id', 'userId']
  const given = Object.keys(key).sort()
  if (given.length !== names.length || given.some((n, i) => n !== names[i] || typeof key[n] !== 'string')) {
    throw new Problem(400, 'invalid_cursor', 'The cursor does not belong to this query; start again without a cursor')
  }
  return key
}

export function createOrdersRepository (ddb: DynamoDBDocumentClient, tables: Tables) {
  const send = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (err) {
      throw mapAwsError(err)
    }
  }

  /**
   * The ordered items, by id (missing ids are absent), and with `recordId` the Idempotency-Key
   * record too: one BatchGet across both tables (and its leftovers). At most 50 ids.
   */
  async function readForOrder (ids: string[], recordId?: string): Promise<{
    items: Map<string, OrderableItem>
    record?: IdempotencyRecord
  }> {
    const found = new Map<string, OrderableItem>()
    const idemTable = tables.idempotency
    if (recordId !== undefined && idemTable === undefined) {
      throw new Error('readForOrder: no idempotency table configured')
    }
    const request: BatchGetRequest = {
      // Strongly consistent: a refusal (short stock, an unknown item or colour) is answered from
      // this read, and an eventually consistent one can still show the item before a restock.
      [tables.items]: {
        Keys: ids.map((id) => ({ id })),
        ConsistentRead: true,
        ProjectionExpression: '#id, #title, #price, #currency, #stock, #colors',
        ExpressionAttributeNames: {
          '#id': 'id',
          '#title': 'title',
          '#price': 'price',
          '#currency': 'currency',
          '#stock': 'stock',
          '#colors': 'colorPreference'
        }
      },
      ...(recordId !== undefined ? { [idemTable as string]: { Keys: [{ id: recordId }], ConsistentRead: true } } : {})
    }
    const res = await batchGetAll(ddb, request)
    for (const item of (res[tables.items] ?? []) as OrderableItem[]) found.set(item.id, item)
    const record = idemTable === undefined ? undefined : res[idemTable]?.[0] as IdempotencyRecord | undefined
    return record === undefined ? { items: found } : { items: found, record }
  }

  async function get (id: string): Promise<StoredOrder | undefined> {
    const res = await send(() => ddb.send(
      new GetCommand({ TableName: tables.orders, Key: { id }, ConsistentRead: true })
    ))
    return res.Item as StoredOrder | undefined
  }

  /**
   * Writes the order, takes its stock and (with `record`) records the Idempotency-Key's answer in
   * one transaction. The order's Put is conditional on its id being new and the record's on the key
   * being free: when either is taken (a concurrent or earlier request with the key), nothing is
   * written and the result is `duplicate` (data/place-order.ts then finds what was written). Each
   * stock decrement is conditional on the stock and on the item still having the title, price,
   * currency and colours in `catalog` (what the order was priced from): when one changed since, or
   * the item is gone, nothing is written and the result is `stale` (the caller reads them again).
   * A short item is a 409 naming every short item with what is left.
   *
   * An ambiguous failure (an internal error, a timeout: written or not, DynamoDB did not say) is
   * settled before anything is answered: a strongly consistent read of the order finds it if it was
   * written; if not, an error DynamoDB answered itself is followed by one more attempt with the same
   * ClientRequestToken (DynamoDB applies a token's transaction at most once in 10 minutes, and a
   * retry finishes one still in progress). Still unknown: 503 `order_outcome_unknown` naming the
   * order id (without an Idempotency-Key) or `service_busy` (with one: a retry with the key is safe).
   */
  async function place (
    order: StoredOrder, stock: ReadonlyMap<string, number>, catalog: ReadonlyMap<string, OrderableItem>,
    record?: RecordPut
  ): Promise<'created' | 'duplicate' | 'stale'> {
    const itemIds = [...stock.keys()]
    const snapshotOf = (id: string): OrderableItem => {
      const item = catalog.get(id)
      if (item === undefined) throw new Error(`place: item ${id} was not priced`)
      return item
    }
    const transactItems = [
      { Put: { TableName: tables.orders, Item: order, ConditionExpression: 'attribute_not_exists(id)' } },
      ...itemIds.map((id) => stockTake(tables.items, id, stock.get(id) as number, snapshotOf(id), order.createdAt)),
      ...(record !== undefined ? [record] : [])
    ]
    /** One attempt: a fresh token (the items are the same, but a cancelled attempt is not replayed). */
    const attempt = async (): Promise<'created' | 'duplicate'> => {
      const send = async (): Promise<unknown> => await ddb.send(
        new TransactWriteCommand({ TransactItems: transactItems, ClientRequestToken: token })
      )
      const token = randomUUID()
      try {
        await send()
        return 'created'
      } catch (err) {
        if (!isAmbiguousAwsError(err)) throw err
        return await settle(order, send, err, record !== undefined)
      }
    }
    try {
      return await withConflictRetry(attempt)
    } catch (err) {
      const reasons = reasonsOf(err)
      if (reasons === undefined) throw mapAwsError(err)
      const keyTaken = record !== undefined && reasons[itemIds.length + 1]?.Code === 'ConditionalCheckFailed'
      if (reasons[0]?.Code === 'ConditionalCheckFailed' || keyTaken) return 'duplicate'
      const short: ShortItem[] = []
      let stale = false
      reasons.slice(1, itemIds.length + 1).forEach((r, i) => {
        if (r.Code !== 'ConditionalCheckFailed') return
        const id = itemIds[i] as string
        const requested = stock.get(id) as number
        const old = plain(r.Item) as Partial<OrderableItem> | undefined
        const available = typeof old?.stock === 'number' ? old.stock : undefined
        // Short only if the item is as priced: otherwise the order itself may be wrong (a colour gone).
        if (matchesSnapshot(snapshotOf(id), old) && available !== undefined && available < requested) {
          short.push({
            id,
            requested,
            available
          })
        } else stale = true
      })
      if (stale) return 'stale'
      if (short.length > 0) throw insufficientStock(short)
      throw serviceBusy()
    }
  }

  /** After an ambiguous failure of `send`: was the order written? (See place().) */
  async function settle (
    order: StoredOrder,
    send: () => Promise<unknown>,
    err: unknown,
    keyed: boolean
  ): Promise<'created' | 'duplicate'> {
    const unknown = (): Problem => {
      const problem = keyed ? serviceBusy(err) : orderOutcomeUnknown(order.id)
      problem.cause ??= err
      return problem
    }
    let existing: StoredOrder | undefined
    try {
      existing = await get(order.id)
    } catch {
      throw unknown()
    }
    if (existing !== undefined) {
      return existing.userId === order.userId && existing.createdAt === order.createdAt ? 'created' : 'duplicate'
    }
    if (!wasAnsweredByAws(err)) throw unknown()
    try {
      await send()
      return 'created'
    } catch (again) {
      // A cancellation is a definite answer: the caller reads its reasons.
      if (reasonsOf(again) !== undefined) throw again
      throw unknown()
    }
  }

  /**
   * A user's orders, newest first. With a status filter DynamoDB applies Limit before the filter,
   * so the page loops until it holds limit + 1 matches; the resume key is then the last *returned*
   * order's key, so pages neither skip nor repeat.
   */
  async function listByUser (
    userId: string,
    opts: { status?: OrderStatus; limit: number; startKey?: Key }
  ): Promise<OrdersPage> {
    const input: QueryCommandInput = {
      TableName: tables.orders,
      IndexName: BY_USER_INDEX,
      KeyConditionExpression: '#userId = :userId',
      ExpressionAttributeNames: { '#userId': 'userId' },
      ExpressionAttributeValues: { ':userId': userId },
      ScanIndexForward: false
    }
    const filtered = opts.status !== undefined
    if (filtered) {
      input.FilterExpression = '#status = :status'
      ;(input.ExpressionAttributeNames as Record<string, string>)['#status'] = 'status'
      ;(input.ExpressionAttributeValues as Record<string, unknown>)[':status'] = opts.status
    }
    const found: StoredOrder[] = []
    let exclusiveStartKey = opts.startKey === undefined ? undefined : checkStartKey(opts.startKey)
    if (exclusiveStartKey !== undefined && exclusiveStartKey.userId !== userId) checkStartKey({})
    let lastEvaluated: Key | undefined
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const wanted = opts.limit + 1 - found.length
      const res = await send(() => ddb.send(new QueryCommand({
        ...input, Limit: filtered ? Math.max(wanted, FILTERED_BATCH) : wanted, ExclusiveStartKey: exclusiveStartKey
      })))
      found.push(...((res.Items ?? []) as StoredOrder[]))
      lastEvaluated = res.LastEvaluatedKey
      if (found.length > opts.limit || lastEvaluated === undefined) break
      exclusiveStartKey = lastEvaluated
    }
    if (found.length > opts.limit) {
      const orders = found.slice(0, opts.limit)
      const last = orders[orders.length - 1] as StoredOrder
      return { orders, lastKey: { id: last.id, userId: last.userId, createdAt: last.createdAt } }
    }
    return lastEvaluated === undefined ? { orders: found } : { orders: found, lastKey: lastEvaluated }
  }

  /**
   * placed -> cancelled and the stock back, in one transaction. The status condition makes a
   * concurrent pack or a second cancel lose cleanly: the loser re-reads and answers from the order.
   * An item deleted from the catalog since gets no stock back (ADD would resurrect it as a stub).
   */
  async function cancel (order: StoredOrder, by: string, now: string, requestId?: string): Promise<StoredOrder> {
    const entry: HistoryEntry = { status: 'cancelled', at: now, by, ...(requestId !== undefined ? { requestId } : {}) }
    const restock = new Map<string, number>()
    for (const l of order.lines) restock.set(l.id, (restock.get(l.id) ?? 0) + l.count)
    for (let attempt = 0; attempt < 3; attempt++) {
      const itemIds = [...restock.keys()]
      try {
        await withConflictRetry(() => ddb.send(new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tables.orders,
                Key: { id: order.id },
                UpdateExpression: 'SET #status = :cancelled, #updatedAt = :now, #history = list_append(#history, ' +
                  ':entry)',
                ConditionExpression: '#status = :placed',
                ExpressionAttributeNames: { '#status': 'status', '#updatedAt': 'updatedAt', '#history': 'history' },
                ExpressionAttributeValues: {
                  ':cancelled': 'cancelled',
                  ':placed': 'placed',
                  ':now': now,
                  ':entry': [entry]
                }
              }
            },
            ...itemIds.map((id) => ({
              Update: {
                TableName: tables.items,
                Key: { id },
                UpdateExpression: 'ADD #stock :count SET #updatedAt = :now',
                ConditionExpression: 'attribute_exists(#id)',
                ExpressionAttributeNames: { '#id': 'id', '#stock': 'stock', '#updatedAt': 'updatedAt' },
                ExpressionAttributeValues: { ':count': restock.get(id), ':now': now }
              }
            }))
          ]
        })))
        return { ...order, status: 'cancelled', updatedAt: now, history: [...order.history, entry] }
      } catch (err) {
        const reasons = reasonsOf(err)
        if (reasons === undefined && isAmbiguousAwsError(err)) {
          // Applied or not (a timeout, an internal error): the order, read strongly consistent,
          // says. Still placed: the same conditional transaction again (it applies at most once).
          const settled = await settleTransition(order.id, 'cancelled', err)
          if (settled !== undefined) return settled
          continue
        }
        if (reasons === undefined) throw mapAwsError(err)
        if (reasons[0]?.Code === 'ConditionalCheckFailed') {
          const current = await get(order.id)
          if (current === undefined) throw orderNotFound(order.id)
          if (decideTransition(current, 'cancelled') === 'noop') return current
          throw invalidTransition(current.status, 'cancelled')
        }
        const gone = itemIds.filter((_, i) => reasons[i + 1]?.Code === 'ConditionalCheckFailed')
        if (gone.length === 0) throw serviceBusy()
        for (const id of gone) restock.delete(id)
      }
    }
    throw serviceBusy()
  }

  /**
   * After an ambiguous failure of a transition to `target`: the order as it is if the transition
   * was made (by this request or another), undefined if the order is still where it was (not
   * applied: the caller may write again, its condition keeps it to once), else the refusal.
   */
  async function settleTransition (id: string, target: TargetStatus, cause: unknown): Promise<StoredOrder | undefined> {
    let current: StoredOrder | undefined
    try {
      current = await get(id)
    } catch {
      throw serviceBusy(cause)
    }
    if (current === undefined) throw orderNotFound(id)
    if (current.status === target) return current
    if (current.status === predecessorOf(target)) return undefined
    throw invalidTransition(current.status, target)
  }

  /**
   * A partner's transition (packed, delivered): one UpdateItem conditional on the expected current
   * status, appending to the history. A repeat of a transition already made answers the order.
   * After an ambiguous failure (a timeout) the order is read to settle it, and written once more
   * if it had not moved; still unknown after that: 503 service_busy (a retry is safe).
   */
  async function transition (
    id: string,
    target: Exclude<TargetStatus, 'cancelled'>,
    by: string,
    now: string,
    details: PartnerDetails,
    requestId?: string
  ): Promise<StoredOrder> {
    const entry: HistoryEntry = { status: target, at: now, by, ...(requestId !== undefined ? { requestId } : {}) }
    const names: Record<string, string> = {
      '#id': 'id',
      '#status': 'status',
      '#updatedAt': 'updatedAt',
      '#history': 'history'
    }
    const values: Record<string, unknown> = {
      ':to': target,
      ':from': predecessorOf(target),
      ':now': now,
      ':entry': [entry]
    }
    const sets = ['#status = :to', '#updatedAt = :now', '#history = list_append(#history, :entry)']
    for (const [k, v] of Object.entries(details)) {
      if (v === undefined) continue
      names[`#${k}`] = k
      values[`:${k}`] = v
      sets.push(`#${k} = :${k}`)
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await ddb.send(new UpdateCommand({
          TableName: tables.orders,
          Key: { id },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(#id) AND #status = :from',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD'
        }))
        return res.Attributes as StoredOrder
      } catch (err) {
        if (errorName(err) === 'ConditionalCheckFailedException') return await refused(err)
        if (!isAmbiguousAwsError(err)) throw mapAwsError(err)
        const settled = await settleTransition(id, target, err)
        if (settled !== undefined) return settled
        if (attempt >= 1) throw serviceBusy(err)
      }
    }

    async function refused (err: unknown): Promise<StoredOrder> {
      const current = plain((err as { Item?: Raw }).Item) as StoredOrder | undefined ?? await get(id)
      if (current === undefined) throw orderNotFound(id)
      if (decideTransition(current, target) === 'noop') return current
      // decideTransition throws for anything else; 'apply' here means the status changed since.
      throw invalidTransition(current.status, target)
    }
  }

  return { readForOrder, get, place, listByUser, cancel, transition }
}

export type OrdersRepository = ReturnType<typeof createOrdersRepository>

/**
 * One ordered item's part of the order transaction: take `count` from its stock, only while it
 * still has them and is still what the order priced (title, price, currency, colours).
 */
export function stockTake (
  table: string, id: string, count: number, priced: OrderableItem, now: string
): NonNullable<TransactWriteCommandInput['TransactItems']>[number] {
  const { title, price, currency, colorPreference } = priced
  return {
    Update: {
      TableName: table,
      Key: { id },
      UpdateExpression: 'ADD #stock :minus SET #updatedAt = :now',
      ConditionExpression: 'attribute_exists(#id) AND #stock >= :count AND #title = :title AND #price = :price ' +
        'AND #currency = :currency AND ' +
        (colorPreference === undefined ? 'attribute_not_exists(#colors)' : '#colors = :colors'),
      ExpressionAttributeNames: {
        '#id': 'id',
        '#stock': 'stock',
        '#updatedAt': 'updatedAt',
        '#title': 'title',
        '#price': 'price',
        '#currency': 'currency',
        '#colors': 'colorPreference'
      },
      ExpressionAttributeValues: {
        ':minus': -count,
        ':count': count,
        ':now': now,
        ':title': title,
        ':price': price,
        ':currency': currency,
        ...(colorPreference === undefined ? {} : { ':colors': colorPreference })
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD'
    }
  }
}
