// The conflict path, with the `TransactionConflictException`s DynamoDB Local never produces (it
// runs transactions one at a time), injected with aws-sdk-client-mock: an item write is retried
// and then answers a 503 whose logged cause says "TransactionConflict", not "ItemChanged" (the
// item changing under the write); a stock change meeting an admin's transaction is retried, as
// the docs promise.
import t from 'tap'
import Fastify from 'fastify'
import { Writable } from 'node:stream'
import { TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb'
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { appPlugin, serverOptions } from '../../app/app.js'
import { loadConfig } from '../../core/config.js'
import { BASE_TEST_ENV } from '../helpers/app.js'
import { mockedDocumentClient } from '../helpers/ddb-mock.js'
import { startTestIssuer } from '../helpers/tokens.js'
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
const STORED = toStoredItem('x1', INPUT, 3, NOW, NOW)
const conflict = (): TransactionConflictException =>
  new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: {} })

t.test('a stock change cancelled by a concurrent transaction is retried', async (t) => {
  const { ddb, mock } = mockedDocumentClient(t)
  mock.on(UpdateCommand).rejectsOnce(conflict()).rejectsOnce(conflict()).resolves({
    Attributes: { ...STORED, stock: 5 }
  })
  const item = await createItemsRepository(ddb, TABLES).adjustStock('x1', 2, NOW)
  t.equal(item.stock, 5)
  t.equal(mock.commandCalls(UpdateCommand).length, 3, 'the same update, three times')
})

t.test('conflicts to the end are a 503 whose cause says conflict; an item that keeps changing says so', async (t) => {
  const { ddb, mock } = mockedDocumentClient(t)
  const repo = createItemsRepository(ddb, TABLES)
  mock.on(UpdateCommand).rejects(conflict())
  await t.rejects(
    repo.adjustStock('x1', 2, NOW),
    { status: 503, code: 'service_busy', cause: { name: 'TransactionConflict' } }
  )
  t.equal(mock.commandCalls(UpdateCommand).length, 4)
  mock.reset()
  mock.on(GetCommand).resolves({})
  mock.on(TransactWriteCommand).rejects(conflict())
  await t.rejects(
    repo.create('x1', INPUT, 1, NOW),
    { status: 503, cause: { name: 'TransactionConflict', cause: { name: 'TransactionConflictException' } } }
  )
  t.equal(mock.commandCalls(TransactWriteCommand).length, 4)
  mock.reset()
  mock.on(GetCommand).resolves({ Item: STORED })
  mock.on(TransactWriteCommand).rejects(new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: [
      { Code: 'ConditionalCheckFailed' },
      { Code: 'None' }
    ]
  }))
  await t.rejects(repo.put('x1', { ...INPUT, title: 'Other' }, 1, NOW), { status: 503, cause: { name: 'ItemChanged' } })
  t.equal(mock.commandCalls(GetCommand).length, 4, 'read again before each attempt')
})

t.test("the 503's cause is in the error log line, never in the answer", async (t) => {
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const { ddb, mock } = mockedDocumentClient(t)
  mock.on(GetCommand).resolves({})
  mock.on(TransactWriteCommand).rejects(conflict())
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  const config = loadConfig({ ...BASE_TEST_ENV, ...issuer.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json' })
  const options = serverOptions(config)
  const app = Fastify({ ...options, logger: { ...(options.logger as object), stream } })
  await app.register(appPlugin, { config, deps: { aws: { ddb } } })
  t.teardown(() => app.close())
  const res = await app.inject({
    method: 'PUT',
    url: '/items/x1',
    payload: INPUT,
    headers: {
      authorization: `Bearer ${issuer.token({ groups: ['admin'] })}`
    }
  })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '1')
  t.notMatch(res.body, /Conflict/)
  const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.code === 'service_busy')
  t.match(logged, [{ level: 50, cause: 'TransactionConflict' }])
})
