// The driver word chosen by rarity, against DynamoDB Local: after a repair has written the word
// statistics, a query of a rare and a common word reads the rare word's rows (fewer read units),
// and a cursor made under other statistics still pages on.
import t from 'tap'
import { DeleteCommand } from '@aws-sdk/lib-dynamodb'
import { build, BASE_TEST_ENV } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { indexProblems } from '../helpers/catalog-index.js'
import { createDocumentClient } from '../../core/aws.js'
import { loadConfig } from '../../core/config.js'
import { backfillCatalogIndex } from '../../data/catalog-backfill.js'
import { createItemsRepository } from '../../data/items-repository.js'
import { WORD_STATS_PARTITION } from '../../domain/catalog-index-rows.js'

t.test('a rare word drives once the statistics know it; cursors outlive a change of statistics', async (t) => {
  const tables = await createTables(t)
  const env = { ...stackEnv(), ...tables }
  const ddb = createDocumentClient(loadConfig({ ...BASE_TEST_ENV, ...env }))
  t.teardown(() => ddb.destroy())
  const queried: string[] = []
  ddb.middlewareStack.add((next, context) => async (args) => {
    if (context.commandName === 'QueryCommand') queried.push(JSON.stringify(args.input))
    return await next(args)
  }, { step: 'initialize', name: 'recordQueries' })
  const app = await build(t, { env, deps: { aws: { ddb } } })
  const names = { items: tables.ITEMS_TABLE, catalogIndex: tables.CATALOG_INDEX_TABLE }
  const repo = createItemsRepository(ddb, names)
  const NOW = '2026-01-01T00:00:00.000Z'
  for (let i = 0; i < 60; i += 10) {
    await Promise.all(Array.from({ length: 10 }, async (_, j) => await repo.create(`c${String(i + j).padStart(
      2,
      '0'
    )}`, {
      category: 'cables',
      type: 'usb',
      brand: 'Acme',
      title: `Cable ${(i + j) % 20 === 0
        ? 'usb'
        : 'hdmi'} braided`,
      description: '',
      colorPreference: [],
      price: 5,
      currency: 'EUR'
    }, 1, NOW)))
  }
  const search = async (url: string) => {
    queried.length = 0
    const res = await app.inject({ url })
    t.equal(res.statusCode, 200, res.body)
    return {
      body: res.json() as { items: Array<{ id: string }>; nextCursor?: string },
      partitions: queried.map((q) => JSON.parse(q).ExpressionAttributeValues[':pk'])
    }
  }
  // Before any statistics: the longest word, "cable", drives.
  const first = await search('/items?q=usb%20cable&limit=1')
  t.same([...new Set(first.partitions)], ['w#c'], 'the common word drove')
  t.same(first.body.items.map((i) => i.id), ['c00'])

  t.match(await backfillCatalogIndex(ddb, names), { failed: [], complete: true })
  t.same(await indexProblems(ddb, names), [])
  // A new app: its container has not cached the statistics (they are cached 10 minutes).
  const fresh = await build(t, { env, deps: { aws: { ddb } } })
  queried.length = 0
  const rare = await fresh.inject({ url: '/items?q=usb%20cable&limit=5' })
  t.same(rare.json().items.map((i: { id: string }) => i.id), ['c00', 'c20', 'c40'])
  t.same([...new Set(queried.map((q) => JSON.parse(q).ExpressionAttributeValues[':pk']))], ['w#u'],
    'the rare word drove')
  // The first cursor was made under the common word: it still pages on there.
  const next = await fresh.inject({
    url: `/items?q=usb%20cable&limit=5&cursor=${encodeURIComponent(first.body.nextCursor as string)}`
  })
  t.equal(next.statusCode, 200)
  t.same(next.json().items.map((i: { id: string }) => i.id), ['c20', 'c40'])
  // A word the statistics lose (deleted from them) counts as new, so rare: still the driver.
  await ddb.send(new DeleteCommand({ TableName: names.catalogIndex, Key: { pk: WORD_STATS_PARTITION, sk: 'usb' } }))
  const third = await build(t, { env, deps: { aws: { ddb } } })
  t.same(
    (await third.inject({ url: '/items?q=usb%20cable&limit=5' })).json().items.map((i: { id: string }) => i.id),
    ['c00', 'c20', 'c40']
  )
})
