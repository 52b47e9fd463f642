// The items table: reads for shoppers, writes for admins, and the atomic stock adjustment orders
// rely on. Filters are key-condition Queries on the byCategory index (category + begins_with on
// `type#brand#id`); the unfiltered list is one bounded Scan page; `q` reads the token index
// (data/items-search.ts) and GET /categories the category counters (data/catalog-index-table.ts).
// Every create, replace and delete writes the item and its index rows in one transaction.
import {
  GetCommand, QueryCommand, ScanCommand, TransactWriteCommand, UpdateCommand,
  type DynamoDBDocumentClient, type QueryCommandInput, type ScanCommandInput
} from '@aws-sdk/lib-dynamodb'
import type { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb'
import { unmarshall } from '@aws-sdk/util-dynamodb'
import { Problem } from '../core/problem.js'
import { keyReused } from './idempotency-repository.js'
import {
  stockNeeded, toStoredItem, typeBrandPrefix,
  type CategorySummary, type ItemFilters, type ItemInput, type StoredItem
} from '../domain/catalog.js'
import {
  indexChange, indexStateOf, isEmptyChange, type IndexChange, type IndexKey, type IndexState, type SearchRow
} from '../domain/catalog-index-rows.js'
import { mapAwsError, serviceBusy } from './aws-errors.js'
import { dropEmptyCounters, indexActions, readCategories, type TransactAction } from './catalog-index-table.js'
import { reasonsOf, withConflictRetry } from './transactions.js'

/** What a replace (PUT) sets, beside storage (set or removed): not the stock (adjustStock's) nor createdAt. */
export const REPLACED_FIELDS = [
  'category', 'type', 'brand', 'title', 'description', 'colorPreference', 'price', 'currency', 'updatedAt',
  'typeBrandId', 'searchWords'
] as const

export const BY_CATEGORY_INDEX = 'byCategory'
/** Items DynamoDB evaluates per round trip of a filtered page, and the round trips per request (the search's too). */
export const FILTERED_BATCH = 100
export const MAX_ROUNDS = 10

/** Read, compute, write attempts of a write whose item changed between its read and its transaction. */
const WRITE_ATTEMPTS = 4

/** The 503 of a write whose item kept changing under it (its logged cause says so, unlike a conflict's). */
const keptChanging = (id: string): unknown => serviceBusy(Object.assign(
  new Error(`item ${id} changed between its read and its write ${WRITE_ATTEMPTS} times`), { name: 'ItemChanged' }))

type Key = Record<string, unknown>
export interface ItemsPage { items: StoredItem[]; lastKey?: Key }
export interface ItemsTables { items: string; catalogIndex: string }
export type ReindexResult = 'current' | 'indexed' | 'stale'

/** The index state an item was indexed with; undefined for an item not indexed yet. */
export function storedIndexState (item: StoredItem): IndexState | undefined {
  if (typeof item.searchWords !== 'string') return undefined
  return { id: item.id, category: item.category, type: item.type, brand: item.brand, words: item.searchWords }
}

/** Whether a replacement would store exactly what is stored (then PUT writes nothing). */
function sameContent (old: StoredItem, next: StoredItem): boolean {
  return old.category === next.category && old.type === next.type && old.brand === next.brand &&
    old.title === next.title && old.description === next.description && old.storage === next.storage &&
    old.price === next.price && old.currency === next.currency && old.searchWords === next.searchWords &&
    JSON.stringify(old.colorPreference) === JSON.stringify(next.colorPreference)
}

/**
 * The condition that the item still has the index state it was read with: a write computed its
 * index rows and counter changes from that state, so it must not apply to another one. Stock
 * changes (orders) leave these attributes alone and never conflict with it.
 */
function indexCondition (item: StoredItem): {
  expr: string
  names: Record<string, string>
  values: Record<string, unknown>
} {
  const names: Record<string, string> = { '#id': 'id', '#sw': 'searchWords' }
  if (item.searchWords === undefined) {
    return { expr: 'attribute_exists(#id) AND attribute_not_exists(#sw)', names, values: {} }
  }
  return {
    expr: 'attribute_exists(#id) AND #sw = :oldWords AND #category = :oldCategory AND #type = :oldType AND #brand = ' +
      ':oldBrand',
    names: { ...names, '#category': 'category', '#type': 'type', '#brand': 'brand' },
    values: {
      ':oldWords': item.searchWords,
      ':oldCategory': item.category,
      ':oldType': item.type,
      ':oldBrand': item.brand
    }
  }
}

export const itemNotFound = (id: string): Problem => new Problem(404, 'item_not_found', `No item with id ${id}`)

export function badCursor (): Problem {
  return new Problem(400, 'invalid_cursor', 'The cursor does not belong to this query; start again without a cursor')
}

/** A page's resume key: the table key, plus the index key when the page came from the index. */
function keyOf (item: StoredItem, fromIndex: boolean): Key {
  return fromIndex ? { id: item.id, category: item.category, typeBrandId: item.typeBrandId } : { id: item.id }
}

/** A decoded cursor is signed, but its shape is checked anyway before it reaches DynamoDB. */
function checkStartKey (key: Key, fromIndex: boolean): Key {
  const names = fromIndex ? ['category', 'id', 'typeBrandId'] : ['id']
  const given = Object.keys(key).sort()
  if (given.length !== names.length || given.some((n, i) => n !== names[i] || typeof key[n] !== 'string')) {
    throw badCursor()
  }
  return key
}

// By name, not instanceof: a second copy of the SDK in node_modules would fail instanceof.
function isConditionFailure (err: unknown): err is ConditionalCheckFailedException {
  return (err as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException'
}

function stockFromFailure (err: ConditionalCheckFailedException): number | undefined {
  const old = err.Item
  if (old === undefined) return undefined
  // The document client leaves an error's Item marshalled ({ N: '3' }); accept either form.
  const raw = (old as Record<string, unknown>).stock
  if (typeof raw === 'number') return raw
  return Number(unmarshall(old).stock ?? 0)
}

export function createItemsRepository (ddb: DynamoDBDocumentClient, tables: ItemsTables) {
  const tableName = tables.items
  const send = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (err) {
      throw mapAwsError(err)
    }
  }

  async function get (id: string, opts: { consistent?: boolean } = {}): Promise<StoredItem | undefined> {
    const input = { TableName: tableName, Key: { id }, ConsistentRead: opts.consistent }
    const res = await send(() => ddb.send(new GetCommand(input)))
    return res.Item as StoredItem | undefined
  }

  /**
   * One transaction: the item's own action first, then its index rows and counters. 'stale' when
   * the item's condition failed (it changed since it was read); a conflict with another
   * transaction is retried, then a 503.
   */
  async function transact (itemAction: TransactAction, change: IndexChange): Promise<'done' | 'stale'> {
    // A change the index does not see (price, colours, storage) is a plain conditional update:
    // half the write units of a transaction of one.
    if (isEmptyChange(change) && itemAction.Update !== undefined) {
      try {
        await ddb.send(new UpdateCommand(itemAction.Update))
        return 'done'
      } catch (err) {
        if (isConditionFailure(err)) return 'stale'
        throw mapAwsError(err)
      }
    }
    // Built once: every attempt is the same transaction, with the same counter stamp.
    const TransactItems = [itemAction, ...indexActions(tables.catalogIndex, change)]
    try {
      await withConflictRetry(() => ddb.send(new TransactWriteCommand({ TransactItems })))
    } catch (err) {
      if (reasonsOf(err)?.[0]?.Code === 'ConditionalCheckFailed') return 'stale'
      throw mapAwsError(err)
    }
    await dropEmptyCounters(ddb, tables.catalogIndex, change)
    return 'done'
  }

  /**
   * One page of the unfiltered list (a Scan page: Limit bounds what it reads) or of a category's
   * items (the byCategory index). DynamoDB applies Limit before a FilterExpression, so a brand
   * filter without a type loops until the page holds limit + 1 matches (the extra one only proves
   * there is more) or the data ends. The resume key is then the last *returned* item's key, never
   * LastEvaluatedKey past an unreturned match: pages neither skip nor repeat. After MAX_ROUNDS a
   * sparse filter returns a short page whose key is LastEvaluatedKey: every match up to it was
   * returned. `q` is not handled here: see data/items-search.ts.
   */
  async function list (filters: Omit<ItemFilters, 'q'>, limit: number, startKey?: Key): Promise<ItemsPage> {
    const fromIndex = filters.category !== undefined
    const names: Record<string, string> = {}
    const values: Record<string, unknown> = {}
    const conditions: string[] = []
    if (filters.brand !== undefined && filters.type === undefined) {
      // Brand without type cannot be a key prefix: filter within the category's Query.
      names['#brand'] = 'brand'
      values[':brand'] = filters.brand
      conditions.push('#brand = :brand')
    }
    const filtered = conditions.length > 0
    const base: QueryCommandInput & ScanCommandInput = { TableName: tableName }
    if (filtered) base.FilterExpression = conditions.join(' AND ')
    if (fromIndex) {
      base.IndexName = BY_CATEGORY_INDEX
      names['#category'] = 'category'
      values[':category'] = filters.category
      base.KeyConditionExpression = '#category = :category'
      if (filters.type !== undefined) {
        names['#tbi'] = 'typeBrandId'
        values[':prefix'] = typeBrandPrefix(filters.type, filters.brand)
        base.KeyConditionExpression += ' AND begins_with(#tbi, :prefix)'
      }
    }
    if (Object.keys(names).length > 0) {
      base.ExpressionAttributeNames = names
      base.ExpressionAttributeValues = values
    }

    const found: StoredItem[] = []
    let exclusiveStartKey = startKey === undefined ? undefined : checkStartKey(startKey, fromIndex)
    let lastEvaluated: Key | undefined
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const wanted = limit + 1 - found.length
      const input = {
        ...base,
        Limit: filtered ? Math.max(wanted, FILTERED_BATCH) : wanted,
        ExclusiveStartKey: exclusiveStartKey
      }
      const res = await send(() => ddb.send(fromIndex ? new QueryCommand(input) : new ScanCommand(input)))
      found.push(...((res.Items ?? []) as StoredItem[]))
      lastEvaluated = res.LastEvaluatedKey
      if (found.length > limit || lastEvaluated === undefined) break
      exclusiveStartKey = lastEvaluated
    }
    if (found.length > limit) {
      const items = found.slice(0, limit)
      return { items, lastKey: keyOf(items[items.length - 1] as StoredItem, fromIndex) }
    }
    return lastEvaluated === undefined ? { items: found } : { items: found, lastKey: lastEvaluated }
  }

  async function insert (item: StoredItem): Promise<'done' | 'stale'> {
    return transact({ Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(id)' } },
      indexChange(undefined, indexStateOf(item)))
  }

  async function create (id: string, input: ItemInput, stock: number, now: string): Promise<StoredItem> {
    const item = toStoredItem(id, input, stock, now, now)
    if (await insert(item) === 'stale') throw new Problem(409, 'item_exists', `An item with id ${id} already exists`)
    return item
  }

  /**
   * POST /items with an Idempotency-Key: the id comes from the key, so a retry finds the item the
   * first request created (`replayed`, the item as it is now) when its fingerprint (`hash`) is the
   * same, and is a 422 when the key was used for another body.
   */
  async function createOnce (
    id: string, hash: string, input: ItemInput, stock: number, now: string
  ): Promise<{ item: StoredItem; replayed: boolean }> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const item = { ...toStoredItem(id, input, stock, now, now), createdBy: hash }
      if (await insert(item) === 'done') return { item, replayed: false }
      const existing = await get(id, { consistent: true })
      if (existing === undefined) continue // deleted in between: create it again
      if (existing.createdBy !== hash) throw keyReused()
      return { item: existing, replayed: true }
    }
    throw keptChanging(id)
  }

  /**
   * Replaces every field but the stock (changed only through adjustStock) and createdAt; undefined when `old` is stale.
   */
  async function replaceFrom (old: StoredItem, input: ItemInput, now: string): Promise<StoredItem | undefined> {
    const next = toStoredItem(old.id, input, old.stock, old.createdAt, now)
    if (sameContent(old, next)) return old
    const cond = indexCondition(old)
    const names: Record<string, string> = { ...cond.names, '#storage': 'storage', '#searchText': 'searchText' }
    const values: Record<string, unknown> = { ...cond.values }
    const sets = REPLACED_FIELDS.map((f) => {
      names[`#${f}`] = f
      values[`:${f}`] = next[f]
      return `#${f} = :${f}`
    })
    let update = `SET ${sets.join(', ')}`
    if (next.storage !== undefined) {
      values[':storage'] = next.storage
      update += ', #storage = :storage REMOVE #searchText'
    } else {
      // searchText: the search attribute of items written before the catalog index.
      update += ' REMOVE #storage, #searchText'
    }
    const outcome = await transact({
      Update: {
        TableName: tableName,
        Key: { id: old.id },
        UpdateExpression: update,
        ConditionExpression: cond.expr,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values
      }
    }, indexChange(storedIndexState(old), indexStateOf(next)))
    return outcome === 'done' ? next : undefined
  }

  /**
   * PUT: replaces the item, or creates it with `stock` when there is none. An item that changes
   * between the read and the transaction is read again. `stock` in the answer is the one read
   * just before the write (an order may take some at any moment).
   */
  async function put (id: string, input: ItemInput, stock: number, now: string): Promise<{
    item: StoredItem
    created: boolean
  }> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const old = await get(id, { consistent: true })
      if (old === undefined) {
        const item = toStoredItem(id, input, stock, now, now)
        if (await insert(item) === 'done') return { item, created: true }
        continue
      }
      const item = await replaceFrom(old, input, now)
      if (item !== undefined) return { item, created: false }
    }
    throw keptChanging(id)
  }

  /** Deletes the item and its index rows; nothing to do when there is no item. */
  async function remove (id: string): Promise<void> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const old = await get(id, { consistent: true })
      // Already gone: a retried DELETE (its first answer lost) succeeds as the first did.
      if (old === undefined) return
      const cond = indexCondition(old)
      const outcome = await transact({
        Delete: {
          TableName: tableName,
          Key: { id },
          ConditionExpression: cond.expr,
          ExpressionAttributeNames: cond.names,
          ...(Object.keys(cond.values).length > 0 ? { ExpressionAttributeValues: cond.values } : {})
        }
      }, indexChange(storedIndexState(old), undefined))
      if (outcome === 'done') return
    }
    throw keptChanging(id)
  }

  /**
   * The repair's first step (data/catalog-backfill.ts): brings an item's stored words and counters
   * to what its fields say, if they aren't already (an item written before the index, or indexed
   * with older rules). 'stale' when the item changed since it was read (the caller reads it again).
   */
  async function reindex (item: StoredItem): Promise<ReindexResult> {
    const have = storedIndexState(item)
    const want = indexStateOf(item)
    const change = indexChange(have, want)
    if (have !== undefined && have.words === want.words) return 'current'
    const cond = indexCondition(item)
    const outcome = await transact({
      Update: {
        TableName: tableName,
        Key: { id: item.id },
        UpdateExpression: 'SET #sw = :words',
        // The new words come from the title and description as read: they must still be those.
        ConditionExpression: `${cond.expr} AND #title = :title AND #description = :description AND #category = ` +
          ':category AND #type = :type AND #brand = :brand',
        ExpressionAttributeNames: {
          ...cond.names,
          '#title': 'title',
          '#description': 'description',
          '#category': 'category',
          '#type': 'type',
          '#brand': 'brand'
        },
        ExpressionAttributeValues: {
          ...cond.values,
          ':words': want.words,
          ':title': item.title,
          ':description': item.description,
          ':category': item.category,
          ':type': item.type,
          ':brand': item.brand
        }
      }
    }, change)
    return outcome === 'done' ? 'indexed' : 'stale'
  }

  /**
   * The repair's row fixes: writes and deletes word rows of the item with this id, conditional on
   * the item still being as read (`item`, or absent when undefined), so a concurrent admin write,
   * which fixes its own rows, is never undone. Counters are not touched. 'stale' when it changed.
   */
  async function fixRows (
    id: string, item: StoredItem | undefined, put: SearchRow[], remove: IndexKey[]
  ): Promise<'done' | 'stale'> {
    const cond = item === undefined
      ? { expr: 'attribute_not_exists(#id)', names: { '#id': 'id' }, values: {} }
      : indexCondition(item)
    const check: TransactAction = {
      ConditionCheck: {
        TableName: tableName,
        Key: { id },
        ConditionExpression: cond.expr,
        ExpressionAttributeNames: cond.names,
        ...(Object.keys(cond.values).length > 0 ? { ExpressionAttributeValues: cond.values } : {})
      }
    }
    const actions: TransactAction[] = [
      ...put.map((Item): TransactAction => ({ Put: { TableName: tables.catalogIndex, Item } })),
      ...remove.map((Key): TransactAction => ({ Delete: { TableName: tables.catalogIndex, Key } }))
    ]
    // A transaction holds 100 actions: the check and 99 rows at a time.
    for (let i = 0; i < actions.length; i += 99) {
      try {
        const TransactItems = [check, ...actions.slice(i, i + 99)]
        await withConflictRetry(() => ddb.send(new TransactWriteCommand({ TransactItems })))
      } catch (err) {
        if (reasonsOf(err)?.[0]?.Code === 'ConditionalCheckFailed') return 'stale'
        throw mapAwsError(err)
      }
    }
    return 'done'
  }

  /**
   * Atomic: ADD applies the delta inside DynamoDB, and a decrement is conditional on the stock
   * covering it, so concurrent adjustments can never take the stock below zero. The index does
   * not hold the stock: nothing else changes.
   */
  async function adjustStock (id: string, delta: number, now: string): Promise<StoredItem> {
    const needed = stockNeeded(delta)
    try {
      // An admin's transaction on the item cancels a concurrent UpdateItem on it
      // (TransactionConflictException, which the SDK does not retry): retried like a transaction.
      const res = await withConflictRetry(() => ddb.send(new UpdateCommand({
        TableName: tableName,
        Key: { id },
        UpdateExpression: 'ADD #stock :delta SET #updatedAt = :now',
        ConditionExpression: 'attribute_exists(#id) AND #stock >= :needed',
        ExpressionAttributeNames: { '#id': 'id', '#stock': 'stock', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':delta': delta, ':needed': needed, ':now': now },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD'
      })))
      return res.Attributes as StoredItem
    } catch (err) {
      if (isConditionFailure(err)) {
        const currentStock = stockFromFailure(err)
        if (currentStock === undefined) throw itemNotFound(id)
        throw new Problem(409, 'insufficient_stock',
          `Item ${id} has ${currentStock} in stock; a change of ${delta} would take it below zero`, { currentStock })
      }
      throw mapAwsError(err)
    }
  }

  async function categories (): Promise<CategorySummary[]> {
    return readCategories(ddb, tables.catalogIndex)
  }

  return { get, list, create, createOnce, put, remove, reindex, fixRows, adjustStock, categories }
}

export type ItemsRepository = ReturnType<typeof createItemsRepository>
