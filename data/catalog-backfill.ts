// Builds the catalog index (search words, category counters) for items that don't have it yet:
// a table written before the index existed, or items indexed with older search rules. One Scan
// of the items table, page by page; each item is brought up to date by its own transaction
// (items repository `reindex`), conditional on the item being as read, so live traffic can go on.
// Idempotent: an item already current is only read. Resumable: after a page, everything up to
// its last key is done, and a run can start after that key. scripts/backfill-catalog-index.ts is
// the command.
import { setTimeout as sleep } from 'node:timers/promises'
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { StoredItem } from '../domain/catalog.js'
import { createItemsRepository, type ItemsTables } from './items-repository.js'

export interface BackfillOptions {
  /** Resume: start the Scan after this item id (the `resumeAfter` of an earlier run). */
  startAfter?: string
  /** Items handled at once within a page. */
  parallel?: number
  pageSize?: number
  /** Stops after the page in progress. */
  signal?: AbortSignal
  /**
   * Index every item as if it had no rows yet: for an index table that is new or was emptied
   * while the items kept their `searchWords`. Refused unless the index table is empty; run it
   * with admin writes stopped (a write meanwhile would be counted twice).
   */
  rebuild?: boolean
  onPage?: (summary: BackfillSummary) => void
}

export interface BackfillSummary {
  scanned: number
  /** Rows and counters written for the item (it was not indexed, or indexed with older rules). */
  indexed: number
  /** Already as its fields say: nothing written. */
  current: number
  /** Deleted between the Scan and its turn. */
  gone: number
  failed: Array<{ id: string; reason: string }>
  /** Every item up to this id (in Scan order) is done: pass it as startAfter to resume. */
  resumeAfter?: string
  /** Whether the whole table was scanned. */
  complete: boolean
}

const STALE_ATTEMPTS = 5

/** Whether a table holds no row (one Scan of at most one row). */
export async function isEmpty (ddb: DynamoDBDocumentClient, table: string): Promise<boolean> {
  const res = await ddb.send(new ScanCommand({ TableName: table, Limit: 1 }))
  return (res.Items?.length ?? 0) === 0 && res.LastEvaluatedKey === undefined
}

export async function backfillCatalogIndex (
  ddb: DynamoDBDocumentClient,
  tables: ItemsTables,
  opts: BackfillOptions = {}
): Promise<BackfillSummary> {
  const repo = createItemsRepository(ddb, tables)
  const summary: BackfillSummary = { scanned: 0, indexed: 0, current: 0, gone: 0, failed: [], complete: false }
  if (opts.startAfter !== undefined) summary.resumeAfter = opts.startAfter

  async function one (scanned: StoredItem): Promise<void> {
    let item: StoredItem | undefined = scanned
    try {
      for (let attempt = 0; attempt < STALE_ATTEMPTS; attempt++) {
        const outcome = await repo.reindex(item, { rebuild: opts.rebuild })
        if (outcome === 'current') { summary.current++; return }
        if (outcome === 'indexed') { summary.indexed++; return }
        // Changed since it was read (an admin write, which indexes it too): read it again.
        await sleep(20 * (attempt + 1))
        item = await repo.get(item.id, { consistent: true })
        if (item === undefined) { summary.gone++; return }
      }
      summary.failed.push({ id: scanned.id, reason: `changed under the backfill ${STALE_ATTEMPTS} times in a row` })
    } catch (err) {
      summary.failed.push({ id: scanned.id, reason: `${(err as Error).name}: ${(err as Error).message}` })
    }
  }

  if (opts.rebuild === true && opts.startAfter === undefined && !await isEmpty(ddb, tables.catalogIndex)) {
    throw new Error(
      `the catalog index table ${tables.catalogIndex} is not empty: a rebuild is for a new or emptied index table ` +
        '(without it, the backfill fixes what is missing)'
    )
  }
  let startKey: Record<string, unknown> | undefined = opts.startAfter === undefined
    ? undefined
    : {
        id: opts.startAfter
      }
  const parallel = Math.max(1, opts.parallel ?? 8)
  do {
    if (opts.signal?.aborted === true) return summary
    const page = await ddb.send(
      new ScanCommand({ TableName: tables.items, Limit: opts.pageSize ?? 100, ExclusiveStartKey: startKey })
    )
    const items = (page.Items ?? []) as StoredItem[]
    summary.scanned += items.length
    let next = 0
    await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) await one(items[next++] as StoredItem)
    }))
    startKey = page.LastEvaluatedKey
    const last = startKey?.id ?? items[items.length - 1]?.id
    if (typeof last === 'string') summary.resumeAfter = last
    opts.onPage?.(summary)
  } while (startKey !== undefined)
  summary.complete = true
  return summary
}
