// Scale: does a first page stay as fast, and read as much, when the data grows? p50 of
// GET /items?category=, of searches (one word, two words, a prefix) and of GET /categories with
// 10,000 items against 100, and of GET /orders for a user with 1,000 orders against 10; the read
// units each catalog read consumes at both sizes; and the write units of one item create, replace
// and delete before and after the catalog index. Each side has its own tables (seeded with
// parallel BatchWrites, in the shapes data/ stores: items, their index rows and counters) and its
// own API process; requests go one at a time, alternating between the sides in blocks.
import { randomUUID } from 'node:crypto'
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { stubOrder } from '../lib/aws-stub.js'
import {
  batchPut,
  freshTables,
  requireStack,
  startApi,
  type BenchApi,
  type BenchStack,
  type BenchTables
} from '../lib/stack.js'
import { summarize } from '../lib/stats.js'
import { compare, type BenchCase, type Row } from '../lib/types.js'
import { meteredClient } from '../lib/capacity.js'
import { measureItemWrites } from '../lib/item-writes.js'
import { toStoredItem, type StoredItem } from '../../domain/catalog.js'
import {
  COUNTS_PARTITION, WORD_STATS_PARTITION, indexChange, indexStateOf, searchRows
} from '../../domain/catalog-index-rows.js'
import { parseQuery } from '../../domain/search.js'
import { createItemsSearch } from '../../data/items-search.js'
import { newStamp, readCategories } from '../../data/catalog-index-table.js'

const CATEGORY = 'bench'
const PAGE = 20
// Every item has "camera"; a quarter are Pixels: the searches' first pages are as dense at both
// sizes, so they must cost the same.
const MODELS = ['Pixel', 'Galaxy', 'iPhone', 'Lumia'] as const
const BRANDS = ['Google', 'Samsung', 'Apple', 'Nokia'] as const
export const SEARCHES = [
  { name: 'q one word', q: 'camera', label: 'GET /items?q=camera (one word)' },
  { name: 'q two words', q: 'pixel camera', label: 'GET /items?q=pixel+camera (two words)' },
  { name: 'q prefix', q: 'pix', label: 'GET /items?q=pix (a prefix)' }
] as const

/**
 * A rare word (`7`: 2 % of the titles) beside a common one (`camera`: every item): read units only
 * (its pages are short at 100 items). What it costs depends on which word drives the search.
 */
export const COMMON_WORD = {
  name: 'q common word', q: '7 camera', label: 'GET /items?q=7+camera (a rare and a common word)'
} as const

export function benchItem (i: number): StoredItem {
  const m = i % MODELS.length
  return toStoredItem(`bench-${String(i).padStart(6, '0')}`, {
    category: CATEGORY,
    type: i % 2 === 0 ? 'smart' : 'feature',
    brand: BRANDS[m] as string,
    title: `${MODELS[m] as string} ${i % 50}`,
    description: 'A phone with a camera and a battery that lasts the day.',
    storage: '128 GB',
    colorPreference: [{ colorCode: 'BLK', displayValue: 'Black' }, { colorCode: 'BLU', displayValue: 'Blue' }],
    price: 79900,
    currency: 'EUR'
  }, 100000, '2024-11-25T06:00:00.000Z', '2024-11-25T06:00:00.000Z')
}

/** The catalog index of these items, as the repository's transactions (and the repair) would have written it. */
function indexOf (items: StoredItem[]): Array<Record<string, unknown>> {
  const counts = new Map<string, number>()
  const words = new Map<string, number>()
  const rows: Array<Record<string, unknown>> = []
  for (const item of items) {
    const state = indexStateOf(item)
    rows.push(...searchRows(state).map((r) => ({ ...r })))
    for (const { sk, delta } of indexChange(undefined, state).counts) counts.set(sk, (counts.get(sk) ?? 0) + delta)
    for (const word of state.words.split(' ')) if (word !== '') words.set(word, (words.get(word) ?? 0) + 1)
  }
  // The word statistics, as `npm run backfill-index` writes them.
  // Counter rows with their stamp `v`, as every write stores them (their size is what GET /categories reads).
  return [...rows, ...[...counts.entries()].map(([sk, n]) => ({ pk: COUNTS_PARTITION, sk, n, v: newStamp() })),
    ...[...words.entries()].map(([sk, n]) => ({ pk: WORD_STATS_PARTITION, sk, n }))]
}

interface Side { label: string; items: number; orders: number; tables: BenchTables; api: BenchApi }

export function sizes (quick: boolean): {
  big: { items: number; orders: number }
  small: { items: number; orders: number }
} {
  return quick
    ? { big: { items: 1000, orders: 100 }, small: { items: 100, orders: 10 } }
    : { big: { items: 10_000, orders: 1000 }, small: { items: 100, orders: 10 } }
}

