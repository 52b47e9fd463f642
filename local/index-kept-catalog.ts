// `npm start` on data kept from before the catalog index: its items have no index rows yet, so
// search and GET /categories would not show them. Finds such items (a counting Scan of the local
// items table, at start only) and runs the backfill on them, as `npm run backfill-index` would.
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { backfillCatalogIndex } from '../data/catalog-backfill.js'
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

export async function indexKeptCatalog (ddb: DynamoDBDocumentClient, tables: ItemsTables, log: (msg: string) => void): Promise<void> {
  const pending = await countUnindexed(ddb, tables.items)
  if (pending === 0) return
  log(`indexing ${pending} kept items written before the catalog index (what \`npm run backfill-index\` does) ...`)
  const summary = await backfillCatalogIndex(ddb, tables)
  log(`catalog index: ${summary.indexed} items indexed, ${summary.failed.length} failed${summary.failed.length > 0 ? ' (run `npm run backfill-index` to retry)' : ''}`)
}
