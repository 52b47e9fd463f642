// The backfill against DynamoDB Local: a table written before the catalog index (items without
// searchWords, with the old searchText) gets its rows and counters; a second run writes nothing;
// an interrupted run resumes; items indexed with older rules are redone; and the command says
// what it did.
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { BatchWriteCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { createTables, stackEnv } from '../helpers/stack.js'
import { indexProblems } from '../helpers/catalog-index.js'
import { build } from '../helpers/app.js'
import { backfillCatalogIndex } from '../../data/catalog-backfill.js'
import { sampleCatalog } from '../../data/seed-catalog.js'
import type { StoredItem } from '../../domain/catalog.js'

/** The items as the items table held them before the catalog index existed. */
async function writeLegacy (ddb: DynamoDBDocumentClient, table: string, items: StoredItem[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    await ddb.send(new BatchWriteCommand({
      RequestItems: {
        [table]: items.slice(i, i + 25).map(({ searchWords: _w, ...legacy }) => ({
          PutRequest: {
            Item: { ...legacy, searchText: `${legacy.title} ${legacy.brand} ${legacy.description}`.toLowerCase() }
          }
        }))
      }
    }))
  }
}

t.test('the backfill indexes a table that already has items, idempotently and resumably', async (t) => {
  const tables = await createTables(t)
  const names = { items: tables.ITEMS_TABLE, catalogIndex: tables.CATALOG_INDEX_TABLE }
  const app = await build(t, { env: { ...stackEnv(), ...tables } })
  const ddb = app.aws.ddb
  const catalog = sampleCatalog()
  await writeLegacy(ddb, names.items, catalog)
  t.same((await app.inject({ url: '/categories' })).json().categories, [], 'before: nothing indexed')
  t.same((await app.inject({ url: '/items?q=iphone' })).json().items, [])

  // Interrupted after its first page of 10, then resumed after the key it reported.
  const abort = new AbortController()
  const partial = await backfillCatalogIndex(
    ddb,
    names,
    { pageSize: 10, signal: abort.signal, onPage: () => abort.abort() }
  )
  t.match(partial, { scanned: 10, indexed: 10, current: 0, complete: false })
  t.type(partial.resumeAfter, 'string')
  const rest = await backfillCatalogIndex(ddb, names, { pageSize: 10, startAfter: partial.resumeAfter })
  t.match(rest, { scanned: catalog.length - 10, indexed: catalog.length - 10, current: 0, failed: [], complete: true })
  t.same(await indexProblems(ddb, names), [], 'every item indexed and counted once')
  const phones = catalog.filter((i) => i.category === 'phone')
  const phone = (await app.inject({ url: '/categories' })).json().categories.find((c: { category: string }) =>
    c.category === 'phone')
  t.equal(phone.count, phones.length)
  t.ok((await app.inject({ url: '/items?q=iphone' })).json().items.length >= 3, 'search finds the backfilled items')

  const again = await backfillCatalogIndex(ddb, names)
  t.match(
    again,
    { scanned: catalog.length, indexed: 0, current: catalog.length, complete: true },
    'a second run writes nothing'
  )
  t.same(await indexProblems(ddb, names), [])

  // An item indexed with other search rules (as a future rules change would leave them).
  const target = catalog[0] as StoredItem
  await ddb.send(
    new UpdateCommand({
      TableName: names.items,
      Key: { id: target.id },
      UpdateExpression: 'SET searchWords = :w',
      ExpressionAttributeValues: { ':w': ' obsolete ' }
    })
  )
  const redo = await backfillCatalogIndex(ddb, names)
  t.match(redo, { indexed: 1, current: catalog.length - 1 })
  t.same(await indexProblems(ddb, names), [], 'its rows follow the current rules; the counters did not move')

  // An index table made anew (a recreated table) beside items that keep their searchWords.
  const rows = (await ddb.send(new ScanCommand({ TableName: names.catalogIndex }))).Items ?? []
  for (let i = 0; i < rows.length; i += 25) {
    await ddb.send(
      new BatchWriteCommand({
        RequestItems: {
          [names.catalogIndex]: rows.slice(i, i + 25).map((r) => ({ DeleteRequest: { Key: { pk: r.pk, sk: r.sk } } }))
        }
      })
    )
  }
  t.match(await backfillCatalogIndex(ddb, names), { indexed: 0, current: catalog.length, failed: [], complete: true },
    'every item has its searchWords: nothing to re-index, but its rows and the counters are checked')
  t.same(await indexProblems(ddb, names), [], 'rebuilt: every row and count back')
})

t.test('npm run backfill-index says what it did, and a second run finds nothing to do', async (t) => {
  const tables = await createTables(t)
  const app = await build(t, { env: { ...stackEnv(), ...tables } })
  await writeLegacy(app.aws.ddb, tables.ITEMS_TABLE, sampleCatalog().slice(0, 12))
  const run = async () => promisify(execFile)(process.execPath,
    [
      '--import',
      'tsx',
      'scripts/backfill-catalog-index.ts',
      '--endpoint',
      stackEnv().DYNAMODB_ENDPOINT as string,
      '--table',
      tables.ITEMS_TABLE,
      '--index-table',
      tables.CATALOG_INDEX_TABLE
    ],
    { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, timeout: 60_000 })
  t.match(
    (await run()).stdout,
    /done in [\d.]+ s: scanned 12 items: indexed 12, already current 0, deleted meanwhile 0, failed 0/
  )
  t.match((await run()).stdout, /scanned 12 items: indexed 0, already current 12/)
  t.same(await indexProblems(app.aws.ddb, { items: tables.ITEMS_TABLE, catalogIndex: tables.CATALOG_INDEX_TABLE }), [])
  const missing = await promisify(execFile)(process.execPath,
    [
      '--import',
      'tsx',
      'scripts/backfill-catalog-index.ts',
      '--endpoint',
      stackEnv().DYNAMODB_ENDPOINT as string,
      '--table',
      'no-such-table',
      '--index-table',
      'nor-this'
    ],
    { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, timeout: 60_000 }).catch((
    err: { code: number; stderr: string }
  ) => err)
  t.match(missing, { code: 1, stderr: /table no-such-table or nor-this does not exist/ })
})
