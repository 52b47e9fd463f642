// Faults the emulator can't produce, injected with aws-sdk-client-mock: a transaction that
// conflicts or is throttled, an item that changes between its read and its transaction, a
// failing clean-up. The index is only ever written inside the item's transaction, so whatever
// fails, the item and its index rows change together or not at all.
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb'
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand
} from '@aws-sdk/lib-dynamodb'
import { createItemsRepository } from '../../data/items-repository.js'
import { toStoredItem, type ItemInput } from '../../domain/catalog.js'

const TABLES = { items: 'items', catalogIndex: 'catalog-index' }
const INPUT: ItemInput = {
  category: 'phone',
  type: 'smart',
  brand: 'Acme',
  title: 'Acme One',
  description: 'A phone',
  colorPreference: [],
  price: 100,
  currency: 'USD'
}
const NOW = '2025-01-01T00:00:00.000Z'

function setup () {
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
  )
  const mock = mockClient(ddb)
  return { repo: createItemsRepository(ddb, TABLES), mock }
}

const cancelled = (...codes: string[]): TransactionCanceledException => new TransactionCanceledException({
  message: 'Transaction cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code }))
})

/** The commands sent, by name: proves nothing was written outside a transaction. */
const sent = (mock: ReturnType<typeof setup>['mock']): string[] =>
  mock.calls().map((c) => (c.args[0] as object).constructor.name)

t.test('a transaction cancelled by a conflict is retried whole, and the item is written once with its ' +
  'rows', async (t) => {
  const { repo, mock } = setup()
  mock.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'TransactionConflict')).rejectsOnce(
    cancelled('TransactionConflict')
  ).resolves({})
  const item = await repo.create('x1', INPUT, 3, NOW)
  t.equal(item.id, 'x1')
  t.same(sent(mock), ['TransactWriteCommand', 'TransactWriteCommand', 'TransactWriteCommand'], 'only transactions')
  const [a, b, c] = mock.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems)
  t.same(a, c, 'each attempt is the same transaction')
  t.same(b, c)
  t.equal(c?.length, 1 + 4 + 3, 'the item, its 4 word rows and its 3 counters')
})

t.test('a throttled transaction ends in a 503 and writes nothing anywhere', async (t) => {
  const { repo, mock } = setup()
  mock.on(TransactWriteCommand).rejects(
    Object.assign(
      new Error('Throughput exceeds the current capacity'),
      { name: 'ProvisionedThroughputExceededException' }
    )
  )
  await t.rejects(
    repo.create('x1', INPUT, 3, NOW),
    { status: 503, code: 'service_busy', headers: { 'retry-after': '1' } }
  )
  mock.reset()
  mock.on(GetCommand).resolves({})
  mock.on(TransactWriteCommand).rejects(cancelled('ThrottlingError', 'None'))
  await t.rejects(repo.put('x1', INPUT, 3, NOW), { status: 503, code: 'service_busy' }, 'throttled on every retry')
  t.same([...new Set(sent(mock))].sort(), ['GetCommand', 'TransactWriteCommand'], 'no write outside the transaction')
})

t.test('an item changed between its read and its transaction is read again; the index change is computed from what ' +
  'is there', async (t) => {
  const { repo, mock } = setup()
  const v1 = toStoredItem('x1', INPUT, 3, NOW, NOW)
  const v2 = toStoredItem('x1', { ...INPUT, title: 'Acme Turbo', brand: 'Zed' }, 3, NOW, NOW)
  mock.on(GetCommand).resolvesOnce({ Item: v1 }).resolves({ Item: v2 })
  mock.on(TransactWriteCommand).rejectsOnce(cancelled('ConditionalCheckFailed', 'None')).resolves({})
  mock.on(DeleteCommand).resolves({})
  const { item, created } = await repo.put('x1', { ...INPUT, title: 'Acme Two' }, 0, '2025-01-02T00:00:00.000Z')
  t.notOk(created)
  t.equal(item.title, 'Acme Two')
  const second = mock.commandCalls(TransactWriteCommand)[1]?.args[0].input.TransactItems ?? []
  t.match(
    second[0]?.Update?.ExpressionAttributeValues,
    { ':oldWords': ' acme turbo zed a phone ', ':oldBrand': 'Zed' },
    'conditioned on the state read the second time'
  )
  t.same(
    second.flatMap((a) => a.Delete === undefined ? [] : [a.Delete.Key?.sk]).sort(),
    ['turbo#x1', 'zed#x1'],
    "the rows of v2's words, not v1's"
  )
  t.same(second.flatMap((a) =>
    a.Update?.Key?.pk === 'categories'
      ? [`${a.Update.Key.sk} ${a.Update.ExpressionAttributeValues?.[':delta']}`]
      : []).sort(),
  ['#2#phone#brand#Acme 1', '#2#phone#brand#Zed -1'], "the brand counters move from v2's brand, in x1's shard")
  t.same(
    mock.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key),
    [{ pk: 'categories', sk: '#2#phone#brand#Zed' }],
    'a counter taken down is removed if it reached 0'
  )
  t.match(mock.commandCalls(DeleteCommand)[0]?.args[0].input, { ConditionExpression: '#n = :zero' })
})

