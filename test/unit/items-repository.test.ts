// Pagination over a fake DynamoDB that applies Limit before the filter, as DynamoDB does: proves
// that filtered pages neither skip nor repeat, including sparse searches that hit the round cap.
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, ScanCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb'
import { createItemsRepository } from '../../data/items-repository.js'
import { toStoredItem, type StoredItem } from '../../domain/catalog.js'

function fakeTable (items: StoredItem[]) {
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }))
  const mock = mockClient(ddb)
  const sorted = [...items].sort((a, b) => a.id.localeCompare(b.id))
  mock.on(ScanCommand).callsFake((input: ScanCommandInput) => {
    const start = input.ExclusiveStartKey === undefined ? 0 : sorted.findIndex((i) => i.id === input.ExclusiveStartKey?.id) + 1
    const evaluated = sorted.slice(start, start + (input.Limit ?? sorted.length))
    const q = input.ExpressionAttributeValues?.[':q'] as string | undefined
    const last = evaluated[evaluated.length - 1]
    return {
      Items: evaluated.filter((i) => q === undefined || i.searchText.includes(q)),
      // Like DynamoDB: a key whenever Limit items were evaluated, even at the very end.
      LastEvaluatedKey: last !== undefined && evaluated.length === input.Limit ? { id: last.id } : undefined
    }
  })
  return { repo: createItemsRepository(ddb, 'items'), mock }
}

const make = (n: number, word: string): StoredItem => toStoredItem(`item-${String(n).padStart(5, '0')}`, {
  category: 'phone', type: 'smart', brand: 'Acme', title: `${word} ${n}`, description: '', colorPreference: [], price: 1, currency: 'USD'
}, 1, 'a', 'b')

async function collect (repo: ReturnType<typeof fakeTable>['repo'], q: string | undefined, limit: number) {
  const ids: string[] = []
  let startKey: Record<string, unknown> | undefined
  let pages = 0
  do {
    const page = await repo.list(q === undefined ? {} : { q }, limit, startKey)
    t.ok(page.items.length <= limit)
    ids.push(...page.items.map((i) => i.id))
    startKey = page.lastKey
    pages++
  } while (startKey !== undefined && pages < 1000)
  return { ids, pages }
}

t.test('a filtered page fills across round trips and resumes after its last returned item', async (t) => {
  // Every third item matches: a page of 5 needs more than one batch only if batches were small,
  // and truncation must resume right after the fifth match, not after the batch.
  const items = Array.from({ length: 300 }, (_, n) => make(n, n % 3 === 0 ? 'match' : 'other'))
  const { repo } = fakeTable(items)
  const { ids } = await collect(repo, 'match', 5)
  const want = items.filter((i) => i.title.startsWith('match')).map((i) => i.id)
  t.same(ids, want, 'every match once, in order')
  const first = await repo.list({ q: 'MATCH' }, 5)
  t.same(first.lastKey, { id: first.items[4]?.id }, 'the cursor is the last returned item')
})

t.test('a sparse search stops after a bounded number of round trips without losing matches', async (t) => {
  const items = Array.from({ length: 3000 }, (_, n) => make(n, n % 700 === 5 ? 'rare' : 'common'))
  const { repo, mock } = fakeTable(items)
  const first = await repo.list({ q: 'rare' }, 10)
  t.equal(mock.commandCalls(ScanCommand).length, 10, 'at most 10 round trips per request')
  t.ok(first.items.length < 10 && first.lastKey !== undefined, 'a short page that says there is more')
  mock.resetHistory()
  const { ids } = await collect(repo, 'rare', 10)
  t.same(ids, items.filter((i) => i.title.startsWith('rare')).map((i) => i.id))
})

t.test('unfiltered pages ask for one extra item so the last page has no cursor', async (t) => {
  const items = Array.from({ length: 9 }, (_, n) => make(n, 'x'))
  const { repo, mock } = fakeTable(items)
  const { ids, pages } = await collect(repo, undefined, 3)
  t.same(ids, items.map((i) => i.id))
  t.equal(pages, 3, 'no empty fourth page')
  t.equal(mock.commandCalls(ScanCommand)[0]?.args[0].input.Limit, 4)
})

t.test('a start key of the wrong shape is an invalid cursor, not a DynamoDB error', async (t) => {
  const { repo, mock } = fakeTable([])
  await t.rejects(repo.list({}, 3, { id: 'a', extra: 'b' }), { status: 400, code: 'invalid_cursor' })
  await t.rejects(repo.list({ category: 'phone' }, 3, { id: 'a' }), { status: 400, code: 'invalid_cursor' })
  await t.rejects(repo.list({}, 3, { id: 5 }), { status: 400, code: 'invalid_cursor' })
  t.equal(mock.calls().length, 0)
})
