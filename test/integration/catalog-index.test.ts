// The catalog index against DynamoDB Local, through the API: search semantics (accents, case,
// prefix, several words, paging, deleted and replaced items), GET /categories and the index under
// concurrent admin writes, injected throttling, and that no catalog read is a Scan.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { build, BASE_TEST_ENV } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { expectedCategories, indexProblems } from '../helpers/catalog-index.js'
import { createDocumentClient } from '../../core/aws.js'
import { loadConfig } from '../../core/config.js'

type Body = Record<string, unknown>
const item = (category: string, type: string, brand: string, title: string, description = ''): Body =>
  ({ category, type, brand, title, description, colorPreference: [], price: 1000, currency: 'EUR' })

/** The DynamoDB commands the app sends, by name. */
function recordCommands (ddb: DynamoDBDocumentClient): string[] {
  const names: string[] = []
  ddb.middlewareStack.add((next, context) => async (args) => {
    names.push(String(context.commandName))
    return next(args)
  }, { step: 'initialize', name: 'recordCommands' })
  return names
}

async function setup (t: Test) {
  const tables = await createTables(t)
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const env = { ...stackEnv(), ...tables, ...issuer.env }
  const ddb = createDocumentClient(loadConfig({ ...BASE_TEST_ENV, ...env }))
  t.teardown(() => ddb.destroy())
  const app = await build(t, { env, deps: { aws: { ddb } } })
  const admin = { authorization: `Bearer ${issuer.token({ groups: ['admin'] })}` }
  const names = { items: tables.ITEMS_TABLE, catalogIndex: tables.CATALOG_INDEX_TABLE }
  return { app, ddb, admin, names, commands: recordCommands(ddb) }
}

async function ids (app: FastifyInstance, query: string): Promise<string[]> {
  const res = await app.inject({ url: `/items?${query}&limit=100` })
  if (res.statusCode !== 200) throw new Error(`GET /items?${query}: ${res.statusCode} ${res.body}`)
  return (res.json().items as Array<{ id: string }>).map((i) => i.id).sort()
}

