// `npm start` on kept data whose catalog index is missing, before the API takes any request: items
// from before the catalog index (no `searchWords`: the backfill indexes them, as
// `npm run backfill-index` would), or an index table made anew (a drifted table recreated) beside
// kept items (a rebuild). A counting Scan of the local items table, at start only.
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { backfillCatalogIndex, isEmpty } from '../data/catalog-backfill.js'
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

export async function indexKeptCatalog (
  ddb: DynamoDBDocumentClient,
  tables: ItemsTables,
  log: (msg: string) => void
): Promise<void> {
  if (await isEmpty(ddb, tables.items)) return
  const rebuild = await isEmpty(ddb, tables.catalogIndex)
  const pending = rebuild ? undefined : await countUnindexed(ddb, tables.items)
  if (pending === 0) return
  log(rebuild
    ? 'the catalog index table is new beside kept items: rebuilding it (npm run backfill-index -- --rebuild) ...'
    : `indexing ${pending ?? 0} kept items written before the catalog index (what \`npm run backfill-index\` does) ...`)
  const summary = await backfillCatalogIndex(ddb, tables, { rebuild })
  log(
    `catalog index: ${summary.indexed} items indexed, ` +
      `${summary.failed.length} failed${summary.failed.length > 0 ? ' (run `npm run backfill-index` to retry)' : ''}`
  )
}
