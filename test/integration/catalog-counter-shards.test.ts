// The category counters split over shard rows (domain/catalog-index-rows.ts), against DynamoDB
// Local: concurrent creates and deletes across shards leave every count exact and GET /categories
// one Query; the repair (data/catalog-backfill.ts) converges after corrupted shards; and an index
// in the layout before shards (one row per counter) reads right before, during and after the
// repair that migrates it, admin writes in between included, and npm start migrates kept data.
import t, { type Test } from 'tap'
import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { build, BASE_TEST_ENV } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { expectedCategories, indexProblems } from '../helpers/catalog-index.js'
import { createDocumentClient } from '../../core/aws.js'
import { loadConfig } from '../../core/config.js'
import { backfillCatalogIndex, hasUnshardedCounters } from '../../data/catalog-backfill.js'
import { readCategories, readCounters } from '../../data/catalog-index-table.js'
import { createItemsRepository } from '../../data/items-repository.js'
import { indexKeptCatalog } from '../../local/index-kept-catalog.js'
import type { ItemInput, StoredItem } from '../../domain/catalog.js'
import {
  COUNTER_SHARDS, COUNTS_PARTITION, counterOf, counterShard, counterTotals, shardSortKey
} from '../../domain/catalog-index-rows.js'

const NOW = '2026-01-01T00:00:00.000Z'
const input = (n: number): ItemInput => ({
  category: ['phone', 'computer'][n % 2] as string,
  type: ['smart', 'feature', 'rugged'][n % 3] as string,
  brand: ['Acme', 'Zed', 'Nova', 'Kite'][n % 4] as string,
  title: `Model ${n}`,
  description: '',
  colorPreference: [],
  price: 100,
  currency: 'EUR'
})

async function setup (t: Test) {
  const tables = await createTables(t)
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const env = { ...stackEnv(), ...tables, ...issuer.env }
  const client = () => {
    const ddb = createDocumentClient(loadConfig({ ...BASE_TEST_ENV, ...env }))
    t.teardown(() => ddb.destroy())
    return ddb
  }
  const ddb = client()
  const app = await build(t, { env, deps: { aws: { ddb } } })
  const admin = { authorization: `Bearer ${issuer.token({ groups: ['admin'] })}` }
  const names = { items: tables.ITEMS_TABLE, catalogIndex: tables.CATALOG_INDEX_TABLE }
  return { app, ddb, admin, names, client, repo: createItemsRepository(ddb, names) }
}

async function liveItems (repo: ReturnType<typeof createItemsRepository>, ids: string[]): Promise<StoredItem[]> {
  const found = await Promise.all(ids.map(async (id) => await repo.get(id, { consistent: true })))
  return found.filter((i): i is StoredItem => i !== undefined)
}

/** The layout before shards: one row per counter (half of them stamped), as the previous version wrote it. */
async function toLayoutBeforeShards (ddb: DynamoDBDocumentClient, table: string): Promise<void> {
  const sharded = await readCounters(ddb, table, { consistent: true })
  for (const r of sharded) await ddb.send(new DeleteCommand({ TableName: table, Key: { pk: r.pk, sk: r.sk } }))
  for (const [i, [sk, n]] of [...counterTotals(sharded)].entries()) {
    await ddb.send(new PutCommand({
      TableName: table, Item: { pk: COUNTS_PARTITION, sk, n, ...(i % 2 === 0 ? { v: `old-${i}` } : {}) }
    }))
  }
}

