// The catalog index's repair (npm run backfill-index, data/catalog-backfill.ts) against DynamoDB
// Local: after an emptied index and a rebuild killed mid-way, the command the output advises
// leaves every counter equal to the real count and every item findable by its title words; an
// index broken every way (the old counter layout, wrong, missing and zero counters, orphan, stale
// and missing rows) is repaired and a second run writes nothing; a failed item is retried by
// running it again; admin writes during a repair are coped with; npm start finishes an
// interrupted start-up repair.
import t, { type Test } from 'tap'
import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import {
  BatchWriteCommand,
  DeleteCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient
} from '@aws-sdk/lib-dynamodb'
import { build, BASE_TEST_ENV } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { indexProblems } from '../helpers/catalog-index.js'
import { until } from '../helpers/until.js'
import { createDocumentClient } from '../../core/aws.js'
import { loadConfig } from '../../core/config.js'
import { backfillCatalogIndex, REPAIR_MARKER } from '../../data/catalog-backfill.js'
import { createItemsRepository } from '../../data/items-repository.js'
import { toStoredItem, type ItemInput, type StoredItem } from '../../domain/catalog.js'
import {
  COUNTS_PARTITION, counterShard, indexStateOf, searchRows, shardSortKey, type SearchRow
} from '../../domain/catalog-index-rows.js'
import { indexKeptCatalog } from '../../local/index-kept-catalog.js'

const NOW = '2026-01-01T00:00:00.000Z'
const input = (category: string, type: string, brand: string, title: string): ItemInput =>
  ({
    category,
    type,
    brand,
    title,
    description: `the ${title} described`,
    colorPreference: [],
    price: 100,
    currency: 'EUR'
  })

async function setup (t: Test) {
  const tables = await createTables(t)
  const env = { ...stackEnv(), ...tables }
  const ddb = createDocumentClient(loadConfig({ ...BASE_TEST_ENV, ...env }))
  t.teardown(() => ddb.destroy())
  const app = await build(t, { env, deps: { aws: { ddb } } })
  const names = { items: tables.ITEMS_TABLE, catalogIndex: tables.CATALOG_INDEX_TABLE }
  return { app, ddb, names, repo: createItemsRepository(ddb, names) }
}

/** Items as an emptied index leaves them: indexed (their searchWords current), with no rows or counters. */
function catalog (n: number): StoredItem[] {
  return Array.from({ length: n }, (_, i) => {
    const category = i % 4 === 0 ? 'small' : 'big'
    const item = toStoredItem(`item-${String(i).padStart(4, '0')}`,
      input(category, `type${i % 3}`, `Brand${i % 5}`, `Widget w${i}x${(i * 7919) % 10007}`), 1, NOW, NOW)
    return { ...item, searchWords: indexStateOf(item).words }
  })
}

async function writeItems (ddb: DynamoDBDocumentClient, table: string, items: object[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    await ddb.send(
      new BatchWriteCommand({
        RequestItems: {
          [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item: Item as Record<string, unknown> } }))
        }
      })
    )
  }
}

async function rowCount (ddb: DynamoDBDocumentClient, table: string): Promise<number> {
  return (await ddb.send(new ScanCommand({ TableName: table, Select: 'COUNT' }))).Count ?? 0
}

const scriptArgs = (names: { items: string; catalogIndex: string }): string[] =>
  ['--endpoint', stackEnv().DYNAMODB_ENDPOINT as string, '--table', names.items, '--index-table', names.catalogIndex]
const childEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }

