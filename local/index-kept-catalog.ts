// `npm start` on kept data whose catalog index is missing or outdated, before the API takes any
// request: items from before the catalog index (no `searchWords`), an index table made anew (a
// drifted table recreated) beside kept items, or counters in the layout before shards. Runs the
// repair `npm run backfill-index` runs (every item checked, counters recounted), so an interrupted
// start-up repair is finished by the next start or by that command. A counting Scan of the local
// items table and two one-row Queries of the counters, at start only.
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { backfillCatalogIndex, hasUnshardedCounters, isEmpty, repairUnfinished } from '../data/catalog-backfill.js'
import type { ItemsTables } from '../data/items-repository.js'

async function countUnindexed (ddb: DynamoDBDocumentClient, table: string): Promise<number> {
  let count = 0
  let startKey: Record<string, unknown> | undefined
  do {
    const res = await ddb.send(new ScanCommand({
      TableName: table,
      Select: 'COUNT',
      FilterExpression: 'attribute_not_exists(#sw)',
      ExpressionAttributeNames: { '#sw': 'searchWords' },
      ExclusiveStartKey: startKey
    }))
    count += res.Count ?? 0
    startKey = res.LastEvaluatedKey
  } while (startKey !== undefined)
  return count
}

/** `repairCommand`: the command that repairs this stack's index while it runs (printed as advice). */
export async function indexKeptCatalog (ddb: DynamoDBDocumentClient, tables: ItemsTables, log: (msg: string) => void,
  repairCommand = 'npm run backfill-index'): Promise<void> {
  if (await isEmpty(ddb, tables.items)) return
  const emptied = await isEmpty(ddb, tables.catalogIndex)
  const unfinished = !emptied && await repairUnfinished(ddb, tables.catalogIndex)
  const pending = emptied || unfinished ? undefined : await countUnindexed(ddb, tables.items)
  const unsharded = pending === 0 && await hasUnshardedCounters(ddb, tables.catalogIndex)
  if (pending === 0 && !unsharded) return
  log((emptied
    ? 'the catalog index table is new beside kept items: repairing it'
    : unfinished
      ? 'an earlier repair of the catalog index did not finish: repairing it'
      : unsharded
        ? 'the category counters are in the layout before shards: moving them into shards'
        : `indexing ${pending ?? 0} kept items written before the catalog index`) +
    ` (what \`${repairCommand}\` does; if this start is interrupted, the next start or that command finishes it) ...`)
  const summary = await backfillCatalogIndex(ddb, tables)
  const retry = summary.failed.length > 0 ? ` (run \`${repairCommand}\` while the stack runs to retry)` : ''
  log(`catalog index: ${summary.indexed} items indexed, ${summary.rowsWritten} rows written, ` +
    `${summary.countersFixed} counters fixed, ${summary.failed.length} failed${retry}`)
}