t.test('concurrent creates and deletes across shards: every count exact, GET /categories one Query', async (t) => {
  const { app, ddb, admin, names, repo } = await setup(t)
  const put = async (n: number) =>
    await app.inject({ method: 'PUT', url: `/items/s${n}`, payload: input(n), headers: admin })
  const del = async (n: number) => await app.inject({ method: 'DELETE', url: `/items/s${n}`, headers: admin })
  const created = await Promise.all(Array.from({ length: 48 }, async (_, n) => await put(n)))
  t.same([...new Set(created.map((r) => r.statusCode))], [201])
  // Deletes of a third while more are created, all at once.
  const mixed = await Promise.all([
    ...Array.from({ length: 16 }, async (_, n) => await del(n * 3)),
    ...Array.from({ length: 16 }, async (_, n) => await put(100 + n))
  ])
  t.same(mixed.filter((r) => r.statusCode >= 300).map((r) => `${r.statusCode} ${r.body}`), [], 'every write succeeded')
  t.same(await indexProblems(ddb, names), [], 'rows and counters agree with the items')

  const rows = await readCounters(ddb, names.catalogIndex, { consistent: true })
  t.same(rows.filter((r) => counterOf(r.sk).shard === undefined), [], 'no row of the layout before shards')
  const phoneShards = rows.filter((r) => counterOf(r.sk).counter === 'phone').map((r) => counterOf(r.sk).shard)
  t.ok(new Set(phoneShards).size >= COUNTER_SHARDS - 2, `one category's count spread over ${phoneShards.length} rows`)

  const commands: string[] = []
  ddb.middlewareStack.add((next, context) => async (args) => {
    commands.push(String(context.commandName))
    return await next(args)
  }, { step: 'initialize', name: 'countCommands' })
  const res = await app.inject({ url: '/categories' })
  t.equal(res.statusCode, 200)
  t.same(commands, ['QueryCommand'], 'GET /categories: one Query, every shard of every counter')
  const ids = [...Array.from({ length: 48 }, (_, n) => `s${n}`), ...Array.from({ length: 16 }, (_, n) => `s${100 + n}`)]
  const live = await liveItems(repo, ids)
  t.equal(live.length, 48)
  t.same(res.json().categories, expectedCategories(live), 'the shards add up to what the items say')
})

t.test('the repair recomputes every shard from the items after corrupted ones', async (t) => {
  const { ddb, names, repo } = await setup(t)
  const ids = Array.from({ length: 24 }, (_, n) => `r${n}`)
  for (const [n, id] of ids.entries()) await repo.create(id, input(n), 1, NOW)
  const items = await liveItems(repo, ids)
  const shard = counterShard('r1')
  const unused = Array.from({ length: COUNTER_SHARDS }, (_, s) => s)
    .find((s) => !items.some((i) => i.category === 'computer' && i.brand === 'Zed' && counterShard(i.id) === s))
  const row = (sk: string) => ({ TableName: names.catalogIndex, Key: { pk: COUNTS_PARTITION, sk } })
  // A shard too high (stamped as a write would), one missing, one not stamped, one invented.
  await ddb.send(new UpdateCommand({
    ...row(shardSortKey(shard, 'computer')),
    UpdateExpression: 'ADD n :n SET v = :v',
    ExpressionAttributeValues: { ':n': 40, ':v': 'corrupt' }
  }))
  await ddb.send(new DeleteCommand(row(shardSortKey(shard, 'computer#type#feature'))))
  await ddb.send(new UpdateCommand({
    ...row(shardSortKey(shard, 'computer#brand#Zed')),
    UpdateExpression: 'SET n = :n REMOVE v',
    ExpressionAttributeValues: { ':n': -3 }
  }))
  if (unused !== undefined) {
    await ddb.send(new PutCommand({
      TableName: names.catalogIndex,
      Item: { pk: COUNTS_PARTITION, sk: shardSortKey(unused, 'computer#brand#Zed'), n: 5 }
    }))
  }
  t.not(JSON.stringify(await readCategories(ddb, names.catalogIndex)), JSON.stringify(expectedCategories(items)))
  t.ok((await indexProblems(ddb, names)).length > 0, 'the damage shows')

  const first = await backfillCatalogIndex(ddb, names)
  t.match(first, { failed: [], complete: true })
  t.equal(first.countersFixed, unused === undefined ? 3 : 4, 'each damaged shard row set to its items')
  t.same(await indexProblems(ddb, names), [], 'every shard is what its items add up to')
  t.same(await readCategories(ddb, names.catalogIndex), expectedCategories(items))
  const second = await backfillCatalogIndex(ddb, names)
  t.match(second, { failed: [], complete: true, countersFixed: 0 }, 'a second run writes no counter')
})