t.test('an emptied index, a rebuild killed mid-way, then the advised command: every count and word is ' +
  'right', async (t) => {
  const { app, ddb, names } = await setup(t)
  const items = catalog(400)
  await writeItems(ddb, names.items, items)
  const child = spawn(process.execPath, [
    '--import',
    'tsx',
    'scripts/backfill-catalog-index.ts',
    ...scriptArgs(names),
    '--rebuild',
    '--parallel',
    '2'
  ],
  { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on(
    'exit',
    (code, signal) => resolve(signal ?? code)
  ))
  await until(
    'the rebuild to be under way',
    async () => await rowCount(ddb, names.catalogIndex) > 200 ? true : undefined,
    60_000,
    50
  )
  child.kill('SIGKILL')
  t.equal(await exited, 'SIGKILL', 'killed mid-way')
  const advised = /run `(npm run backfill-index[^`]*)` again/.exec(out)?.[1]
  t.ok(advised, `the output says what to run after a kill: ${out}`)
  t.notMatch(advised, /--rebuild|--start-after/, 'the same target, nothing to skip')
  const { stdout } = await promisify(execFile)('sh', ['-c', advised as string], { env: childEnv, timeout: 180_000 })
  t.match(stdout, /done in [\d.]+ s: scanned 400 items: .*failed 0/)
  t.same(await indexProblems(ddb, names), [], 'every row and every counter is what the items say')
  const categories = (await app.inject({ url: '/categories' })).json().categories as Array<{
    category: string
    count: number
  }>
  t.same(categories.map((c) => [c.category, c.count]), [['big', 300], ['small', 100]])
  for (const item of items.filter((_, i) => i % 20 === 0)) {
    const res = await app.inject({ url: `/items?q=${encodeURIComponent(item.title)}&limit=5` })
    t.same(res.json().items.map((i: { id: string }) => i.id), [item.id], `${item.title} is found by its title words`)
  }
})

t.test('an index broken every way is repaired, and a second run writes nothing', async (t) => {
  const { ddb, names, repo } = await setup(t)
  const items = catalog(30)
  for (const item of items) await repo.create(item.id, { ...item }, 1, NOW)
  const [a, b, c] = items as [StoredItem, StoredItem, StoredItem]
  // A shard row of a counter (its item's shard).
  const counter = (sk: string, item: StoredItem) =>
    ({ TableName: names.catalogIndex, Key: { pk: COUNTS_PARTITION, sk: shardSortKey(counterShard(item.id), sk) } })
  // The counter layout before stamps: no `v`, and a wrong count.
  await ddb.send(
    new UpdateCommand({
      ...counter('big', b),
      UpdateExpression: 'SET n = :n REMOVE v',
      ExpressionAttributeValues: { ':n': 7 }
    })
  )
  await ddb.send(new DeleteCommand(counter('small', a)))
  // Rows of the layout before shards (one per counter): one at 0, one for a brand no item has.
  await ddb.send(
    new PutCommand({ TableName: names.catalogIndex, Item: { pk: COUNTS_PARTITION, sk: 'gone#type#x', n: 0 } })
  )
  await ddb.send(
    new PutCommand({
      TableName: names.catalogIndex,
      Item: { pk: COUNTS_PARTITION, sk: 'big#brand#Ghost', n: 3, v: 'x' }
    })
  )
  // Orphans: a row of a deleted item and a word the item no longer has; a stale copy; a missing row.
  await ddb.send(
    new PutCommand({ TableName: names.catalogIndex, Item: { ...searchRows({ ...indexStateOf(a), id: 'deleted' })[0] } })
  )
  await ddb.send(
    new PutCommand({
      TableName: names.catalogIndex,
      Item: { ...searchRows({ ...indexStateOf(b), words: ' obsolete ' })[0] }
    })
  )
  const stale = searchRows(indexStateOf(c))[1] as SearchRow
  await ddb.send(new PutCommand({ TableName: names.catalogIndex, Item: { ...stale, c: 'elsewhere' } }))
  const missing = searchRows(indexStateOf(a))[0] as SearchRow
  await ddb.send(new DeleteCommand({ TableName: names.catalogIndex, Key: { pk: missing.pk, sk: missing.sk } }))
  t.not((await indexProblems(ddb, names)).length, 0)

  const first = await backfillCatalogIndex(ddb, names)
  t.match(
    first,
    {
      scanned: 30,
      indexed: 0,
      current: 30,
      rowsWritten: 2,
      rowsDeleted: 2,
      countersFixed: 4,
      failed: [],
      complete: true
    }
  )
  t.same(await indexProblems(ddb, names), [])
  t.match(
    await backfillCatalogIndex(ddb, names),
    { rowsWritten: 0, rowsDeleted: 0, countersFixed: 0, failed: [], complete: true }
  )
  t.equal(await rowCount(ddb, names.catalogIndex),
    (await ddb.send(new ScanCommand({ TableName: names.catalogIndex })))
      .Items?.filter((r) => r.pk !== REPAIR_MARKER.pk).length,
    'a clean run leaves no marker')
})

t.test('a failed item is reported, and running the command again retries it', async (t) => {
  const { ddb, names } = await setup(t)
  const items = catalog(12).map(({ searchWords: _w, ...legacy }) => legacy)
  await writeItems(ddb, names.items, items)
  let throttled = 0
  ddb.middlewareStack.add((next, context) => async (args) => {
    // The item's own action comes first (its key marshalled or not, depending on the step's order).
    const first = JSON.stringify((args.input as { TransactItems?: unknown[] }).TransactItems?.[0] ?? {})
    if (context.commandName === 'TransactWriteItemsCommand' && first.includes('"Update"') &&
      first.includes('item-0003') && throttled++ < 20) {
      throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ThrottlingException' })
    }
    return await next(args)
  }, { step: 'initialize', name: 'throttleOne' })
  const first = await backfillCatalogIndex(ddb, names)
  t.match(
    first,
    { indexed: 11, failed: [{ id: 'item-0003', reason: /service is busy|ThrottlingException/ }], complete: true }
  )
  ddb.middlewareStack.remove('throttleOne')
  t.match(await backfillCatalogIndex(ddb, names), { indexed: 1, current: 11, failed: [] })
  t.same(await indexProblems(ddb, names), [])
})

t.test('admin writes during a repair: it copes, and a run after them leaves the index exact', async (t) => {
  const { ddb, names, repo } = await setup(t)
  const items = catalog(60)
  await writeItems(ddb, names.items, items)
  let writing = true
  let writes = 0
  const admin = (async () => {
    // eslint-disable-next-line no-unmodified-loop-condition -- the test clears it once the repair is done
    for (let i = 0; writing; i++) {
      const id = `item-${String(i % 60).padStart(4, '0')}`
      if (i % 7 === 3) await repo.remove(id).catch(() => undefined)
      else {
        await repo.put(
          id,
          input(i % 2 === 0 ? 'small' : 'big', `type${i % 4}`, `Brand${i % 3}`, `Edited e${i}`),
          1,
          NOW
        )
      }
      writes++
    }
  })()
  const during = await backfillCatalogIndex(ddb, names, { parallel: 4 }).finally(() => { writing = false })
  await admin
  t.ok(writes > 0, `${writes} admin writes during the repair`)
  t.ok(during.complete, 'the repair ran to its end')
  const after = await backfillCatalogIndex(ddb, names)
  t.match(after, { failed: [], complete: true })
  t.same(await indexProblems(ddb, names), [], 'exact after a run without writes')
})

t.test('npm start finishes a start-up repair that was interrupted', async (t) => {
  const { ddb, names, repo } = await setup(t)
  for (const item of catalog(8)) await repo.create(item.id, { ...item }, 1, NOW)
  // What an interrupted repair leaves: its marker, and the counters it had not recounted yet.
  await ddb.send(new PutCommand({ TableName: names.catalogIndex, Item: { ...REPAIR_MARKER, startedAt: NOW } }))
  await ddb.send(
    new UpdateCommand({
      TableName: names.catalogIndex,
      Key: { pk: COUNTS_PARTITION, sk: shardSortKey(counterShard('item-0001'), 'big') },
      UpdateExpression: 'SET n = :n',
      ExpressionAttributeValues: { ':n': 99 }
    })
  )
  const lines: string[] = []
  await indexKeptCatalog(ddb, names, (line) => lines.push(line), 'DYNAMODB_PORT=4701 npm run backfill-index')
  t.match(
    lines[0],
    /an earlier repair of the catalog index did not finish: repairing it \(what `DYNAMODB_PORT=4701 npm run backfill-index` does/
  )
  t.same(await indexProblems(ddb, names), [])
})
