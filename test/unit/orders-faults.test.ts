// Faults DynamoDB Local cannot produce, through the real app over a mocked document client:
// throttling and transaction conflicts become 503 with Retry-After (no AWS text, no stack), a
// failed request writes nothing and frees its Idempotency-Key, and a retry after a failure that
// came after the write answers the order that was written rather than making a second one.
import t, { type Test } from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
  BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand
} from '@aws-sdk/lib-dynamodb'
import { build } from '../helpers/app.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { LOCAL_DEFAULTS } from '../../app/config.js'

const ITEM = { id: 'cable', title: 'Cable', price: 500, currency: 'USD', stock: 10 }
const awsError = (name: string, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(`${name}: internal AWS detail arn:aws:dynamodb:secret`), { name, $metadata: {}, ...extra })
const cancelled = (...codes: string[]): Error =>
  awsError('TransactionCanceledException', { CancellationReasons: codes.map((Code) => ({ Code })) })

async function setup (t: Test) {
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }))
  const mock = mockClient(ddb)
  mock.on(BatchGetCommand).resolves({ Responses: { items: [ITEM] } })
  mock.on(PutCommand).resolves({})
  mock.on(UpdateCommand).resolves({})
  mock.on(DeleteCommand).resolves({})
  const app = await build(t, { env: { ...issuer.env, ITEMS_TABLE: 'items', ORDERS_TABLE: 'orders', IDEMPOTENCY_TABLE: 'idem' }, deps: { aws: { ddb } } })
  const headers = { authorization: `Bearer ${issuer.token({ sub: 'u1', email: 'u1@example.com' })}` }
  const place = (extra: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/orders', headers: { ...headers, ...extra }, payload: { items: [{ id: 'cable', count: 2 }] } })
  return { app, mock, headers, place }
}
function assertBusy (t: Test, res: { statusCode: number; headers: Record<string, unknown>; body: string; json: () => any }): void {
  t.equal(res.statusCode, 503, res.body)
  t.equal(res.headers['retry-after'], '1')
  t.equal(res.json().code, 'service_busy')
  t.notMatch(res.body, /arn:aws|internal AWS detail|Exception|at .*\.ts/, 'no AWS text or stack in the answer')
}

t.test('throttling of the transaction is a 503 with Retry-After, and frees the key', async (t) => {
  const { mock, place } = await setup(t)
  mock.on(TransactWriteCommand).rejects(awsError('ThrottlingException'))
  assertBusy(t, await place({ 'idempotency-key': 'k1' }))
  t.equal(mock.commandCalls(DeleteCommand).length, 1, 'the claim is released for a retry')
  t.equal(mock.commandCalls(DeleteCommand)[0]?.args[0].input.Key?.id, 'order#u1#k1')
  t.equal(mock.commandCalls(UpdateCommand).length, 0, 'no answer is recorded for the key')
})

t.test('transaction conflicts are retried, then a 503', async (t) => {
  const { mock, place } = await setup(t)
  mock.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict'))
  assertBusy(t, await place())
  t.equal(mock.commandCalls(TransactWriteCommand).length, 4, 'a few quick attempts before giving up')

  mock.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'None')).resolves({})
  const ok = await place()
  t.equal(ok.statusCode, 201, 'a conflict that clears is invisible to the shopper')
  const calls = mock.commandCalls(TransactWriteCommand)
  const last = calls[calls.length - 1]?.args[0].input.TransactItems ?? []
  t.equal(last.length, 2, 'order and stock in one transaction')
  t.match(last[1]?.Update?.ConditionExpression, /#stock >= :count/, 'the decrement is conditional on stock')
})

t.test('throttled reads and claims are 503s and write nothing', async (t) => {
  const { app, mock, headers, place } = await setup(t)
  mock.on(BatchGetCommand).rejects(awsError('ProvisionedThroughputExceededException'))
  assertBusy(t, await place())
  mock.on(PutCommand).rejects(awsError('RequestLimitExceeded'))
  assertBusy(t, await place({ 'idempotency-key': 'k2' }))
  t.equal(mock.commandCalls(TransactWriteCommand).length, 0, 'no order was attempted')
  mock.on(GetCommand).rejects(awsError('ThrottlingException'))
  assertBusy(t, await app.inject({ url: '/orders/o1', headers }))
  mock.on(QueryCommand).rejects(awsError('InternalServerError'))
  assertBusy(t, await app.inject({ url: '/orders', headers }))
  mock.on(UpdateCommand).rejects(awsError('ThrottlingException'))
  assertBusy(t, await app.inject({ method: 'POST', url: '/orderpacked/o1', headers: { 'x-api-key': LOCAL_DEFAULTS.WAREHOUSE_API_KEY } }))
})

t.test('an unexpected AWS error is a generic 500 without its text', async (t) => {
  const { mock, place } = await setup(t)
  mock.on(TransactWriteCommand).rejects(awsError('ValidationException'))
  const res = await place()
  t.equal(res.statusCode, 500)
  t.notMatch(res.body, /arn:aws|internal AWS detail|ValidationException/)
})

t.test('a failure after the write: the retry answers the written order, not a second one', async (t) => {
  const { mock, place } = await setup(t)
  // The transaction succeeds, recording the answer is throttled: the client sees a 503.
  mock.on(TransactWriteCommand).resolves({})
  mock.on(UpdateCommand).rejects(awsError('ThrottlingException'))
  const first = await place({ 'idempotency-key': 'k3' })
  assertBusy(t, first)
  const written = mock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Put?.Item as Record<string, unknown>
  t.ok(written, 'the order was written')

  // The retry claims the freed key, writes the same order id, and finds it already there.
  mock.on(UpdateCommand).resolves({})
  mock.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'))
  mock.on(GetCommand).resolves({ Item: written })
  const retry = await place({ 'idempotency-key': 'k3' })
  t.equal(retry.statusCode, 201)
  t.equal(retry.json().id, written.id, 'the same order')
  t.equal(retry.headers['idempotent-replayed'], 'true')
  const ids = mock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems?.[0]?.Put?.Item?.id)
  t.same(new Set(ids).size, 1, 'both attempts wrote the one deterministic id')
})
