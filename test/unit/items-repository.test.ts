// Pagination over fakes of DynamoDB that apply Limit before the filter, as DynamoDB does: the
// brand-filtered category list and the search over the token index neither skip nor repeat,
// including sparse ones that hit the round cap and prefixes that give one item several rows.
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
  BatchGetCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand, type BatchGetCommandInput, type QueryCommandInput
} from '@aws-sdk/lib-dynamodb'
import { createItemsRepository } from '../../data/items-repository.js'
import { createItemsSearch } from '../../data/items-search.js'
import { compareUtf8, parseQuery } from '../../domain/search.js'
import { indexStateOf, searchRows, type SearchRow } from '../../domain/catalog-index-rows.js'
import { toStoredItem, type StoredItem } from '../../domain/catalog.js'

const TABLES = { items: 'items', catalogIndex: 'catalog-index' }

function client () {
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
  )
  return { ddb, mock: mockClient(ddb) }
}

/**
 * Evaluates up to Limit rows from the start key, then filters, like DynamoDB; a key whenever Limit rows were evaluated.
 */
function page<T> (
  sorted: T[],
  keyOf: (r: T) => string,
  input: { Limit?: number; ExclusiveStartKey?: Record<string, unknown> },
  startOf: (k: Record<string, unknown>) => string,
  keep: (r: T) => boolean
) {
  const start = input.ExclusiveStartKey === undefined
    ? 0
    : sorted.findIndex((r) =>
      keyOf(r) === startOf(input.ExclusiveStartKey as Record<string, unknown>)) + 1
  const evaluated = sorted.slice(start, start + (input.Limit ?? sorted.length))
  const last = evaluated[evaluated.length - 1]
  return {
    Items: evaluated.filter(keep),
    LastEvaluatedKey: last !== undefined && evaluated.length === input.Limit ? last : undefined
  }
}

const make = (n: number, brand: string, title = `Item ${n}`): StoredItem => toStoredItem(`item-${String(n).padStart(
  5,
  '0'
)}`, {
  category: 'phone', type: 'smart', brand, title, description: '', colorPreference: [], price: 1, currency: 'USD'
}, 1, 'a', 'b')

function fakeCategory (items: StoredItem[]) {
  const { ddb, mock } = client()
  const sorted = [...items].sort((a, b) => a.typeBrandId.localeCompare(b.typeBrandId))
  mock.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const brand = input.ExpressionAttributeValues?.[':brand']
    const res = page(sorted, (i) => i.id, input, (k) => k.id as string, (i) => brand === undefined || i.brand === brand)
    return {
      ...res,
      LastEvaluatedKey: res.LastEvaluatedKey === undefined
        ? undefined
        : {
            id: res.LastEvaluatedKey.id,
            category: 'phone',
            typeBrandId: res.LastEvaluatedKey.typeBrandId
          }
    }
  })
  return { repo: createItemsRepository(ddb, TABLES), mock }
}

async function collect (
  next: (key?: Record<string, unknown>) => Promise<{ items: StoredItem[]; lastKey?: Record<string, unknown> }>,
  limit: number
) {
  const ids: string[] = []
  let key: Record<string, unknown> | undefined
  let pages = 0
  do {
    const p = await next(key)
    t.ok(p.items.length <= limit)
    ids.push(...p.items.map((i) => i.id))
    key = p.lastKey
    pages++
  } while (key !== undefined && pages < 1000)
  return { ids, pages }
}

t.test('a brand-filtered page fills across round trips and resumes after its last returned item', async (t) => {
  const items = Array.from({ length: 300 }, (_, n) => make(n, n % 3 === 0 ? 'Match' : 'Other'))
  const { repo } = fakeCategory(items)
  const { ids } = await collect((key) => repo.list({ category: 'phone', brand: 'Match' }, 5, key), 5)
  t.same(ids, items.filter((i) => i.brand === 'Match').map((i) => i.id), 'every match once, in order')
  const first = await repo.list({ category: 'phone', brand: 'Match' }, 5)
  t.same(
    first.lastKey,
    { id: first.items[4]?.id, category: 'phone', typeBrandId: first.items[4]?.typeBrandId },
    'the cursor is the last returned item'
  )
})

t.test('a sparse filter stops after a bounded number of round trips without losing matches', async (t) => {
  const items = Array.from({ length: 3000 }, (_, n) => make(n, n % 700 === 5 ? 'Rare' : 'Common'))
  const { repo, mock } = fakeCategory(items)
  const first = await repo.list({ category: 'phone', brand: 'Rare' }, 10)
  t.equal(mock.commandCalls(QueryCommand).length, 10, 'at most 10 round trips per request')
  t.ok(first.items.length < 10 && first.lastKey !== undefined, 'a short page that says there is more')
  const { ids } = await collect((key) => repo.list({ category: 'phone', brand: 'Rare' }, 10, key), 10)
  t.same(ids, items.filter((i) => i.brand === 'Rare').map((i) => i.id))
})

t.test('unfiltered pages are one Scan page that asks for one extra item', async (t) => {
  const { ddb, mock } = client()
  const items = Array.from({ length: 9 }, (_, n) => make(n, 'x'))
  mock.on(ScanCommand).callsFake((input) => page(items, (i) => i.id, input, (k) => k.id as string, () => true))
  const repo = createItemsRepository(ddb, TABLES)
  const { ids, pages } = await collect((key) => repo.list({}, 3, key), 3)
  t.same(ids, items.map((i) => i.id))
  t.equal(pages, 3, 'no empty fourth page')
  t.equal(mock.commandCalls(ScanCommand)[0]?.args[0].input.Limit, 4)
  t.equal(mock.commandCalls(ScanCommand).length, 3, 'one bounded read per page')
})

