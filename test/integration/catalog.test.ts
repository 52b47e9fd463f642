// The catalog against DynamoDB Local: every filter combination of the seeded catalog, search,
// pagination with no gaps or repeats, cursor integrity, 404s, admin writes and atomic stock.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { sampleCatalog, seedCatalog } from '../../data/seed-catalog.js'
import type { StoredItem } from '../../domain/catalog.js'
import { matchesQuery, parseQuery } from '../../domain/search.js'

const catalog = sampleCatalog()
const admin = { authorization: '' }

type Filters = { category?: string; type?: string; brand?: string; q?: string }

function expected (f: Filters): string[] {
  return catalog.filter((i) =>
    (f.category === undefined || i.category === f.category) &&
    (f.type === undefined || i.type === f.type) &&
    (f.brand === undefined || i.brand === f.brand) &&
    (f.q === undefined || matchesQuery(i.searchWords as string, parseQuery(f.q)))).map((i) => i.id).sort()
}

/** Follows nextCursor to the end; fails on a repeated item. */
async function allPages (t: Test, app: FastifyInstance, f: Filters, limit: number): Promise<{
  ids: string[]
  pages: number
}> {
  const ids: string[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const qs = new URLSearchParams(
      { ...f, limit: String(limit), ...(cursor ? { cursor } : {}) } as Record<string, string>
    )
    const res = await app.inject({ url: `/items?${qs}` })
    t.equal(res.statusCode, 200, `page ${pages + 1} of ${qs}`)
    const body = res.json() as { items: Array<{ id: string }>; nextCursor?: string }
    t.ok(body.items.length <= limit, 'a page never exceeds the limit')
    ids.push(...body.items.map((i) => i.id))
    cursor = body.nextCursor
    pages++
    if (pages > 200) throw new Error('pagination did not end')
  } while (cursor !== undefined)
  t.equal(new Set(ids).size, ids.length, `no item repeats (${JSON.stringify(f)}, limit ${limit})`)
  return { ids: ids.sort(), pages }
}

