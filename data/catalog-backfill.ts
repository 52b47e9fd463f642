// The catalog index's repair (scripts/backfill-catalog-index.ts is the command): brings the index
// to what the items say, whatever happened to it (items written before the index, an emptied or
// recreated index table, an interrupted or failed earlier run, admin writes meanwhile). Every step
// converges, so running it again after any interruption finishes the job and never counts twice:
//  1. items: one Scan of the items table; an item whose stored words are missing or older than its
//     fields is re-indexed by its own transaction (items repository `reindex`), then its word rows
//     are read and any missing or stale one written (`fixRows`, conditional on the item as read);
//  2. orphans: one Scan of the index table's word rows; a row whose item is gone or no longer has
//     that word is deleted (conditional on the item as read);
//     the word statistics (items per word, which the search uses to pick its rarest word) are
//     rewritten from the rows kept;
//  3. counters: recounted from the items, never incremented: the counters are read (strongly
//     consistent), the items counted per shard, the counters read again; if no write moved a
//     counter meanwhile (their stamps, domain/catalog-index-rows.ts), each wrong shard row is set
//     to the count, conditional on its stamp, and a row of the layout before shards removed, a
//     counter's rows in one transaction; otherwise (admin writes), counted again, up to COUNT_ATTEMPTS.
// Live traffic can go on: every write of steps 1 and 2 is conditional on the item as read, and
// step 3 only writes from a count no write interleaved with.
import { setTimeout as sleep } from 'node:timers/promises'
import {
  BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, TransactWriteCommand,
  type BatchWriteCommandInput, type DynamoDBDocumentClient, type ScanCommandOutput
} from '@aws-sdk/lib-dynamodb'
import type { StoredItem } from '../domain/catalog.js'
import {
  COUNTS_PARTITION, WORD_STATS_PARTITION, counterOf, countsOf, indexStateOf, rowRepairs, searchRows,
  type CountRow, type SearchRow
} from '../domain/catalog-index-rows.js'
import { errorName } from '../core/error-name.js'
import { batchGetAll } from './batch-get.js'
import { newStamp, readCounters, type TransactAction } from './catalog-index-table.js'
import { createItemsRepository, storedIndexState, type ItemsTables } from './items-repository.js'
import { reasonsOf, withConflictRetry } from './transactions.js'

export interface BackfillOptions {
  /** Start step 1's Scan after this item id (an earlier run's `resumeAfter`); steps 2 and 3 always cover everything. */
  startAfter?: string
  /** Items handled at once within a page. */
  parallel?: number
  pageSize?: number
  /** Stops after the page in progress. */
  signal?: AbortSignal
  onPage?: (summary: BackfillSummary) => void
}

export interface BackfillSummary {
  scanned: number
  /** Items whose stored words were missing or older than their fields: re-indexed. */
  indexed: number
  /** Already as their fields say. */
  current: number
  /** Deleted between the Scan and their turn. */
  gone: number
  /** Word rows written because they were missing or had stale copies. */
  rowsWritten: number
  /** Word rows deleted because their item is gone or no longer has the word. */
  rowsDeleted: number
  /** Counters set to the recount (wrong, missing or left at zero). */
  countersFixed: number
  failed: Array<{ id: string; reason: string }>
  /** Every item up to this id (in Scan order) went through step 1. */
  resumeAfter?: string
  /** Whether all three steps ran to their end (failures are listed in `failed`). */
  complete: boolean
}

/**
 * A row of the index table that says a repair started and has not finished cleanly: written when
 * a run starts, deleted when one ends with nothing failed. `npm start` repairs again when it finds
 * it (local/index-kept-catalog.ts), so an interrupted start-up repair does not stay half done.
 */
export const REPAIR_MARKER = { pk: 'repair', sk: 'unfinished' }

const STALE_ATTEMPTS = 5
/** Recounts tried while admin writes keep moving the counters. */
const COUNT_ATTEMPTS = 5

type Row = Record<string, unknown>
interface Condition {
  ConditionExpression: string
  ExpressionAttributeNames: Record<string, string>
  ExpressionAttributeValues?: Row
}

/** Whether a table holds no row (one Scan of at most one row). */
export async function isEmpty (ddb: DynamoDBDocumentClient, table: string): Promise<boolean> {
  const res = await ddb.send(new ScanCommand({ TableName: table, Limit: 1 }))
  return (res.Items?.length ?? 0) === 0 && res.LastEvaluatedKey === undefined
}

/** Whether a repair started on this index table and has not finished cleanly since. */
export async function repairUnfinished (ddb: DynamoDBDocumentClient, table: string): Promise<boolean> {
  const res = await ddb.send(new GetCommand({ TableName: table, Key: REPAIR_MARKER, ConsistentRead: true }))
  return res.Item !== undefined
}

