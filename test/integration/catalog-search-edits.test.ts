// A prefix search meeting admin edits, against DynamoDB Local: an item whose first word under the
// prefix changes between two rounds of one request has a row in each round. The page must hold
// it once (DynamoDB refuses a BatchGetItem naming a key twice, which was a 500), whether the edit
// falls exactly between two rounds or anywhere among concurrent requests over HTTP.
import t, { type Test } from 'tap'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { build, BASE_TEST_ENV } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { createDocumentClient } from '../../core/aws.js'
import { loadConfig } from '../../core/config.js'
import { createItemsRepository } from '../../data/items-repository.js'
import type { ItemInput } from '../../domain/catalog.js'

const NOW = '2026-01-01T00:00:00.000Z'
const input = (category: string, title: string): ItemInput =>
  ({ category, type: 'kit', brand: 'Acme', title, description: '', colorPreference: [], price: 100, currency: 'EUR' })

/** Enough rows under `pix` in another category that a search of the target's category takes several rounds. */
const FILLERS = 150

async function setup (t: Test) {
  const tables = await createTables(t)
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const env = { ...stackEnv(), ...tables, ...issuer.env }
  const ddb = createDocumentClient(loadConfig({ ...BASE_TEST_ENV, ...env }))
  t.teardown(() => ddb.destroy())
  const app = await build(t, { env, deps: { aws: { ddb } } })
  const repo = createItemsRepository(ddb, { items: tables.ITEMS_TABLE, catalogIndex: tables.CATALOG_INDEX_TABLE })
  for (let i = 0; i < FILLERS; i += 15) {
    await Promise.all(Array.from({ length: Math.min(15, FILLERS - i) }, async (_, j) =>
      await repo.create(
        `filler-${String(i + j).padStart(3, '0')}`,
        input('bulk', `pixb${String(i + j).padStart(3, '0')} filler`),
        1,
        NOW
      )))
  }
  await repo.create('target', input('rare', 'pixa gadget'), 1, NOW)
  return { app, ddb, repo, admin: { authorization: `Bearer ${issuer.token({ groups: ['admin'] })}` } }
}

/** Runs `then` once, right after the next Query the client answers. */
function afterNextQuery (ddb: DynamoDBDocumentClient, then: () => Promise<unknown>): void {
  let armed = true
  ddb.middlewareStack.add((next, context) => async (args) => {
    const out = await next(args)
    if (armed && context.commandName === 'QueryCommand') {
      armed = false
      await then()
    }
    return out
  }, { step: 'initialize', name: 'afterNextQuery' })
}

t.test('an item whose first word under the prefix changes between two rounds is on the page once', async (t) => {
  const { app, ddb, repo } = await setup(t)
  // Round 1 reads `pixa#target` and 99 fillers; the edit moves the target's row to `pixz#target`,
  // which round 2 reads again.
  afterNextQuery(ddb, async () => await repo.put('target', input('rare', 'pixz gadget'), 0, NOW))
  const res = await app.inject({ url: '/items?q=pix&category=rare&limit=2' })
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json().items.map((i: { id: string }) => i.id), ['target'], 'the target once, as it is now')
  t.equal(res.json().items[0].title, 'pixz gadget')
})

t.test('400 prefix searches over HTTP while an admin keeps changing the first matching word: no 5xx, no ' +
  'repeats', async (t) => {
  const { app, admin } = await setup(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  const base = `http://127.0.0.1:${address.port}`
  let searching = true
  let edits = 0
  const editor = (async () => {
    // eslint-disable-next-line no-unmodified-loop-condition -- the test clears it once the searches are done
    while (searching) {
      const title = edits % 2 === 0 ? 'pixz gadget' : 'pixa gadget'
      const res = await fetch(`${base}/items/target`, {
        method: 'PUT',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify(
          input('rare', title)
        )
      })
      if (res.status >= 500) throw new Error(`PUT answered ${res.status}: ${await res.text()}`)
      edits++
    }
  })()
  const statuses = new Map<number, number>()
  const repeats: string[] = []
  let next = 0
  try {
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < 400) {
        next++
        const res = await fetch(`${base}/items?q=pix&category=rare&limit=2`)
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        if (res.status !== 200) continue
        const ids = ((await res.json()) as { items: Array<{ id: string }> }).items.map((i) => i.id)
        if (new Set(ids).size !== ids.length) repeats.push(ids.join())
      }
    }))
  } finally {
    searching = false
    await editor
  }
  t.same([...statuses.keys()], [200], `every search answered 200: ${JSON.stringify([...statuses])}`)
  t.same(repeats, [], 'no page held an item twice')
  t.ok(edits > 0, `the title changed ${edits} times meanwhile`)
})