t.test('catalog against DynamoDB Local', async (t) => {
  const tables = await createTables(t)
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const env = { ...stackEnv(), ...tables, ...issuer.env }
  const app = await build(t, { env })
  admin.authorization = `Bearer ${issuer.token({ groups: ['admin'] })}`

  const itemsTables = { items: tables.ITEMS_TABLE, catalogIndex: tables.CATALOG_INDEX_TABLE }
  t.equal(await seedCatalog(app.aws.ddb, itemsTables, { onlyIfEmpty: true }), catalog.length, 'seeds an empty table')
  t.ok(catalog.length >= 40)
  t.same(new Set(catalog.map((i) => i.category)), new Set(['phone', 'computer', 'accessories']))
  t.equal(await seedCatalog(app.aws.ddb, itemsTables, { onlyIfEmpty: true }), 0, 'leaves a seeded table alone')

  t.test('every filter combination answers exactly the matching items', async (t) => {
    const combos: Filters[] = [{}]
    for (const i of catalog) {
      combos.push({ category: i.category }, { category: i.category, type: i.type }, {
        category: i.category,
        brand: i.brand
      },
      { category: i.category, type: i.type, brand: i.brand })
    }
    const unique = [...new Map(combos.map((c) => [JSON.stringify(c), c])).values()]
    for (const f of unique) {
      const { ids } = await allPages(t, app, f, 100)
      t.same(ids, expected(f), `filter ${JSON.stringify(f)}`)
    }
    const none = await app.inject({ url: '/items?category=phone&type=tablet' })
    t.same(none.json(), { items: [] }, 'no match: an empty page without a cursor')
    const prefix = await app.inject({ url: '/items?category=phone&type=smart&brand=Appl' })
    t.same(prefix.json().items, [], 'a brand filter is not a prefix match')
  })

  t.test('search is case-insensitive over title, brand and description and combines with filters', async (t) => {
    const searches: Filters[] = [
      { q: 'TITANIUM' }, { q: 'apple' }, { q: 'IPHONE' }, { q: 'Noise Cancel' }, { q: 'usb-c' },
      { q: 'apple', category: 'computer' }, { q: 'wireless', category: 'accessories', type: 'mouse' },
      { q: 'pro', category: 'phone', brand: 'Apple' }, {
        q: 'chip',
        category: 'computer',
        type: 'laptop',
        brand: 'Apple'
      },
      { q: 'no such words anywhere' }
    ]
    for (const f of searches) {
      const { ids } = await allPages(t, app, f, 100)
      t.same(ids, expected(f), `search ${JSON.stringify(f)}`)
    }
    t.ok(
      catalog.some((i) => i.brand !== 'Apple' && expected({ q: 'IPHONE' }).includes(i.id)),
      'the search also finds other brands\' titles'
    )
    t.ok(catalog.some((i) => !/iphone/i.test(i.title) && expected({ q: 'IPHONE' }).includes(i.id)), 'and descriptions')
  })

  t.test('pages never skip or repeat, with or without filters and search', async (t) => {
    const cases: Array<[Filters, number]> = [
      [{}, 7], [{}, 1], [{ category: 'phone' }, 5], [{ category: 'computer', type: 'laptop' }, 2],
      [{ category: 'accessories', brand: 'Apple' }, 1], [{ q: 'apple' }, 2], [{ q: 'a' }, 3], [
        { category: 'phone', q: 'display' },
        4
      ]
    ]
    for (const [f, limit] of cases) {
      const { ids, pages } = await allPages(t, app, f, limit)
      const want = expected(f)
      t.same(ids, want, `${JSON.stringify(f)} limit ${limit}: every item once`)
      t.ok(pages >= Math.ceil(want.length / limit), 'paged')
    }
    const full = await app.inject({ url: `/items?limit=${catalog.length}` })
    t.equal(full.json().items.length, catalog.length)
    t.notOk('nextCursor' in full.json(), 'no cursor when the last page is exactly full')
    const first = (await app.inject({ url: '/items' })).json()
    t.equal(first.items.length, 20, 'default limit 20')
    t.notOk('stock' in first.items[0], 'shoppers see no exact stock')
    t.notOk('typeBrandId' in first.items[0] || 'searchWords' in first.items[0], 'internal attributes never leave')
    const asAdmin = (await app.inject({ url: '/items?limit=3', headers: admin })).json()
    t.type(asAdmin.items[0].stock, 'number', 'admins see the stock')
  })

  t.test('tampered, foreign and other-key cursors are 400s', async (t) => {
    const page = (await app.inject({ url: '/items?category=phone&limit=2' })).json()
    const cursor: string = page.nextCursor
    t.type(cursor, 'string')
    const [payload, sig] = cursor.split('.') as [string, string]
    const forgedKey = Buffer.from(JSON.stringify({ id: 'x', category: 'phone', typeBrandId: 'smart#Zed#x' })).toString(
      'base64url'
    )
    const attempts = {
      tampered: `${forgedKey}.${sig}`,
      truncated: cursor.slice(0, -3),
      garbage: '%%%',
      swapped: `${sig}.${payload}`
    }
    for (const [name, bad] of Object.entries(attempts)) {
      const res = await app.inject({ url: `/items?category=phone&limit=2&cursor=${encodeURIComponent(bad)}` })
      t.equal(res.statusCode, 400, name)
      t.equal(res.json().code, 'invalid_cursor', name)
    }
    for (const other of ['category=computer', 'category=phone&type=smart', 'category=phone&q=pro', '']) {
      const res = await app.inject({ url: `/items?${other}&limit=2&cursor=${encodeURIComponent(cursor)}` })
      t.equal(res.statusCode, 400, `cursor reused with ${other || 'no filter'}`)
    }
    const otherKey = await build(t, { env: { ...env, CURSOR_SIGNING_KEY: 'another-cursor-signing-key-0123' } })
    const res = await otherKey.inject({ url: `/items?category=phone&limit=2&cursor=${encodeURIComponent(cursor)}` })
    t.equal(res.statusCode, 400, 'signed with another key')
    const ok = await app.inject({ url: `/items?category=phone&limit=2&cursor=${encodeURIComponent(cursor)}` })
    t.equal(ok.statusCode, 200, 'the genuine cursor still works')
  })

  t.test('admin writes: create, replace (index follows), delete, and 404s', async (t) => {
    const body = {
      category: 'phone',
      type: 'smart',
      brand: 'Fairphone',
      title: 'Fairphone 5',
      description: 'Repairable phone with modular parts',
      colorPreference: [{ colorCode: '#222', displayValue: 'Matte Black' }],
      price: 69900,
      currency: 'EUR',
      storage: '256GB'
    }
    const created = await app.inject({ method: 'POST', url: '/items', payload: { ...body, stock: 3 }, headers: admin })
    t.equal(created.statusCode, 201)
    const id: string = created.json().id
    t.match((await app.inject({ url: `/items/${id}`, headers: admin })).json(), { ...body, stock: 3, inStock: true })
    const { storage: _s, ...replacement } = { ...body, type: 'rugged', title: 'Fairphone 5 Rugged' }
    const replaced = await app.inject({ method: 'PUT', url: `/items/${id}`, payload: replacement, headers: admin })
    t.equal(replaced.statusCode, 200)
    t.match(replaced.json(), { type: 'rugged', stock: 3, createdAt: created.json().createdAt })
    t.notOk('storage' in replaced.json(), 'an omitted storage is removed')
    const rugged = (await app.inject({ url: '/items?category=phone&type=rugged&brand=Fairphone' })).json()
    t.same(rugged.items.map((i: StoredItem) => i.id), [id], 'the index follows the new type')
    t.same((await app.inject({ url: '/items?category=phone&type=smart&brand=Fairphone' })).json().items, [])
    t.same((await app.inject({ url: '/items?q=modular' })).json().items.map((i: StoredItem) => i.id), [id])
    t.equal((await app.inject({ method: 'DELETE', url: `/items/${id}`, headers: admin })).statusCode, 204)
    const gone = await app.inject({ url: `/items/${id}` })
    t.equal(gone.statusCode, 404)
    t.equal(gone.json().code, 'item_not_found')
    t.equal(
      (await app.inject({ method: 'DELETE', url: `/items/${id}`, headers: admin })).statusCode,
      204,
      'a retried DELETE succeeds'
    )
    t.equal(
      (await app.inject({
        method: 'POST',
        url: `/items/${id}/stock`,
        payload: { delta: 1 },
        headers: admin
      })).statusCode,
      404,
      'stock never creates'
    )
    t.equal((await app.inject({ url: `/items/${id}`, headers: admin })).statusCode, 404, 'nothing was recreated')
    const again = await app.inject({
      method: 'PUT',
      url: `/items/${id}`,
      payload: { ...replacement, stock: 2 },
      headers: admin
    })
    t.equal(again.statusCode, 201, 'PUT creates an absent item')
    t.equal(again.headers.location, `/items/${id}`)
    t.match(again.json(), { stock: 2, title: 'Fairphone 5 Rugged' })
    t.equal((await app.inject({ method: 'DELETE', url: `/items/${id}`, headers: admin })).statusCode, 204)
  })

  t.test('30 concurrent decrements of stock 10: exactly 10 succeed, never below zero', async (t) => {
    const created = await app.inject({
      method: 'POST',
      url: '/items',
      headers: admin,
      payload: {
        category: 'accessories',
        type: 'cable',
        brand: 'Acme',
        title: 'Race cable',
        description: '',
        colorPreference: [],
        price: 100,
        currency: 'USD',
        stock: 10
      }
    })
    const id: string = created.json().id
    const results = await Promise.all(Array.from({ length: 30 }, async () =>
      app.inject({ method: 'POST', url: `/items/${id}/stock`, payload: { delta: -1 }, headers: admin })))
    const ok = results.filter((r) => r.statusCode === 200)
    const conflicts = results.filter((r) => r.statusCode === 409)
    t.equal(ok.length, 10)
    t.equal(conflicts.length, 20)
    t.same(
      ok.map((r) => r.json().stock).sort((a: number, b: number) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      'each success saw a distinct stock'
    )
    t.match(conflicts[0]?.json(), { code: 'insufficient_stock', currentStock: 0 })
    const after = (await app.inject({ url: `/items/${id}`, headers: admin })).json()
    t.equal(after.stock, 0)
    t.equal(after.inStock, false)
    const up = await app.inject({ method: 'POST', url: `/items/${id}/stock`, payload: { delta: 5 }, headers: admin })
    t.equal(up.json().stock, 5)
    const tooMany = await app.inject({
      method: 'POST',
      url: `/items/${id}/stock`,
      payload: { delta: -6 },
      headers: admin
    })
    t.equal(tooMany.statusCode, 409)
    t.match(tooMany.json(), { currentStock: 5, detail: /has 5 in stock/ })
  })

  t.test('GET /categories lists each category with its types, brands and count', async (t) => {
    const res = await app.inject({ url: '/categories' })
    t.equal(res.statusCode, 200)
    const phone = res.json().categories.find((c: { category: string }) => c.category === 'phone')
    const phones = catalog.filter((i) => i.category === 'phone')
    t.equal(phone.count, phones.length)
    t.same(phone.types, [...new Set(phones.map((i) => i.type))].sort())
    t.same(phone.brands, [...new Set(phones.map((i) => i.brand))].sort((a, b) => a.localeCompare(b)))
  })
})

t.test('npm run seed loads a given table at a given endpoint, and --only-if-empty leaves it alone', async (t) => {
  const { execFile } = await import('node:child_process')
  const { promisify } = await import('node:util')
  const tables = await createTables(t)
  const { DYNAMODB_ENDPOINT } = stackEnv()
  const run = async (...extra: string[]) => promisify(execFile)(process.execPath,
    [
      '--import',
      'tsx',
      'scripts/seed.ts',
      '--endpoint',
      DYNAMODB_ENDPOINT as string,
      '--table',
      tables.ITEMS_TABLE,
      '--index-table',
      tables.CATALOG_INDEX_TABLE,
      ...extra
    ],
    { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, timeout: 60_000 })
  t.match((await run()).stdout, `seeded ${catalog.length} items into ${tables.ITEMS_TABLE}`)
  t.match((await run('--only-if-empty')).stdout, 'already has items; nothing written')
  const app = await build(t, { env: { ...stackEnv(), ...tables } })
  const { ids } = await allPages(t, app, {}, 100)
  t.same(ids, expected({}), 'the table holds exactly the sample catalog')
})