async function side (stack: BenchStack, label: string, items: number, orders: number, userId: string): Promise<Side> {
  const tables = await freshTables(stack, label)
  try {
    const catalog = Array.from({ length: items }, (_, i) => benchItem(i))
    await Promise.all([
      batchPut(stack.ddb, tables.names.items, catalog as unknown as Array<Record<string, unknown>>),
      batchPut(stack.ddb, tables.names.catalogIndex, indexOf(catalog)),
      batchPut(stack.ddb, tables.names.orders, Array.from({ length: orders }, (_, i) => stubOrder(i, userId)))
    ])
    // The search limiter stays on (its write is part of a search's cost), high enough for the
    // case's hundreds of searches from one address.
    const api = await startApi(stack, { ...tables.env, RATE_LIMIT_SEARCH_PER_IP: '1000000' })
    return { label, items, orders, tables, api }
  } catch (err) {
    await tables.drop()
    throw err
  }
}

type List = 'items' | 'orders' | 'categories'

/** One request's latency in ms; the answer is checked, so a fast error never passes for a fast page. */
async function timed (url: string, headers: Record<string, string>, expected: number, list: List): Promise<number> {
  const t = performance.now()
  const res = await fetch(url, { headers })
  const body = await res.json() as Record<string, unknown[] | undefined>
  const ms = performance.now() - t
  if (res.status !== 200 || body[list]?.length !== expected) {
    throw new Error(
      `GET ${new URL(url).pathname} answered ${res.status} with ${body[list]?.length ??
        'no'} ${list}, expected ${expected}`
    )
  }
  return ms
}

/**
 * The read units of each catalog read at both sizes: the calls the routes make (the search, the
 * counters' Query), made here with a client that asks DynamoDB Local for ReturnConsumedCapacity.
 */
async function readUnits (stack: BenchStack, big: Side, small: Side): Promise<Row[]> {
  const metered = meteredClient(stack.dynamodbEndpoint)
  try {
    const measure = async (
      s: Side,
      read: (tables: { items: string; catalogIndex: string }) => Promise<unknown>
    ): Promise<number> => {
      metered.reset()
      await read({ items: s.tables.names.items, catalogIndex: s.tables.names.catalogIndex })
      return metered.readUnits()
    }
    const reads = [
      ...[...SEARCHES, COMMON_WORD].map((q) => ({
        label: q.label,
        calls: 'the index Query and the page\'s BatchGetItem',
        read: async (tables: { items: string; catalogIndex: string }) =>
          createItemsSearch(metered.ddb, tables).search(parseQuery(q.q), {}, PAGE)
      })),
      {
        label: 'GET /categories',
        calls: 'the counters\' Query',
        read: async (tables: { items: string; catalogIndex: string }) => readCategories(
          metered.ddb,
          tables.catalogIndex
        )
      },
      {
        label: 'GET /categories before the catalog index',
        calls: 'the Scan of every item it made then (three attributes projected; DynamoDB bills the whole item)',
        read: async (tables: { items: string; catalogIndex: string }) => scanCategories(metered.ddb, tables.items)
      }
    ]
    const rows: Row[] = []
    for (const r of reads) {
      const [atBig, atSmall] = [await measure(big, r.read), await measure(small, r.read)]
      // The common-word query's cost follows how rare its rare word is, not the catalog: reported.
      const before = r.label.includes('before') || r.label === COMMON_WORD.label
      rows.push({
        case: 'scale',
        measured: `${r.label}: read capacity per request, ${big.items} items`,
        unit: 'RCU',
        summary: summarize([atBig]),
        baseline: { name: `${small.items} items`, summary: summarize([atSmall]) },
        ratio: atBig / atSmall,
        better: 'lower',
        target: before ? 'report' : 'the same',
        ...(before ? {} : { pass: atBig === atSmall }),
        note: `ReturnConsumedCapacity (eventually consistent reads) of the calls the route makes: ${r.calls}`
      })
    }
    return rows
  } finally {
    metered.destroy()
  }
}

/** GET /categories as it was before the catalog index: a Scan of the whole items table. */
async function scanCategories (ddb: DynamoDBDocumentClient, table: string): Promise<number> {
  let rows = 0
  let startKey: Record<string, unknown> | undefined
  do {
    const res = await ddb.send(new ScanCommand({
      TableName: table,
      ProjectionExpression: '#c, #t, #b',
      ExpressionAttributeNames: {
        '#c': 'category',
        '#t': 'type',
        '#b': 'brand'
      },
      ExclusiveStartKey: startKey
    }))
    rows += res.Items?.length ?? 0
    startKey = res.LastEvaluatedKey
  } while (startKey !== undefined)
  return rows
}