/**
 * Whether the counters still hold a row of the layout before shards: shard rows' keys are all in
 * [`#0`, `#:`), so one Query of at most one row on each side of that range.
 */
export async function hasUnshardedCounters (ddb: DynamoDBDocumentClient, table: string): Promise<boolean> {
  for (const side of ['#sk < :bound', '#sk >= :bound']) {
    const res = await ddb.send(new QueryCommand({
      TableName: table,
      KeyConditionExpression: `#pk = :pk AND ${side}`,
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': COUNTS_PARTITION, ':bound': side.includes('<') ? '#0' : '#:' },
      Limit: 1,
      ConsistentRead: true
    }))
    if ((res.Items?.length ?? 0) > 0) return true
  }
  return false
}

const reasonOf = (err: unknown): string => `${errorName(err) || 'Error'}: ${(err as Error).message}`

export async function backfillCatalogIndex (
  ddb: DynamoDBDocumentClient,
  tables: ItemsTables,
  opts: BackfillOptions = {}
): Promise<BackfillSummary> {
  const repo = createItemsRepository(ddb, tables)
  const summary: BackfillSummary = {
    scanned: 0,
    indexed: 0,
    current: 0,
    gone: 0,
    rowsWritten: 0,
    rowsDeleted: 0,
    countersFixed: 0,
    failed: [],
    complete: false
  }
  if (opts.startAfter !== undefined) summary.resumeAfter = opts.startAfter
  const parallel = Math.max(1, opts.parallel ?? 8)
  const pageSize = opts.pageSize ?? 100
  const stopped = (): boolean => opts.signal?.aborted === true

  async function storedRows (rows: SearchRow[]): Promise<Row[]> {
    if (rows.length === 0) return []
    const keys = rows.map(({ pk, sk }) => ({ pk, sk }))
    const res = await batchGetAll(ddb, { [tables.catalogIndex]: { Keys: keys, ConsistentRead: true } })
    return (res[tables.catalogIndex] ?? []) as Row[]
  }

  /** Step 1 for one item. */
  async function one (scanned: StoredItem): Promise<void> {
    let item: StoredItem | undefined = scanned
    let reindexed = false
    try {
      for (let attempt = 0; attempt < STALE_ATTEMPTS; attempt++) {
        if (attempt > 0) {
          // Changed since it was read (an admin write, which indexes it too): read it again.
          await sleep(20 * attempt)
          item = await repo.get(scanned.id, { consistent: true })
          if (item === undefined) { summary.gone++; return }
        }
        const outcome = await repo.reindex(item)
        if (outcome === 'stale') continue
        if (outcome === 'indexed') {
          reindexed = true
          item = { ...item, searchWords: indexStateOf(item).words }
        }
        const want = searchRows(indexStateOf(item))
        const { put } = rowRepairs(want, await storedRows(want))
        if (put.length > 0 && await repo.fixRows(item.id, item, put, []) === 'stale') continue
        summary.rowsWritten += put.length
        if (reindexed) summary.indexed++
        else summary.current++
        return
      }
      summary.failed.push({ id: scanned.id, reason: `changed under the repair ${STALE_ATTEMPTS} times in a row` })
    } catch (err) {
      summary.failed.push({ id: scanned.id, reason: reasonOf(err) })
    }
  }

  /** Step 2 for the word rows of one item. */
  async function orphans (id: string, rows: Row[], item: StoredItem | undefined): Promise<void> {
    try {
      for (let attempt = 0; attempt < STALE_ATTEMPTS; attempt++) {
        if (attempt > 0) {
          await sleep(20 * attempt)
          item = await repo.get(id, { consistent: true })
        }
        const state = item === undefined ? undefined : storedIndexState(item)
        const { remove } = rowRepairs(state === undefined ? [] : searchRows(state), rows)
        const wanted = new Set(remove.map((k) => `${k.pk}\n${k.sk}`))
        const gone = rows.filter((r) => wanted.has(`${String(r.pk)}\n${String(r.sk)}`))
          .map((r) => ({ pk: String(r.pk), sk: String(r.sk) }))
        if (gone.length === 0 || await repo.fixRows(id, item, [], gone) === 'done') {
          summary.rowsDeleted += gone.length
          for (const r of rows) {
            if (wanted.has(`${String(r.pk)}\n${String(r.sk)}`)) continue
            const word = String(r.sk).slice(0, -(id.length + 1))
            words.set(word, (words.get(word) ?? 0) + 1)
          }
          return
        }
      }
      summary.failed.push({ id, reason: `its rows changed under the repair ${STALE_ATTEMPTS} times in a row` })
    } catch (err) {
      summary.failed.push({ id, reason: reasonOf(err) })
    }
  }

  async function inParallel<T> (list: T[], fn: (x: T) => Promise<void>): Promise<void> {
    let next = 0
    await Promise.all(Array.from({ length: Math.min(parallel, list.length) }, async () => {
      while (next < list.length) await fn(list[next++] as T)
    }))
  }

  const marker = { ...REPAIR_MARKER, startedAt: new Date().toISOString() }
  await ddb.send(new PutCommand({ TableName: tables.catalogIndex, Item: marker }))
  // Step 1: the items.
  let startKey: Row | undefined = opts.startAfter === undefined ? undefined : { id: opts.startAfter }
  do {
    if (stopped()) return summary
    const page = await ddb.send(new ScanCommand({
      TableName: tables.items, Limit: pageSize, ExclusiveStartKey: startKey, ConsistentRead: true
    }))
    const items = (page.Items ?? []) as StoredItem[]
    summary.scanned += items.length
    await inParallel(items, one)
    startKey = page.LastEvaluatedKey
    const last = startKey?.id ?? items[items.length - 1]?.id
    if (typeof last === 'string') summary.resumeAfter = last
    opts.onPage?.(summary)
  } while (startKey !== undefined)

  // Step 2: word rows that point at nothing; the word statistics from the rows kept.
  const words = new Map<string, number>()
  startKey = undefined
  do {
    if (stopped()) return summary
    const page: ScanCommandOutput = await ddb.send(new ScanCommand({
      TableName: tables.catalogIndex,
      Limit: pageSize * 10,
      ExclusiveStartKey: startKey,
      ConsistentRead: true,
      FilterExpression: 'NOT (#pk IN (:counters, :marker, :stats))',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: {
        ':counters': COUNTS_PARTITION, ':marker': REPAIR_MARKER.pk, ':stats': WORD_STATS_PARTITION
      }
    }))
    const byItem = new Map<string, Row[]>()
    for (const row of (page.Items ?? []) as Row[]) {
      const id = String(row.id)
      byItem.set(id, [...(byItem.get(id) ?? []), row])
    }
    const ids = [...byItem.keys()]
    const found = new Map<string, StoredItem>()
    for (let i = 0; i < ids.length; i += 100) {
      const keys = ids.slice(i, i + 100).map((id) => ({ id }))
      const res = await batchGetAll(ddb, { [tables.items]: { Keys: keys, ConsistentRead: true } })
      for (const item of (res[tables.items] ?? []) as StoredItem[]) found.set(item.id, item)
    }
    await inParallel(ids, async (id) => await orphans(id, byItem.get(id) as Row[], found.get(id)))
    startKey = page.LastEvaluatedKey
    opts.onPage?.(summary)
  } while (startKey !== undefined)

  if (stopped()) return summary
  try {
    await writeWordStats(ddb, tables.catalogIndex, words)
  } catch (err) {
    summary.failed.push({ id: '(word statistics)', reason: reasonOf(err) })
  }

  // Step 3: the counters, recounted.
  if (stopped()) return summary
  try {
    if (!await recount(ddb, tables, summary)) {
      const reason = `admin writes moved the counters during each of ${COUNT_ATTEMPTS} recounts`
      summary.failed.push({ id: '(counters)', reason })
    }
  } catch (err) {
    summary.failed.push({ id: '(counters)', reason: reasonOf(err) })
  }
  summary.complete = true
  if (summary.failed.length === 0) {
    await ddb.send(new DeleteCommand({ TableName: tables.catalogIndex, Key: REPAIR_MARKER }))
  }
  return summary
}