t.test('search semantics: accents, case, prefix, several words, description, filters, deleted and replaced ' +
  'items', async (t) => {
  const { app, admin, ddb, names, commands } = await setup(t)
  const catalog: Record<string, Body> = {
    pixel8: item('phone', 'smart', 'Google', 'Pixel 8', 'Tensor G3 chip, seven years of updates.'),
    pixel8pro: item('phone', 'smart', 'Google', 'Pixel 8 Pro', 'The best Pixel camera; pixels everywhere.'),
    pixelbook: item('computer', 'laptop', 'Google', 'Pixelbook Go', 'A light Chromebook.'),
    creme: item('accessories', 'case', 'Maison Crème', 'Étui Crème Brûlée', 'Cuir pleine fleur, fait à Besançon.'),
    galaxy: item('phone', 'smart', 'Samsung', 'Galaxy S24 Ultra', 'Built-in S Pen, 200MP camera, USB-C.'),
    strasse: item('accessories', 'cable', 'Straße Kabel', 'USB-C Kabel 2m', 'Geflochten.')
  }
  for (const [id, body] of Object.entries(catalog)) {
    t.equal(
      (await app.inject({ method: 'PUT', url: `/items/${id}`, payload: body, headers: admin })).statusCode,
      201,
      `created ${id}`
    )
  }
  const cases: Array<[string, string[]]> = [
    ['q=pixel', ['pixel8', 'pixel8pro', 'pixelbook']],
    ['q=PIXEL', ['pixel8', 'pixel8pro', 'pixelbook']],
    ['q=pixel%20google', ['pixel8', 'pixel8pro']],
    ['q=google%20pixel', ['pixel8', 'pixel8pro', 'pixelbook']],
    ['q=chromebook%20pix', ['pixelbook']],
    ['q=pix', ['pixel8', 'pixel8pro', 'pixelbook']],
    ['q=pixel%208', ['pixel8', 'pixel8pro']],
    ['q=8%20pixel', ['pixel8', 'pixel8pro']],
    ['q=pixel%20pro', ['pixel8pro']],
    ['q=pro%20pixel', ['pixel8pro']],
    ['q=pixel%20camera', ['pixel8pro']],
    ['q=creme', ['creme']],
    ['q=CR%C3%88ME%20brul', ['creme']],
    ['q=besancon', ['creme']],
    ['q=etui', ['creme']],
    ['q=strasse', ['strasse']],
    ['q=usb-c', ['galaxy', 'strasse']],
    ['q=usb%20c', ['galaxy', 'strasse']],
    ['q=galaxy%20ultr', ['galaxy']],
    ['q=gal%20ultra', []],
    ['q=alaxy', []],
    ['q=google&category=phone', ['pixel8', 'pixel8pro']],
    ['q=google&category=computer&type=laptop', ['pixelbook']],
    ['q=camera&category=phone&brand=Samsung', ['galaxy']],
    ['q=no%20such%20words', []]
  ]
  for (const [query, want] of cases) t.same(await ids(app, query), want, query)

  t.test('paging through a search: every match once, in the same order every time', async (t) => {
    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const res = await app.inject({
        url: `/items?q=p&limit=1${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
      })
      t.equal(res.statusCode, 200)
      seen.push(...res.json().items.map((i: { id: string }) => i.id))
      cursor = res.json().nextCursor
      pages++
    } while (cursor !== undefined && pages < 20)
    t.same(
      [...seen].sort(),
      ['creme', 'galaxy', 'pixel8', 'pixel8pro', 'pixelbook'],
      'q=p: every item with a word starting with p, once (pixel8pro has pixel, pro and pixels)'
    )
    t.equal(new Set(seen).size, seen.length)
    const first = (await app.inject({ url: '/items?q=p&limit=100' })).json().items.map((i: { id: string }) => i.id)
    t.same(first, seen, 'one page or many: the same order')
    const cursorOf = (await app.inject({ url: '/items?q=p&limit=1' })).json().nextCursor
    t.equal(
      (await app.inject({ url: `/items?q=pi&limit=1&cursor=${encodeURIComponent(cursorOf)}` })).json().code,
      'invalid_cursor',
      'a cursor is bound to its search'
    )
    t.equal(
      (await app.inject({ url: `/items?q=P&limit=1&cursor=${encodeURIComponent(cursorOf)}` })).statusCode,
      200,
      'the same search spelt otherwise'
    )
  })

  t.test('a replaced item is found by its new words only; a deleted one is not found', async (t) => {
    const replaced = await app.inject({
      method: 'PUT',
      url: '/items/pixel8',
      payload: item('phone', 'smart', 'Google', 'Pixel 9', 'Tensor G4.'),
      headers: admin
    })
    t.equal(replaced.statusCode, 200)
    t.same(await ids(app, 'q=pixel%208'), ['pixel8pro'])
    t.same(await ids(app, 'q=pixel%209'), ['pixel8'])
    t.same(await ids(app, 'q=tensor'), ['pixel8'])
    t.same(await ids(app, 'q=seven'), [], 'words only the old description had')
    t.equal((await app.inject({ method: 'DELETE', url: '/items/pixel8pro', headers: admin })).statusCode, 204)
    t.same(await ids(app, 'q=pixel'), ['pixel8', 'pixelbook'])
    t.same(await ids(app, 'q=camera'), ['galaxy'])
    t.same(await indexProblems(ddb, names), [], 'the index holds exactly the items\' rows and counts')
  })

  t.test('no catalog read is a Scan except the unfiltered list\'s one bounded page', async (t) => {
    commands.length = 0
    for (const url of [
      '/items?q=pix',
      '/items?q=pixel%20google&category=phone',
      '/categories',
      '/items?category=phone',
      '/items?category=phone&brand=Google'
    ]) {
      t.equal((await app.inject({ url })).statusCode, 200, url)
    }
    t.notOk(commands.includes('ScanCommand'), `commands: ${[...new Set(commands)].join(', ')}`)
    commands.length = 0
    await app.inject({ url: '/items?limit=3' })
    t.same(commands, ['ScanCommand'], 'the unfiltered list: one Scan page')
  })
})

t.test('categories and the index stay exact under concurrent admin writes', async (t) => {
  const { app, admin, ddb, names } = await setup(t)
  const brands = ['Acme', 'Zed', 'Nova', 'Orbit', 'Kite']
  const types = ['smart', 'feature', 'rugged']
  const categories = ['phone', 'computer', 'accessories']
  const body = (n: number, shift = 0): Body =>
    item(
      categories[(n + shift) % 3] as string,
      types[(n + shift) % 3] as string,
      brands[(n + shift) % 5] as string,
      `Model ${n + shift}`,
      `Series ${n % 7}`
    )
  const put = async (n: number, shift = 0) => app.inject({
    method: 'PUT',
    url: `/items/c${n}`,
    payload: body(n, shift),
    headers: admin
  })

  // 60 creates at once, then replaces that move items between categories, types and brands,
  // deletes, stock changes and repeated PUTs of the same item, all at once.
  const created = await Promise.all(Array.from({ length: 60 }, (_, n) => put(n)))
  t.same([...new Set(created.map((r) => r.statusCode))], [201])
  const mixed = await Promise.all([
    ...Array.from({ length: 20 }, (_, n) => put(n, 1)),
    ...Array.from({ length: 10 }, (_, n) => put(n, 2)),
    ...Array.from({ length: 10 }, (_, n) => app.inject({ method: 'DELETE', url: `/items/c${40 + n}`, headers: admin })),
    ...Array.from(
      { length: 10 },
      (_, n) => app.inject({ method: 'POST', url: `/items/c${20 + n}/stock`, payload: { delta: 5 }, headers: admin })
    ),
    ...Array.from(
      { length: 5 },
      (_, n) => app.inject({ method: 'POST', url: '/items', payload: { ...body(100 + n), stock: 1 }, headers: admin })
    )
  ])
  t.same(mixed.filter((r) => r.statusCode >= 300).map((r) => `${r.statusCode} ${r.body}`), [], 'every write succeeded')
  t.same(await indexProblems(ddb, names), [], 'rows and counters agree with the items')
  const scanned = await Promise.all(Array.from({ length: 60 }, (_, n) => app.inject({ url: `/items/c${n}` })))
  const live = scanned.filter((r) => r.statusCode === 200).map((r) => r.json())
  t.equal(live.length, 50)
  const res = await app.inject({ url: '/categories' })
  // The 5 POSTs' items (random ids), read back.
  const posted = mixed.slice(-5).map((r) => r.json().id as string)
  const extra = (await Promise.all(posted.map((id) => app.inject({ url: `/items/${id}` })))).map((r) => r.json())
  t.equal(extra.length, 5)
  t.same(res.json().categories, expectedCategories([...live, ...extra]), 'GET /categories is what the items add up to')

  // Brands disappear with their last item.
  const zed = async () =>
    (await app.inject({ url: '/categories' })).json().categories.flatMap((c: { brands: string[] }) => c.brands).filter((
      b: string
    ) => b === 'Zed').length
  t.ok(await zed() > 0)
  const zeds = [...live, ...extra].filter((i) => i.brand === 'Zed')
  await Promise.all(zeds.map((i) => app.inject({ method: 'DELETE', url: `/items/${i.id as string}`, headers: admin })))
  t.equal(await zed(), 0, 'a brand with no items left is gone')
  t.same(await indexProblems(ddb, names), [], 'and its counters with it')
})

t.test('a throttled write answers 503 and changes nothing; the retry writes item and index together', async (t) => {
  const { app, admin, ddb, names } = await setup(t)
  let failures = 2
  // Injected before the SDK's own retries, as if every retry had been throttled too.
  ddb.middlewareStack.add((next, context) => async (args) => {
    if (context.commandName === 'TransactWriteItemsCommand' && failures > 0) {
      failures--
      throw Object.assign(
        new Error('Throughput exceeds the current capacity'),
        { name: 'ProvisionedThroughputExceededException', $metadata: {} }
      )
    }
    return next(args)
  }, { step: 'initialize', name: 'throttle' })
  const payload = item('phone', 'smart', 'Acme', 'Throttled One', 'A phone')
  const first = await app.inject({ method: 'PUT', url: '/items/t1', payload, headers: admin })
  t.equal(first.statusCode, 503)
  t.equal(first.headers['retry-after'], '1')
  t.equal((await app.inject({ url: '/items/t1' })).statusCode, 404)
  t.same(await ids(app, 'q=throttled'), [])
  t.same((await app.inject({ url: '/categories' })).json().categories, [])
  t.equal((await app.inject({ method: 'PUT', url: '/items/t1', payload, headers: admin })).statusCode, 503)
  t.equal(
    (await app.inject({ method: 'PUT', url: '/items/t1', payload, headers: admin })).statusCode,
    201,
    'the retry goes through'
  )
  t.same(await ids(app, 'q=throttled'), ['t1'])
  t.same(await indexProblems(ddb, names), [])
})
