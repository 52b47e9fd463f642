// `q` over the token index (domain/catalog-index-rows.ts): one key range of the catalog index table,
// the rows of the query's driver word (domain/search.ts), with the other words and the filters
// checked on the rows by DynamoDB; then one BatchGetItem of the page's items. What a page costs
// depends on the page and on how many rows of the driver word fail the other conditions, never
// on the size of the catalog; a sparse combination stops after MAX_ROUNDS with a short page and
// a cursor, like the filtered list.
import { setTimeout as sleep } from 'node:timers/promises'
import {
  BatchGetCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput
} from '@aws-sdk/lib-dynamodb'
import type { ItemFilters, StoredItem } from '../domain/catalog.js'
import { indexStateOf, keyRange, wordPartition, type SearchRow } from '../domain/catalog-index-rows.js'
import { driverOf, isFirstUnderPrefix, matchesQuery, type SearchQuery } from '../domain/search.js'
import { mapAwsError, serviceBusy } from './aws-errors.js'
import { FILTERED_BATCH, MAX_ROUNDS, badCursor, type ItemsPage, type ItemsTables } from './items-repository.js'

const BATCH_GET_ATTEMPTS = 5

type Key = Record<string, unknown>
type Row = Pick<SearchRow, 'pk' | 'sk' | 'id' | 'ws'>

export function createItemsSearch (ddb: DynamoDBDocumentClient, tables: ItemsTables) {
  /** The page's items, in the rows' order; an item deleted since its row was read is left out. */
  async function readItems (ids: string[]): Promise<Map<string, StoredItem>> {
    const found = new Map<string, StoredItem>()
    let keys = ids.map((id) => ({ id }))
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt === BATCH_GET_ATTEMPTS) throw serviceBusy()
      if (attempt > 0) await sleep(Math.min(25 * 2 ** attempt, 400))
      const res = await ddb.send(new BatchGetCommand({ RequestItems: { [tables.items]: { Keys: keys } } }))
      for (const item of (res.Responses?.[tables.items] ?? []) as StoredItem[]) found.set(item.id, item)
      keys = (res.UnprocessedKeys?.[tables.items]?.Keys ?? []) as typeof keys
    }
    return found
  }

  /** One page of the items matching `query` and the filters (category, type, brand), in index order. */
  async function search (
    query: SearchQuery,
    filters: Omit<ItemFilters, 'q'>,
    limit: number,
    startKey?: Key
  ): Promise<ItemsPage> {
    const driver = driverOf(query)
    const pk = wordPartition(driver.word)
    const range = driver.prefix ? driver.word : `${driver.word}#`
    const names: Record<string, string> = { '#pk': 'pk', '#sk': 'sk', '#id': 'id', '#ws': 'ws' }
    const bounds = keyRange(range)
    const values: Record<string, unknown> = { ':pk': pk, ':from': bounds.from, ':to': bounds.to }
    const conditions: string[] = []
    query.exact.forEach((word, i) => {
      if (!driver.prefix && word === driver.word) return
      values[`:w${i}`] = ` ${word} `
      conditions.push(`contains(#ws, :w${i})`)
    })
    if (query.prefix !== undefined && !driver.prefix) {
      values[':prefix'] = ` ${query.prefix}`
      conditions.push('contains(#ws, :prefix)')
    }
    for (const [attr, value] of [['c', filters.category], ['t', filters.type], ['b', filters.brand]] as const) {
      if (value === undefined) continue
      names[`#${attr}`] = attr
      values[`:${attr}`] = value
      conditions.push(`#${attr} = :${attr}`)
    }
    const input: QueryCommandInput = {
      TableName: tables.catalogIndex,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ProjectionExpression: '#pk, #sk, #id, #ws',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values
    }
    if (conditions.length > 0) input.FilterExpression = conditions.join(' AND ')
    // Under a prefix an item may have several rows (one counts): ask for a few more.
    const batch = (wanted: number): number =>
      conditions.length > 0 ? Math.max(wanted, FILTERED_BATCH) : driver.prefix ? wanted + 10 : wanted

    let exclusiveStartKey: Key | undefined
    if (startKey !== undefined) {
      const given = Object.keys(startKey).sort()
      const sk = startKey.sk
      if (given.join() !== 'pk,sk' || startKey.pk !== pk || typeof sk !== 'string' || !sk.startsWith(range)) {
        throw badCursor()
      }
      exclusiveStartKey = startKey
    }
    const rows: Row[] = []
    let lastEvaluated: Key | undefined
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const res = await ddb.send(
          new QueryCommand({ ...input, Limit: batch(limit + 1 - rows.length), ExclusiveStartKey: exclusiveStartKey })
        )
        for (const row of (res.Items ?? []) as Row[]) {
          const word = row.sk.slice(0, row.sk.length - row.id.length - 1)
          if (!driver.prefix || isFirstUnderPrefix(row.ws, word, driver.word)) rows.push(row)
        }
        lastEvaluated = res.LastEvaluatedKey
        if (rows.length > limit || lastEvaluated === undefined) break
        exclusiveStartKey = lastEvaluated
      }
      const page = rows.slice(0, limit)
      const items = page.length === 0 ? new Map<string, StoredItem>() : await readItems(page.map((r) => r.id))
      // The rows and the items were read at slightly different moments: an item replaced in
      // between must still match, and one deleted is left out.
      const matching = page.flatMap((r) => {
        const item = items.get(r.id)
        if (item === undefined) return []
        const words = typeof item.searchWords === 'string' ? item.searchWords : indexStateOf(item).words
        const ok = matchesQuery(words, query) && (filters.category === undefined ||
          item.category === filters.category) &&
          (filters.type === undefined || item.type === filters.type) && (filters.brand === undefined ||
            item.brand === filters.brand)
        return ok ? [item] : []
      })
      const last = page[page.length - 1]
      if (rows.length > limit && last !== undefined) return { items: matching, lastKey: { pk: last.pk, sk: last.sk } }
      return lastEvaluated === undefined ? { items: matching } : { items: matching, lastKey: lastEvaluated }
    } catch (err) {
      throw mapAwsError(err)
    }
  }

  return { search }
}

export type ItemsSearch = ReturnType<typeof createItemsSearch>