/** Replaces the word statistics (domain/catalog-index.ts) with `words`: rows written in batches, words gone deleted. */
async function writeWordStats (ddb: DynamoDBDocumentClient, table: string, words: Map<string, number>): Promise<void> {
  const stale: string[] = []
  let startKey: Row | undefined
  do {
    const res = await ddb.send(new QueryCommand({
      TableName: table,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: { ':pk': WORD_STATS_PARTITION },
      ExclusiveStartKey: startKey
    }))
    for (const r of (res.Items ?? []) as CountRow[]) if (!words.has(r.sk)) stale.push(r.sk)
    startKey = res.LastEvaluatedKey
  } while (startKey !== undefined)
  const writes = [
    ...[...words].map(([sk, n]) => ({ PutRequest: { Item: { pk: WORD_STATS_PARTITION, sk, n } } })),
    ...stale.map((sk) => ({ DeleteRequest: { Key: { pk: WORD_STATS_PARTITION, sk } } }))
  ]
  for (let i = 0; i < writes.length; i += 25) {
    let request: BatchWriteCommandInput['RequestItems'] = { [table]: writes.slice(i, i + 25) }
    for (let round = 0; request !== undefined && Object.keys(request).length > 0; round++) {
      if (round === 6) throw new Error('BatchWriteItem kept leaving word statistics unprocessed')
      if (round > 0) await sleep(50 * 2 ** round)
      request = (await ddb.send(new BatchWriteCommand({ RequestItems: request }))).UnprocessedItems
    }
  }
}