export const scale: BenchCase = {
  name: 'scale',
  needsStack: true,
  async run (ctx) {
    const stack = requireStack(ctx)
    const size = sizes(ctx.quick)
    const userId = `bench-user-${randomUUID()}`
    const token = stack.issuer.token({ sub: userId, email: `${userId}@bench.example.com` })
    const seedStarted = performance.now()
    // Both sides at once: DynamoDB Local and the API processes start-up share the two cores well.
    const started = await Promise.allSettled([
      side(stack, 'big', size.big.items, size.big.orders, userId),
      side(stack, 'small', size.small.items, size.small.orders, userId)
    ])
    const ready = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    try {
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed !== undefined) throw failed.reason
      const [big, small] = ready as [Side, Side]
      const seedS = (performance.now() - seedStarted) / 1000
      ctx.log(
        `scale: seeded ${size.big.items} + ${size.small.items} items, ${size.big.orders} + ` +
          `${size.small.orders} orders and started 2 APIs in ${seedS.toFixed(1)} s`
      )
      const perSide = ctx.quick ? 20 : 200
      const block = ctx.quick ? 10 : 20
      const queries: Array<{
        name: string
        path: string
        headers: Record<string, string>
        count: (s: Side) => number
        list: List
      }> = [
        {
          name: 'items',
          path: `/items?category=${CATEGORY}`,
          headers: {},
          count: (s: Side) => Math.min(PAGE, s.items),
          list: 'items'
        },
        ...SEARCHES.map((q) =>
          ({
            name: q.name,
            path: `/items?q=${encodeURIComponent(q.q)}`,
            headers: {},
            count: () => PAGE,
            list: 'items' as const
          })),
        { name: 'categories', path: '/categories', headers: {}, count: () => 1, list: 'categories' },
        {
          name: 'orders',
          path: '/orders',
          headers: { authorization: `Bearer ${token}` },
          count: (s: Side) => Math.min(PAGE, s.orders),
          list: 'orders'
        }
      ]
      const samples = new Map<string, number[]>()
      const sides = [big, small]
      // One unmeasured block per side and query first (JIT, connections, the JWKS' first read).
      for (let done = -block; done < perSide; done += block) {
        for (const q of queries) {
          for (const s of sides) {
            const key = `${q.name} ${s.label}`
            const list = samples.get(key) ?? []
            samples.set(key, list)
            for (let i = 0; i < block; i++) {
              const ms = await timed(`${s.api.url}${q.path}`, q.headers, q.count(s), q.list)
              if (done >= 0) list.push(ms)
            }
          }
        }
      }
      const row = (q: string, measured: string, what: string): Row => compare({
        case: 'scale',
        measured,
        unit: 'ms',
        summary: summarize(samples.get(`${q} big`) ?? []),
        baseline: { name: `${what} (small)`, summary: summarize(samples.get(`${q} small`) ?? []) },
        better: 'lower',
        target: '<= 1.2x',
        note: `p50 of ${perSide} sequential requests per side (min-max of single requests)` +
          (ctx.quick
            ? `; --quick: ${size.big.items} items and ${size.big.orders} orders instead of 10,000 and ` +
            '1,000'
            : '')
      }, 1.2)
      const capacity = await readUnits(stack, big, small)
      const writes = await measureItemWrites(stack)
      const writeRow = (measured: string, key: keyof typeof writes.after): Row => compare({
        case: 'scale',
        measured: `item ${measured}: write capacity`,
        unit: 'WCU',
        summary: summarize([writes.after[key]]),
        baseline: { name: 'before the catalog index', summary: summarize([writes.before[key]]) },
        better: 'lower',
        target: 'report',
        note: `${writes.item}; transactions replayed action by action on DynamoDB Local (2 units per KB written in ` +
          'a transaction), indexes included'
      })
      return [
        row('items', `GET /items?category= first page, ${size.big.items} items: p50`, `${size.small.items} items`),
        ...SEARCHES.map((q) => row(
          q.name,
          `${q.label} first page, ${size.big.items} items: p50`,
          `${size.small.items} items`
        )),
        row('categories', `GET /categories, ${size.big.items} items: p50`, `${size.small.items} items`),
        row(
          'orders',
          `GET /orders first page, ${size.big.orders} orders of the user: p50`,
          `${size.small.orders} orders`
        ),
        ...capacity,
        writeRow('create', 'create'),
        writeRow('replace (new title and description)', 'replaceWords'),
        writeRow('replace (price only)', 'replacePrice'),
        writeRow('delete', 'delete')
      ]
    } finally {
      for (const s of ready) {
        await s.api.stop()
        await s.tables.drop()
      }
    }
  }
}
