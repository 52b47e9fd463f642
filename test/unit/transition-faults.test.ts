// Cancel and the partners' transitions after an ambiguous failure (an SDK timeout, an internal
// error): the order is read strongly consistent to settle the outcome, as POST /orders does, and
// written once more only if it had not moved (its condition keeps the change to once). Faults
// DynamoDB Local cannot produce: a mocked document client under the real app.
import t, { type Test } from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { build } from '../helpers/app.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { LOCAL_DEFAULTS } from '../../core/config.js'

const timeout = (): Error => Object.assign(new Error('socket timed out'), { name: 'TimeoutError', $metadata: {} })
const ORDER = {
  id: 'ord-1',
  userId: 'u1',
  userEmail: 'u1@example.com',
  status: 'placed',
  total: 1000,
  currency: 'USD',
  lines: [{ id: 'cable', title: 'Cable', count: 2, unitPrice: 500 }],
  createdAt: '2025-01-02T03:04:05.000Z',
  updatedAt: '2025-01-02T03:04:05.000Z',
  history: [{ status: 'placed', at: '2025-01-02T03:04:05.000Z', by: 'user:u1' }]
}

async function setup (t: Test) {
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const credentials = { accessKeyId: 'x', secretAccessKey: 'x' }
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials }))
  const mock = mockClient(ddb)
  t.teardown(() => mock.restore())
  let stored: Record<string, unknown> = { ...ORDER }
  mock.on(GetCommand, { TableName: 'orders' }).callsFake(() => ({ Item: stored }))
  const env = { ...issuer.env, ITEMS_TABLE: 'items', ORDERS_TABLE: 'orders', IDEMPOTENCY_TABLE: 'idem' }
  const app = await build(t, { env, deps: { aws: { ddb } } })
  const user = { authorization: `Bearer ${issuer.token({ sub: 'u1', email: 'u1@example.com' })}` }
  const warehouse = { 'x-api-key': LOCAL_DEFAULTS.WAREHOUSE_API_KEY }
  return {
    mock,
    set: (o: Record<string, unknown>) => { stored = o },
    cancel: async () => await app.inject({ method: 'POST', url: '/orders/ord-1/cancel', headers: user }),
    pack: async () => {
      const payload = { packageId: 'PKG-1' }
      return await app.inject({ method: 'POST', url: '/orderpacked/ord-1', headers: warehouse, payload })
    }
  }
}

t.test('a partner transition that timed out but was applied answers the order, without writing again', async (t) => {
  const run = await setup(t)
  run.mock.on(UpdateCommand).callsFake(() => {
    run.set({ ...ORDER, status: 'packed', packageId: 'PKG-1' })
    throw timeout()
  })
  const res = await run.pack()
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { id: 'ord-1', status: 'packed' })
  t.equal(run.mock.commandCalls(UpdateCommand).length, 1)
})

t.test('a transition that timed out and was not applied is written once more; still unknown: 503', async (t) => {
  const run = await setup(t)
  let calls = 0
  run.mock.on(UpdateCommand).callsFake(() => {
    if (++calls === 1) throw timeout()
    return { Attributes: { ...ORDER, status: 'packed', packageId: 'PKG-1' } }
  })
  const res = await run.pack()
  t.equal(res.statusCode, 200, res.body)
  t.equal(calls, 2, 'written again once the read showed it placed')

  const stuck = await setup(t)
  stuck.mock.on(UpdateCommand).rejects(timeout())
  const busy = await stuck.pack()
  t.equal(busy.statusCode, 503, busy.body)
  t.equal(busy.json().code, 'service_busy', 'safe to retry: a repeat of a transition made answers 200')
  t.equal(stuck.mock.commandCalls(UpdateCommand).length, 2, 'two writes at most')
})

t.test('a cancel that timed out: applied, the cancelled order; not applied, the transaction again', async (t) => {
  const run = await setup(t)
  run.mock.on(TransactWriteCommand).callsFake(() => {
    run.set({ ...ORDER, status: 'cancelled' })
    throw timeout()
  })
  const res = await run.cancel()
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { id: 'ord-1', status: 'cancelled' })
  t.equal(run.mock.commandCalls(TransactWriteCommand).length, 1)

  const again = await setup(t)
  let calls = 0
  again.mock.on(TransactWriteCommand).callsFake(() => { if (++calls === 1) throw timeout() })
  const settled = await again.cancel()
  t.equal(settled.statusCode, 200, settled.body)
  t.equal(calls, 2)

  const moved = await setup(t)
  moved.mock.on(TransactWriteCommand).callsFake(() => {
    moved.set({ ...ORDER, status: 'packed' })
    throw timeout()
  })
  const refused = await moved.cancel()
  t.equal(refused.statusCode, 409, 'packed meanwhile: the refusal, not a 503')
})
