// Checks a catalog index against its items, the way the tests judge every write path: every
// item's word rows exist with the item's current copies, no row points at a missing item or at a
// word the item no longer has, and the counters are exactly what the items add up to.
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { COUNTS_PARTITION, indexStateOf, searchRows, summariseCounts } from '../../domain/catalog-index-rows.js'
import type { CategorySummary, StoredItem } from '../../domain/catalog.js'

async function scanAll (ddb: DynamoDBDocumentClient, table: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = []
  let key: Record<string, unknown> | undefined
  do {
    const res = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: key, ConsistentRead: true }))
    out.push(...(res.Items ?? []))
    key = res.LastEvaluatedKey
  } while (key !== undefined)
  return out
}

/** What GET /categories should answer for these items. */
export function expectedCategories (items: Array<Pick<StoredItem, 'category' | 'type' | 'brand'>>): CategorySummary[] {
  const counts = new Map<string, number>()
  const add = (sk: string): void => { counts.set(sk, (counts.get(sk) ?? 0) + 1) }
  for (const i of items) {
    add(i.category)
    add(`${i.category}#type#${i.type}`)
    add(`${i.category}#brand#${i.brand}`)
  }
  return summariseCounts([...counts.entries()].map(([sk, n]) => ({ sk, n })))
}

/** Every disagreement between the items and the index; [] when the index is exact. */
export async function indexProblems (
  ddb: DynamoDBDocumentClient,
  tables: { items: string; catalogIndex: string }
): Promise<string[]> {
  const items = (await scanAll(ddb, tables.items)) as unknown as StoredItem[]
  const rows = await scanAll(ddb, tables.catalogIndex)
  const problems: string[] = []
  const want = new Map<string, string>()
  for (const item of items) {
    if (item.searchWords !== indexStateOf(item).words) {
      problems.push(`item ${item.id}: searchWords ${JSON.stringify(item.searchWords)} is not what its fields say`)
    }
    for (const row of searchRows(indexStateOf(item))) want.set(`${row.pk} ${row.sk}`, JSON.stringify(row))
  }
  const counters: Array<{ sk: string; n: number }> = []
  for (const row of rows) {
    if (row.pk === 'wordstats') continue // statistics, as fresh as the last repair: not an index row
    if (row.pk === COUNTS_PARTITION) {
      counters.push({ sk: row.sk as string, n: row.n as number })
      if (!((row.n as number) > 0)) problems.push(`counter ${String(row.sk)} is ${String(row.n)} and was not removed`)
      continue
    }
    const key = `${String(row.pk)} ${String(row.sk)}`
    const expected = want.get(key)
    if (expected === undefined) problems.push(`row ${key} points at no item with that word`)
    else if (expected !== JSON.stringify({
      pk: row.pk,
      sk: row.sk,
      id: row.id,
      ws: row.ws,
      c: row.c,
      t: row.t,
      b: row.b
    })) problems.push(`row ${key} has stale copies`)
    want.delete(key)
  }
  for (const key of want.keys()) problems.push(`row ${key} is missing`)
  const have = JSON.stringify(summariseCounts(counters))
  const should = JSON.stringify(expectedCategories(items))
  if (have !== should) problems.push(`counters ${have} are not what the items add up to: ${should}`)
  return problems
}
