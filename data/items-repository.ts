// The items table: reads for shoppers, writes for admins, and the atomic stock adjustment orders
// rely on. Filters are key-condition Queries on the byCategory index (category + begins_with on
// `type#brand#id`); only the unfiltered list and a category-less `q` search read the whole table.
import {
  DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand,
  type DynamoDBDocumentClient, type QueryCommandInput, type ScanCommandInput
} from '@aws-sdk/lib-dynamodb'
import type { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb'
import { unmarshall } from '@aws-sdk/util-dynamodb'
import { Problem } from '../core/problem.js'
import {
  normaliseQuery, stockNeeded, summariseCategories, toStoredItem, typeBrandPrefix,
  type CategorySummary, type ItemFilters, type ItemInput, type StoredItem
} from '../domain/catalog.js'
import { mapAwsError } from './aws-errors.js'

export const BY_CATEGORY_INDEX = 'byCategory'
/** Items DynamoDB evaluates per round trip of a filtered page, and the round trips per request. */
const FILTERED_BATCH = 100
const MAX_ROUNDS = 10

type Key = Record<string, unknown>
export interface ItemsPage { items: StoredItem[]; lastKey?: Key }

export const itemNotFound = (id: string): Problem => new Problem(404, 'item_not_found', `No item with id ${id}`)

function badCursor (): Problem {
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
  if (given.length !== names.length || given.some((n, i) => n !== names[i] || typeof key[n] !== 'string')) throw badCursor()
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

export function createItemsRepository (ddb: DynamoDBDocumentClient, tableName: string) {
  const send = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (err) {
      throw mapAwsError(err)
    }
  }

  async function get (id: string): Promise<StoredItem | undefined> {
    const res = await send(() => ddb.send(new GetCommand({ TableName: tableName, Key: { id } })))
    return res.Item as StoredItem | undefined
  }

  /**
   * One page. DynamoDB applies Limit before a FilterExpression, so a filtered page loops until it
   * holds limit + 1 matches (the extra one only proves there is more) or the data ends. The resume
   * key is then the last *returned* item's key, never LastEvaluatedKey past an unreturned match:
   * pages neither skip nor repeat. After MAX_ROUNDS a sparse search returns a short page whose key
   * is LastEvaluatedKey: every match up to it was returned.
   */
  async function list (filters: ItemFilters, limit: number, startKey?: Key): Promise<ItemsPage> {
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
    if (filters.q !== undefined && normaliseQuery(filters.q) !== '') {
      names['#search'] = 'searchText'
      values[':q'] = normaliseQuery(filters.q)
      conditions.push('contains(#search, :q)')
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
      const input = { ...base, Limit: filtered ? Math.max(wanted, FILTERED_BATCH) : wanted, ExclusiveStartKey: exclusiveStartKey }
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

  async function create (id: string, input: ItemInput, stock: number, now: string): Promise<StoredItem> {
    const item = toStoredItem(id, input, stock, now, now)
    try {
      await ddb.send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(id)' }))
    } catch (err) {
      if (isConditionFailure(err)) throw new Problem(409, 'item_exists', `An item with id ${id} already exists`)
      throw mapAwsError(err)
    }
    return item
  }

  /** Replaces everything but the stock (changed only through adjustStock) and createdAt. */
  async function replace (id: string, input: ItemInput, now: string): Promise<StoredItem> {
    const next = toStoredItem(id, input, 0, '', now)
    const fields = ['category', 'type', 'brand', 'title', 'description', 'colorPreference', 'price', 'currency', 'updatedAt', 'typeBrandId', 'searchText'] as const
    const names: Record<string, string> = { '#id': 'id' }
    const values: Record<string, unknown> = {}
    const sets = fields.map((f) => {
      names[`#${f}`] = f
      values[`:${f}`] = next[f]
      return `#${f} = :${f}`
    })
    names['#storage'] = 'storage'
    let update = `SET ${sets.join(', ')}`
    if (next.storage !== undefined) {
      values[':storage'] = next.storage
      update += ', #storage = :storage'
    } else {
      update += ' REMOVE #storage'
    }
    try {
      const res = await ddb.send(new UpdateCommand({
        TableName: tableName,
        Key: { id },
        UpdateExpression: update,
        ConditionExpression: 'attribute_exists(#id)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW'
      }))
      return res.Attributes as StoredItem
    } catch (err) {
      if (isConditionFailure(err)) throw itemNotFound(id)
      throw mapAwsError(err)
    }
  }

  async function remove (id: string): Promise<void> {
    try {
      await ddb.send(new DeleteCommand({ TableName: tableName, Key: { id }, ConditionExpression: 'attribute_exists(id)' }))
    } catch (err) {
      if (isConditionFailure(err)) throw itemNotFound(id)
      throw mapAwsError(err)
    }
  }

  /**
   * Atomic: ADD applies the delta inside DynamoDB, and a decrement is conditional on the stock
   * covering it, so concurrent adjustments can never take the stock below zero.
   */
  async function adjustStock (id: string, delta: number, now: string): Promise<StoredItem> {
    const needed = stockNeeded(delta)
    try {
      const res = await ddb.send(new UpdateCommand({
        TableName: tableName,
        Key: { id },
        UpdateExpression: 'ADD #stock :delta SET #updatedAt = :now',
        ConditionExpression: 'attribute_exists(#id) AND #stock >= :needed',
        ExpressionAttributeNames: { '#id': 'id', '#stock': 'stock', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':delta': delta, ':needed': needed, ':now': now },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD'
      }))
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

  /** Reads only the three attributes it needs; a catalog of a few thousand items is a few pages. */
  async function categories (): Promise<CategorySummary[]> {
    const rows: Array<Pick<StoredItem, 'category' | 'type' | 'brand'>> = []
    let startKey: Key | undefined
    do {
      const res = await send(() => ddb.send(new ScanCommand({
        TableName: tableName,
        ProjectionExpression: '#c, #t, #b',
        ExpressionAttributeNames: { '#c': 'category', '#t': 'type', '#b': 'brand' },
        ExclusiveStartKey: startKey
      })))
      rows.push(...((res.Items ?? []) as typeof rows))
      startKey = res.LastEvaluatedKey
    } while (startKey !== undefined)
    return summariseCategories(rows)
  }

  return { get, list, create, replace, remove, adjustStock, categories }
}

export type ItemsRepository = ReturnType<typeof createItemsRepository>
