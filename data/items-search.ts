// `q` over the token index (domain/catalog-index-rows.ts): one key range of the catalog index table,
// the rows of the query's driver word (domain/search.ts), with the other words and the filters
// checked on the rows by DynamoDB; then one BatchGetItem of the page's items. What a page costs
// depends on the page and on how many rows of the driver word fail the other conditions, never
// on the size of the catalog; a sparse combination stops after MAX_ROUNDS with a short page and
// a cursor, like the filtered list.
import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb'
import type { ItemFilters, StoredItem } from '../domain/catalog.js'
import { indexStateOf, keyRange, wordPartition, type SearchRow } from '../domain/catalog-index-rows.js'
import { driverOf, isFirstUnderPrefix, matchesQuery, type Driver, type SearchQuery } from '../domain/search.js'
import { mapAwsError } from './aws-errors.js'
import { batchGetAll } from './batch-get.js'
import { readWordCounts } from './catalog-index-table.js'
import { expiringCache } from '../core/expiring-cache.js'
import { FILTERED_BATCH, MAX_ROUNDS, badCursor, type ItemsPage, type ItemsTables } from './items-repository.js'

type Key = Record<string, unknown>
type Row = Pick<SearchRow, 'pk' | 'sk' | 'id' | 'ws'>

/** How long a container trusts the word statistics it read (they change only with a repair run). */
const STATS_TTL_MS = 10 * 60_000

export function createItemsSearch (ddb: DynamoDBDocumentClient, tables: ItemsTables) {
  const statsCache = expiringCache<number>(10_000, STATS_TTL_MS)
  /** The page's items by id; an item deleted since its row was read is absent. */
  async function readItems (ids: string[]): Promise<Map<string, StoredItem>> {
    const res = await batchGetAll(ddb, { [tables.items]: { Keys: ids.map((id) => ({ id })) } })
    return new Map(((res[tables.items] ?? []) as StoredItem[]).map((item) => [item.id, item]))
  }

  /** The word statistics of the query's words when there is a choice to make; cached a while per container. */
  async function wordCounts (query: SearchQuery): Promise<Map<string, number> | undefined> {
    const words = [...query.exact, ...(query.prefix === undefined ? [] : [query.prefix])]
    if (words.length < 2) return undefined
    const counts = new Map<string, number>()
    const missing = words.filter((w) => {
      const n = statsCache.get(w)
      if (n !== undefined) counts.set(w, n)
      return n === undefined
    })
    if (missing.length > 0) {
      try {
        const read = await readWordCounts(ddb, tables.catalogIndex, missing)
        // -1: not in the statistics (remembered too, so an unknown word is not asked for again).
        for (const w of missing) statsCache.set(w, read.get(w) ?? -1)
      } catch {
        return undefined // Statistics only choose the driver: without them, the longest word drives.
      }
    }
    for (const w of missing) {
      const n = statsCache.get(w)
      if (n !== undefined) counts.set(w, n)
    }
    return new Map([...counts].filter(([, n]) => n >= 0))
  }

  /** A later page's driver: the word whose range its cursor is in, whatever the statistics say now. */
  function driverOfCursor (query: SearchQuery, startKey: Key): Driver {
    const candidates: Driver[] = query.exact.map((word) => ({ word, prefix: false }))
    if (query.prefix !== undefined) candidates.push({ word: query.prefix, prefix: true })
    const sk = startKey.sk
    const found = candidates.find((c) =>
      startKey.pk === wordPartition(c.word) && typeof sk === 'string' &&
      sk.startsWith(c.prefix ? c.word : `${c.word}#`))
    if (found === undefined) throw badCursor()
    return found
  }

  /** One page of the items matching `query` and the filters (category, type, brand), in index order. */
  async function search (
    query: SearchQuery,
    filters: Omit<ItemFilters, 'q'>,
    limit: number,
    startKey?: Key
  ): Promise<ItemsPage> {
    const driver = startKey === undefined ? driverOf(query, await wordCounts(query)) : driverOfCursor(query, startKey)
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
    // Under a prefix an item may have several rows (one counts): ask for a few more. With other
    // conditions, the first round asks only for what the page needs (the driver is the rarest
    // word, so its rows often all match); later rounds, for a sparse match, FILTERED_BATCH.
    const batch = (wanted: number, round: number): number => {
      const enough = driver.prefix ? wanted + 10 : wanted
      return conditions.length > 0 && round > 0 ? Math.max(enough, FILTERED_BATCH) : enough
    }

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
    // An item whose first word under the prefix changes between two rounds has a row in each: the
    // page holds it once (the first row read; the item itself is checked again below).
    const taken = new Set<string>()
    let lastEvaluated: Key | undefined
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const Limit = batch(limit + 1 - rows.length, round)
        const res = await ddb.send(new QueryCommand({ ...input, Limit, ExclusiveStartKey: exclusiveStartKey }))
        for (const row of (res.Items ?? []) as Row[]) {
          const word = row.sk.slice(0, row.sk.length - row.id.length - 1)
          if (taken.has(row.id) || (driver.prefix && !isFirstUnderPrefix(row.ws, word, driver.word))) continue
          taken.add(row.id)
          rows.push(row)
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