t.test('a start key of the wrong shape is an invalid cursor, not a DynamoDB error', async (t) => {
  const { repo, mock } = fakeCategory([])
  await t.rejects(repo.list({}, 3, { id: 'a', extra: 'b' }), { status: 400, code: 'invalid_cursor' })
  await t.rejects(repo.list({ category: 'phone' }, 3, { id: 'a' }), { status: 400, code: 'invalid_cursor' })
  await t.rejects(repo.list({}, 3, { id: 5 }), { status: 400, code: 'invalid_cursor' })
  const search = createItemsSearch(client().ddb, TABLES)
  await t.rejects(search.search(parseQuery('pixel'), {}, 3, { id: 'a' }), { status: 400, code: 'invalid_cursor' })
  await t.rejects(
    search.search(parseQuery('pixel'), {}, 3, { pk: 'w#q', sk: 'pixel#a' }),
    { status: 400, code: 'invalid_cursor' },
    'another partition'
  )
  await t.rejects(
    search.search(parseQuery('pixel'), {}, 3, { pk: 'w#p', sk: 'pix#a' }),
    { status: 400, code: 'invalid_cursor' },
    'another key range'
  )
  t.equal(mock.calls().length, 0)
})

/** A token index over `items`, answering Query with Limit before the filter and BatchGet from the items. */
function fakeIndex (items: StoredItem[]) {
  const { ddb, mock } = client()
  const rows = items.flatMap((i) => searchRows(indexStateOf(i))).sort((a, b) =>
    a.pk === b.pk ? compareUtf8(a.sk, b.sk) : compareUtf8(a.pk, b.pk))
  const byId = new Map(items.map((i) => [i.id, i]))
  mock.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const v = input.ExpressionAttributeValues as Record<string, string>
    const range = rows.filter((r) =>
      r.pk === v[':pk'] && compareUtf8(r.sk, v[':from'] as string) >= 0 && compareUtf8(r.sk, v[':to'] as string) <= 0)
    const keep = (r: SearchRow): boolean => Object.entries(v).every(([name, value]) => {
      if (name === ':pk' || name === ':from' || name === ':to') return true
      if (name === ':c' || name === ':t' || name === ':b') return r[name.slice(1) as 'c' | 't' | 'b'] === value
      return r.ws.includes(value)
    })
    const res = page(range, (r) => r.sk, input, (k) => k.sk as string, keep)
    return {
      ...res,
      LastEvaluatedKey: res.LastEvaluatedKey === undefined
        ? undefined
        : {
            pk: res.LastEvaluatedKey.pk,
            sk: res.LastEvaluatedKey.sk
          }
    }
  })
  mock.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => ({
    Responses: {
      items: (input.RequestItems?.items?.Keys ?? []).flatMap((k) =>
        byId.has(k.id as string) ? [byId.get(k.id as string)] : [])
    }
  }))
  return { search: createItemsSearch(ddb, TABLES), mock, byId }
}

t.test('a search pages through the token index: every match once, in a stable order, several words, a ' +
  'prefix', async (t) => {
  const items = Array.from({ length: 400 }, (_, n) => make(n, n % 2 === 0 ? 'Google' : 'Acme',
    n % 5 === 0 ? `Pixel ${n} pixels pixelbook` : n % 5 === 1 ? `Pixie ${n}` : `Phone ${n}`))
  const { search } = fakeIndex(items)
  for (const [q, limit] of [['pixel', 7], ['pix', 6], ['google pix', 5], ['pixie', 50], ['phone acme', 9]] as const) {
    const query = parseQuery(q)
    const { ids } = await collect((key) => search.search(query, {}, limit, key), limit)
    const want = items.filter((i) => {
      const words = i.searchWords as string
      return query.exact.every((w) => words.includes(` ${w} `)) && (query.prefix === undefined || words.includes(
        ` ${query.prefix}`
      ))
    }).map((i) => i.id)
    t.same([...ids].sort(), [...want].sort(), `q=${q}: every match`)
    t.equal(
      new Set(ids).size,
      ids.length,
      `q=${q}: none twice (an item with pixel, pixels and pixelbook has three rows under pix)`
    )
    const again = await collect((key) => search.search(query, {}, limit, key), limit)
    t.same(again.ids, ids, `q=${q}: the same order every time`)
  }
  const filtered = await collect(
    (key) => search.search(parseQuery('pix'), { category: 'phone', brand: 'Acme' }, 4, key),
    4
  )
  t.same(
    filtered.ids.sort(),
    items.filter((i) => i.brand === 'Acme' && /^Pix/.test(i.title)).map((i) => i.id).sort(),
    'with filters'
  )
})

t.test('a sparse search stops after a bounded number of round trips, and an item deleted meanwhile is left out', async (
  t
) => {
  const items = Array.from({ length: 3000 }, (_, n) => make(n, n % 700 === 5 ? 'Rare' : 'Common', 'Phone'))
  const { search, mock, byId } = fakeIndex(items)
  const first = await search.search(parseQuery('phone rare'), {}, 10)
  t.equal(mock.commandCalls(QueryCommand).length, 10, 'at most 10 round trips per request')
  t.ok(first.items.length < 10 && first.lastKey !== undefined, 'a short page that says there is more')
  const { ids } = await collect((key) => search.search(parseQuery('phone rare'), {}, 10, key), 10)
  t.same(ids, items.filter((i) => i.brand === 'Rare').map((i) => i.id))
  byId.delete('item-00005')
  const after = await collect((key) => search.search(parseQuery('phone rare'), {}, 10, key), 10)
  t.same(after.ids, ids.slice(1), 'its row was read, the item was gone: not in the page')
})