t.test('an item that keeps changing ends in a 503; a delete of an absent item is a 204 with no write', async (t) => {
  const { repo, mock } = setup()
  mock.on(GetCommand).resolves({ Item: toStoredItem('x1', INPUT, 3, NOW, NOW) })
  mock.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed'))
  await t.rejects(repo.remove('x1'), { status: 503, code: 'service_busy' })
  t.equal(mock.commandCalls(TransactWriteCommand).length, 4, 'a bounded number of attempts')
  mock.reset()
  mock.on(GetCommand).resolves({})
  await t.resolves(repo.remove('x1'), 'already gone: done, as a retried DELETE expects')
  t.equal(mock.commandCalls(TransactWriteCommand).length, 0)
})

t.test('a failing counter clean-up does not fail the delete (a zero counter is skipped by readers)', async (t) => {
  const { repo, mock } = setup()
  mock.on(GetCommand).resolves({ Item: toStoredItem('x1', INPUT, 3, NOW, NOW) })
  mock.on(TransactWriteCommand).resolves({})
  mock.on(DeleteCommand).rejects(Object.assign(new Error('busy'), { name: 'ThrottlingException' }))
  await repo.remove('x1')
  const actions = mock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []
  t.match(actions[0], { Delete: { Key: { id: 'x1' }, ConditionExpression: /#sw = :oldWords/ } })
  t.equal(actions.filter((a) => a.Delete !== undefined).length, 1 + 4, 'the item and its 4 word rows')
  t.equal(mock.commandCalls(DeleteCommand).length, 3, 'each counter taken down')
})

t.test('a legacy item (written before the index) is replaced and deleted without touching counters it never ' +
  'had', async (t) => {
  const { repo, mock } = setup()
  const { searchWords: _w, ...legacy } = toStoredItem('x1', INPUT, 3, NOW, NOW)
  mock.on(GetCommand).resolves({ Item: { ...legacy, searchText: 'acme one acme a phone' } })
  mock.on(TransactWriteCommand).resolves({})
  await repo.remove('x1')
  const actions = mock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []
  t.same(
    actions,
    [{
      Delete: {
        TableName: 'items',
        Key: { id: 'x1' },
        ConditionExpression: 'attribute_exists(#id) AND attribute_not_exists(#sw)',
        ExpressionAttributeNames: { '#id': 'id', '#sw': 'searchWords' }
      }
    }]
  )
  mock.resetHistory()
  await repo.put('x1', INPUT, 0, NOW)
  const put = mock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []
  t.match(put[0]?.Update?.UpdateExpression, /REMOVE #storage, #searchText$/, 'the old search attribute goes')
  t.equal(put.filter((a) => a.Update?.Key?.pk === 'categories').length, 3, 'counted once, now')
})

t.test('a replace the index does not see is one plain conditional update; the same body again writes ' +
  'nothing', async (t) => {
  const { repo, mock } = setup()
  const stored = toStoredItem('x1', INPUT, 3, NOW, NOW)
  mock.on(GetCommand).resolves({ Item: stored })
  mock.on(UpdateCommand).resolves({})
  const repriced = await repo.put('x1', { ...INPUT, price: 250 }, 0, '2025-01-02T00:00:00.000Z')
  t.match(repriced, { created: false, item: { price: 250, stock: 3, updatedAt: '2025-01-02T00:00:00.000Z' } })
  t.same(sent(mock), ['GetCommand', 'UpdateCommand'], 'no transaction: no index row or counter changes')
  t.match(mock.commandCalls(UpdateCommand)[0]?.args[0].input.ConditionExpression, /#sw = :oldWords/)
  mock.resetHistory()
  const same = await repo.put('x1', INPUT, 0, '2025-01-03T00:00:00.000Z')
  t.same(same, { created: false, item: stored }, 'the stored item, untouched (updatedAt too)')
  t.same(sent(mock), ['GetCommand'], 'read only')
})