async function countItems (ddb: DynamoDBDocumentClient, table: string): Promise<Map<string, number>> {
  const states: Array<ReturnType<typeof storedIndexState>> = []
  let startKey: Row | undefined
  do {
    const res = await ddb.send(new ScanCommand({
      TableName: table,
      ConsistentRead: true,
      ProjectionExpression: '#id, #c, #t, #b, #sw',
      ExpressionAttributeNames: { '#id': 'id', '#c': 'category', '#t': 'type', '#b': 'brand', '#sw': 'searchWords' },
      ExclusiveStartKey: startKey
    }))
    for (const item of (res.Items ?? []) as StoredItem[]) states.push(storedIndexState(item))
    startKey = res.LastEvaluatedKey
  } while (startKey !== undefined)
  return countsOf(states)
}

const stampsOf = (rows: CountRow[]): string => JSON.stringify(rows.map((r) => [r.sk, r.n, r.v ?? null]).sort())

/** The write that sets one counter row to `want` (0: deleted), conditional on it being as read (`row`). */
function counterFix (table: string, sk: string, want: number, row: CountRow | undefined): TransactAction {
  const Key = { pk: COUNTS_PARTITION, sk }
  if (row === undefined) {
    return {
      Put: {
        TableName: table,
        Item: { ...Key, n: want, v: newStamp() },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' }
      }
    }
  }
  // Unchanged since it was read: no write moved it after the count.
  const unchanged: Condition = row.v === undefined
    ? {
        ConditionExpression: 'attribute_exists(#n) AND attribute_not_exists(#v)',
        ExpressionAttributeNames: { '#n': 'n', '#v': 'v' }
      }
    : {
        ConditionExpression: '#v = :was',
        ExpressionAttributeNames: { '#v': 'v' },
        ExpressionAttributeValues: { ':was': row.v }
      }
  if (want === 0) return { Delete: { TableName: table, Key, ...unchanged } }
  return {
    Update: {
      TableName: table,
      Key,
      UpdateExpression: 'SET #n = :n, #v = :stamp',
      ...unchanged,
      ExpressionAttributeNames: { ...unchanged.ExpressionAttributeNames, '#n': 'n', '#v': 'v' },
      ExpressionAttributeValues: { ...unchanged.ExpressionAttributeValues, ':n': want, ':stamp': newStamp() }
    }
  }
}

/**
 * Step 3; false when admin writes moved the counters during every attempt. Each shard row is set
 * to what its items add up to, and a row of the layout before shards to nothing. A counter's rows
 * change in one transaction, so a reader adding them up never sees an old-layout row beside
 * shards that already hold its items (counted twice), nor one removed before they do.
 */
async function recount (ddb: DynamoDBDocumentClient, tables: ItemsTables, summary: BackfillSummary): Promise<boolean> {
  for (let attempt = 0; attempt < COUNT_ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(200 * attempt)
    const before = await readCounters(ddb, tables.catalogIndex, { consistent: true })
    const truth = await countItems(ddb, tables.items)
    const after = await readCounters(ddb, tables.catalogIndex, { consistent: true })
    if (stampsOf(before) !== stampsOf(after)) continue
    let moved = false
    const stored = new Map(after.map((r) => [r.sk, r]))
    // Rows by counter (in NFC: an old row may spell a name the way items no longer do).
    const byCounter = new Map<string, TransactAction[]>()
    for (const sk of new Set([...truth.keys(), ...stored.keys()])) {
      const { counter, shard } = counterOf(sk)
      const want = shard === undefined ? 0 : truth.get(sk) ?? 0
      const row = stored.get(sk)
      if (row !== undefined && row.n === want && want > 0) continue
      if (row === undefined && want === 0) continue
      const name = counter.normalize('NFC')
      byCounter.set(name, [...(byCounter.get(name) ?? []), counterFix(tables.catalogIndex, sk, want, row)])
    }
    for (const TransactItems of byCounter.values()) {
      try {
        // At most COUNTER_SHARDS rows and a few old ones: far below a transaction's 100 actions.
        await withConflictRetry(() => ddb.send(new TransactWriteCommand({ TransactItems })))
        summary.countersFixed += TransactItems.length
      } catch (err) {
        if (reasonsOf(err)?.some((r) => r.Code === 'ConditionalCheckFailed') !== true) throw err
        moved = true
      }
    }
    if (!moved) return true
  }
  return false
}