t.test('an index in the layout before shards reads right before, during and after its migration', async (t) => {
  const { ddb, names, repo, client } = await setup(t)
  const ids = Array.from({ length: 30 }, (_, n) => `m${n}`)
  for (const [n, id] of ids.entries()) await repo.create(id, input(n), 1, NOW)
  await toLayoutBeforeShards(ddb, names.catalogIndex)
  const counted = async (): Promise<string> =>
    JSON.stringify(await readCategories(ddb, names.catalogIndex))
  let live = await liveItems(repo, ids)
  t.equal(await counted(), JSON.stringify(expectedCategories(live)), 'the old rows are read as they are')

  // Admin writes before any repair: their deltas go to shards, some below 0 (items the old rows count).
  await Promise.all([
    ...[0, 1, 2, 3, 5, 8].map(async (n) => await repo.remove(`m${n}`)),
    ...[40, 41, 42].map(async (n) => await repo.create(`m${n}`, input(n), 1, NOW)),
    repo.put('m7', { ...input(7), category: 'tablet' }, 1, NOW)
  ])
  ids.push('m40', 'm41', 'm42')
  live = await liveItems(repo, ids)
  const rows = await readCounters(ddb, names.catalogIndex, { consistent: true })
  t.ok(rows.some((r) => counterOf(r.sk).shard !== undefined && r.n < 0), 'a shard below 0 is kept, not cleaned up')
  t.equal(await counted(), JSON.stringify(expectedCategories(live)), 'old rows plus shard deltas: exact')

  // The repair, on its own client: after each of its writes, what a reader adds up.
  const repairer = client()
  const seen: Array<{ old: number; categories: string }> = []
  const expected = JSON.stringify(expectedCategories(live))
  repairer.middlewareStack.add((next, context) => async (args) => {
    const out = await next(args)
    if (context.commandName === 'TransactWriteItemsCommand') {
      const now = await readCounters(ddb, names.catalogIndex, { consistent: true })
      seen.push({
        old: now.filter((r) => counterOf(r.sk).shard === undefined).length,
        categories: JSON.stringify(await readCategories(ddb, names.catalogIndex))
      })
    }
    return out
  }, { step: 'initialize', name: 'readAfterEachWrite' })
  const summary = await backfillCatalogIndex(repairer, names)
  t.match(summary, { failed: [], complete: true })
  t.ok(seen.length > 3, `${seen.length} counter transactions`)
  t.ok(seen.some((s) => s.old > 0), 'read while old rows remained')
  t.same(seen.filter((s) => s.categories !== expected).map((s) => s.categories), [],
    'never counted twice (nor short) while the counters moved to the new layout')
  const after = await readCounters(ddb, names.catalogIndex, { consistent: true })
  t.same(after.filter((r) => counterOf(r.sk).shard === undefined), [], 'no old row left')
  t.same(await indexProblems(ddb, names), [])
  t.match(await backfillCatalogIndex(ddb, names), { failed: [], countersFixed: 0 }, 'converged')
})

t.test('npm start moves kept counters of the layout before shards into shards', async (t) => {
  const { ddb, names, repo } = await setup(t)
  const ids = Array.from({ length: 12 }, (_, n) => `k${n}`)
  for (const [n, id] of ids.entries()) await repo.create(id, input(n), 1, NOW)
  const lines: string[] = []
  await indexKeptCatalog(ddb, names, (line) => lines.push(line))
  t.same(lines, [], 'a sharded index: nothing to do')
  t.equal(await hasUnshardedCounters(ddb, names.catalogIndex), false)
  await toLayoutBeforeShards(ddb, names.catalogIndex)
  t.equal(await hasUnshardedCounters(ddb, names.catalogIndex), true)
  await indexKeptCatalog(ddb, names, (line) => lines.push(line))
  t.match(lines[0], /the category counters are in the layout before shards: moving them into shards/)
  t.equal(await hasUnshardedCounters(ddb, names.catalogIndex), false)
  t.same(await indexProblems(ddb, names), [])
  t.same(await readCategories(ddb, names.catalogIndex), expectedCategories(await liveItems(repo, ids)))
})
