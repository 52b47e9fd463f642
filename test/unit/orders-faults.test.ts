// Faults DynamoDB Local cannot produce, through the real app over a mocked document client:
// throttling and transaction conflicts become 503 with Retry-After (no AWS text, no stack), a
// failed request writes nothing (its Idempotency-Key stays free), and a retry after a failure that
// came after the write answers the order that was written rather than making a second one.
import t, { type Test } from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
  BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand,
  UpdateCommand
} from '@aws-sdk/lib-dynamodb'
import { build } from '../helpers/app.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { LOCAL_DEFAULTS } from '../../core/config.js'

const ITEM = { id: 'cable', title: 'Cable', price: 500, currency: 'USD', stock: 10 }
const awsError = (name: string, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(`${name}: internal AWS detail arn:aws:dynamodb:secret`), { name, $metadata: {}, ...extra })
const cancelled = (...codes: string[]): Error =>
  awsError('TransactionCanceledException', { CancellationReasons: codes.map((Code) => ({ Code })) })

async function setup (t: Test) {
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
  )
  const mock = mockClient(ddb)
  mock.on(BatchGetCommand).resolves({ Responses: { items: [ITEM] } })
  mock.on(PutCommand).resolves({})
  mock.on(UpdateCommand).resolves({})
  mock.on(DeleteCommand).resolves({})
  // Each app is a container of its own (its own item snapshots) over the one mocked client.
  const coldApp = async () => await build(
    t,
    {
      env: { ...issuer.env, ITEMS_TABLE: 'items', ORDERS_TABLE: 'orders', IDEMPOTENCY_TABLE: 'idem' },
      deps: { aws: { ddb } }
    }
  )
  const app = await coldApp()
  const headers = { authorization: `Bearer ${issuer.token({ sub: 'u1', email: 'u1@example.com' })}` }
  const place = (extra: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/orders',
      headers: { ...headers, ...extra },
      payload: { items: [{ id: 'cable', count: 2 }] }
    })
  return { app, mock, headers, place, coldApp }
}
function assertBusy (
  t: Test,
  res: { statusCode: number; headers: Record<string, unknown>; body: string; json: () => any }
): void {
  t.equal(res.statusCode, 503, res.body)
  t.equal(res.headers['retry-after'], '1')
  t.equal(res.json().code, 'service_busy')
  t.notMatch(res.body, /arn:aws|internal AWS detail|Exception|at .*\.ts/, 'no AWS text or stack in the answer')
}

t.test('throttling of the transaction is a 503 with Retry-After, writes nothing, and leaves the key ' +
  'free', async (t) => {
  const { mock, place } = await setup(t)
  mock.on(TransactWriteCommand).rejects(awsError('ThrottlingException'))
  assertBusy(t, await place({ 'idempotency-key': 'k1' }))
  const items = mock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []
  t.equal(items.length, 3, 'order, stock and the key\'s record in one transaction')
  t.match(
    items[2]?.Put,
    { TableName: 'idem', Item: { id: 'order#u1#k1', status: 'completed', response: { statusCode: 201 } } }
  )
  t.match(items[2]?.Put?.ConditionExpression, /attribute_not_exists\(id\)/, 'conditional on the key being free')
  const outside = mock.commandCalls(PutCommand).length + mock.commandCalls(UpdateCommand).length + mock.commandCalls(
    DeleteCommand
  ).length
  t.equal(outside, 0, 'no Put, Update or Delete outside the transaction')

  mock.on(TransactWriteCommand).resolves({})
  const retry = await place({ 'idempotency-key': 'k1' })
  t.equal(retry.statusCode, 201, 'the retry places the order with the same key')
  t.notOk(retry.headers['idempotent-replayed'])
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

t.test('throttled reads are 503s and write nothing', async (t) => {
  const { app, mock, headers, place } = await setup(t)
  mock.on(BatchGetCommand).rejects(awsError('ProvisionedThroughputExceededException'))
  assertBusy(t, await place())
  assertBusy(t, await place({ 'idempotency-key': 'k2' }))
  t.equal(mock.commandCalls(TransactWriteCommand).length, 0, 'no order was attempted')
  mock.on(GetCommand).rejects(awsError('ThrottlingException'))
  assertBusy(t, await app.inject({ url: '/orders/o1', headers }))
  mock.on(QueryCommand).rejects(awsError('InternalServerError'))
  assertBusy(t, await app.inject({ url: '/orders', headers }))
  mock.on(UpdateCommand).rejects(awsError('ThrottlingException'))
  assertBusy(
    t,
    await app.inject({
      method: 'POST',
      url: '/orderpacked/o1',
      headers: { 'x-api-key': LOCAL_DEFAULTS.WAREHOUSE_API_KEY }
    })
  )
})

t.test('an unexpected AWS error is a generic 500 without its text', async (t) => {
  const { mock, place } = await setup(t)
  mock.on(TransactWriteCommand).rejects(awsError('ValidationException'))
  const res = await place()
  t.equal(res.statusCode, 500)
  t.notMatch(res.body, /arn:aws|internal AWS detail|ValidationException/)
})

t.test('a failure after the write: the retry answers the written order, not a second one', async (t) => {
  const { mock, headers, place, coldApp } = await setup(t)
  // The transaction commits, but the answer is lost on the way back: the client sees a 503.
  mock.on(TransactWriteCommand).rejects(awsError('ThrottlingException'))
  const first = await place({ 'idempotency-key': 'k3' })
  assertBusy(t, first)
  const items = mock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []
  const order = items[0]?.Put?.Item as Record<string, unknown>
  const record = items[2]?.Put?.Item as Record<string, unknown>
  t.ok(order !== undefined && record !== undefined, 'the order and its record were in the transaction')
  t.equal(mock.commandCalls(BatchGetCommand).length, 1, 'the first request read the item')

  // The same container knows the item now, so the retry goes straight to the transaction, which
  // DynamoDB cancels (the order id and the key are taken): the retry reads the record and replays it.
  mock.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None', 'ConditionalCheckFailed'))
  mock.on(GetCommand).resolves({ Item: record })
  const warm = await place({ 'idempotency-key': 'k3' })
  t.equal(warm.statusCode, 201)
  t.equal(warm.json().id, order.id, 'the same order')
  t.equal(warm.headers['idempotent-replayed'], 'true')
  t.equal(mock.commandCalls(BatchGetCommand).length, 1, 'no second read of the item')
  t.match(
    mock.commandCalls(GetCommand).at(-1)?.args[0].input,
    { TableName: 'idem', Key: { id: 'order#u1#k3' }, ConsistentRead: true }
  )
  const ids = mock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems?.[0]?.Put?.Item?.id)
  t.same(new Set(ids).size, 1, 'every attempt wrote the one deterministic id')

  // Another container reads the key's record with the items, and replays it without a transaction.
  const cold = await coldApp()
  mock.on(BatchGetCommand).resolves({ Responses: { items: [ITEM], idem: [record] } })
  const sent = mock.commandCalls(TransactWriteCommand).length
  const retry = await cold.inject({
    method: 'POST',
    url: '/orders',
    headers: { ...headers, 'idempotency-key': 'k3' },
    payload: { items: [{ id: 'cable', count: 2 }] }
  })
  t.equal(retry.statusCode, 201)
  t.equal(retry.json().id, order.id, 'still the same order')
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(mock.commandCalls(TransactWriteCommand).length, sent, 'no transaction when the read finds the answer')
  const read = mock.commandCalls(BatchGetCommand).at(-1)?.args[0].input.RequestItems?.idem
  t.match(
    read,
    { Keys: [{ id: 'order#u1#k3' }], ConsistentRead: true },
    'the record is read with the items, strongly consistent'
  )

  // The same key with another body is refused, whichever call finds the record.
  const reuse = (app: typeof cold) => app.inject({
    method: 'POST',
    url: '/orders',
    headers: { ...headers, 'idempotency-key': 'k3' },
    payload: { items: [{ id: 'cable', count: 3 }] }
  })
  const byRead = await reuse(await coldApp())
  t.equal(byRead.statusCode, 422)
  t.equal(byRead.json().code, 'idempotency_key_reused')
  t.equal(
    mock.commandCalls(TransactWriteCommand).length,
    sent,
    'no transaction when the read already finds the key taken'
  )
  mock.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ConditionalCheckFailed'))
  const byTransaction = await reuse(cold)
  t.equal(byTransaction.statusCode, 422)
  t.equal(byTransaction.json().code, 'idempotency_key_reused')
  t.equal(mock.commandCalls(TransactWriteCommand).length, sent + 1, 'a warm container learns it from the transaction')
})

t.test('an item changed between the read and the transaction is read again, never ordered as it was', async (t) => {
  const { mock, place } = await setup(t)
  // DynamoDB answers a failed condition with the item as it is now (ALL_OLD, still marshalled).
  const changed = (price: number) => awsError('TransactionCanceledException', {
    CancellationReasons: [
      { Code: 'None' },
      {
        Code: 'ConditionalCheckFailed',
        Item: {
          id: { S: 'cable' },
          title: { S: 'Cable' },
          price: { N: String(price) },
          currency: { S: 'USD' },
          stock: { N: '10' }
        }
      }
    ]
  })
  mock.on(BatchGetCommand).resolvesOnce({ Responses: { items: [ITEM] } }).resolves({
    Responses: { items: [{ ...ITEM, price: 600 }] }
  })
  mock.on(TransactWriteCommand).rejectsOnce(changed(600)).resolves({})
  const res = await place()
  t.equal(res.statusCode, 201, res.body)
  t.match(res.json(), { total: 1200, lines: [{ unitPrice: 600 }] }, 'priced at the price the transaction found')
  const sent = mock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems?.[1]?.Update)
  t.equal(sent.length, 2)
  t.match(sent[0], {
    ConditionExpression: /#stock >= :count AND #title = :title AND #price = :price AND #currency = :currency AND attribute_not_exists\(#colors\)/,
    ExpressionAttributeValues: { ':title': 'Cable', ':price': 500, ':currency': 'USD' }
  }, 'each decrement requires the item as it was priced')
  t.equal(sent[1]?.ExpressionAttributeValues?.[':price'], 600)
  t.equal(mock.commandCalls(BatchGetCommand).length, 2, 'read again after the refusal')

  // An item that changes under every attempt: a few attempts, then a 503 to retry, nothing written.
  mock.on(TransactWriteCommand).rejects(changed(700))
  const busy = await place()
  assertBusy(t, busy)
  t.equal(mock.commandCalls(TransactWriteCommand).length, 2 + 3, 'three attempts')
})

t.test('a short item that also changed is read again rather than reported from a stale price', async (t) => {
  const { mock, place } = await setup(t)
  mock.on(TransactWriteCommand).rejectsOnce(awsError('TransactionCanceledException', {
    CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { ...ITEM, price: 900, stock: 1 } }]
  }))
  mock.on(BatchGetCommand).resolvesOnce({ Responses: { items: [ITEM] } }).resolves({
    Responses: { items: [{ ...ITEM, price: 900, stock: 1 }] }
  })
  const res = await place()
  t.equal(res.statusCode, 409, res.body)
  t.same(res.json().items, [{ id: 'cable', requested: 2, available: 1 }], 'short, as the fresh read shows')
  t.equal(
    mock.commandCalls(TransactWriteCommand).length,
    1,
    'the fresh read already shows it short: no second transaction'
  )
})

t.test('refusals never come from an eventually consistent read of the items', async (t) => {
  const { mock, place, headers, coldApp } = await setup(t)
  // Right after a restock or a new item, an eventually consistent read may still show the old item.
  const fresh = { ...ITEM, stock: 10 }
  mock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { ConsistentRead?: boolean }> }) =>
    ({ Responses: { items: input.RequestItems.items?.ConsistentRead === true ? [fresh] : [{ ...ITEM, stock: 0 }] } }))
  mock.on(TransactWriteCommand).resolves({})
  const res = await place()
  t.equal(res.statusCode, 201, `the restocked item is ordered, not refused from a stale copy: ${res.body}`)
  mock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { ConsistentRead?: boolean }> }) =>
    ({ Responses: { items: input.RequestItems.items?.ConsistentRead === true ? [fresh] : [] } }))
  const cold = await coldApp()
  const fromCold = await cold.inject({
    method: 'POST',
    url: '/orders',
    headers,
    payload: { items: [{ id: 'cable', count: 2 }] }
  })
  t.equal(fromCold.statusCode, 201, `a new item is not "unknown": ${fromCold.body}`)
})

t.test('a keyed refusal is only answered once the key\'s record and its order are read, strongly ' +
  'consistent', async (t) => {
  const { mock, headers, coldApp } = await setup(t)
  // Each request from a container of its own: the path that reads the items and the record first.
  const place = async (extra: Record<string, string>) => await (await coldApp()).inject({
    method: 'POST',
    url: '/orders',
    headers: { ...headers, ...extra },
    payload: { items: [{ id: 'cable', count: 2 }] }
  })
  // The BatchGet is read-committed, not a snapshot: it can see the stock taken by this key's first
  // request and the key's record not yet written (the race DynamoDB permits, as reproduced on
  // DynamoDB Local by test/integration/orders-exactly-once.test.ts).
  mock.on(BatchGetCommand).resolves({ Responses: { items: [{ ...ITEM, stock: 0 }] } })
  const at = new Date().toISOString()
  const written = {
    id: 'the-order',
    userId: 'u1',
    status: 'placed',
    lines: [],
    total: 1000,
    currency: 'USD',
    createdAt: at,
    updatedAt: at,
    history: [],
    userEmail: 'u1@example.com'
  }
  mock.on(GetCommand, { TableName: 'idem' }).resolves({
    Item: {
      id: 'order#u1#k9',
      status: 'completed',
      requestHash: 'x',
      claimedAt: Date.now(),
      expiration: Math.floor(Date.now() / 1000) + 60,
      response: { statusCode: 201, body: written }
    }
  })
  const replay = await place({ 'idempotency-key': 'k9' })
  t.equal(replay.statusCode, 422, 'the record found (here with another body) answers, not the stale stock')
  t.match(mock.commandCalls(GetCommand).map((c) => c.args[0].input), [{ TableName: 'idem', ConsistentRead: true }])

  // No record (expired and deleted), but the order the key derives exists: that order is the answer.
  mock.on(GetCommand, { TableName: 'idem' }).resolves({})
  mock.on(GetCommand, { TableName: 'orders' }).callsFake((input: { Key: { id: string } }) =>
    ({ Item: { ...written, id: input.Key.id } }))
  const found = await place({ 'idempotency-key': 'k10' })
  t.equal(found.statusCode, 201, found.body)
  t.equal(found.headers['idempotent-replayed'], 'true')
  t.equal(mock.commandCalls(TransactWriteCommand).length, 0, 'nothing written')
  t.ok(
    mock.commandCalls(GetCommand).some((c) =>
      c.args[0].input.TableName === 'orders' && c.args[0].input.ConsistentRead === true),
    'the order is read strongly consistent'
  )

  // Neither exists: the refusal stands.
  mock.on(GetCommand, { TableName: 'orders' }).resolves({})
  const refused = await place({ 'idempotency-key': 'k11' })
  t.equal(refused.statusCode, 409)
  t.equal(refused.json().code, 'insufficient_stock')
})

t.test('an ambiguous failure of an order without a key is checked before anything is answered', async (t) => {
  const { mock, place } = await setup(t)
  // The transaction commits, and the answer is lost (an internal error, or a timeout): DynamoDB
  // says nothing about whether it was written.
  const stored = new Map<string, Record<string, unknown>>()
  mock.on(TransactWriteCommand).callsFakeOnce((
    input: { TransactItems: Array<{ Put?: { Item: Record<string, unknown> } }> }
  ) => {
    const order = input.TransactItems[0]?.Put?.Item as Record<string, unknown>
    stored.set(order.id as string, order)
    throw awsError('InternalServerError')
  })
  mock.on(GetCommand, { TableName: 'orders' }).callsFake((input: { Key: { id: string } }) =>
    ({ Item: stored.get(input.Key.id) }))
  const res = await place()
  t.equal(res.statusCode, 201, `the order that was written is the answer: ${res.body}`)
  t.equal(res.json().id, [...stored.keys()][0])
  t.equal(mock.commandCalls(TransactWriteCommand).length, 1, 'one transaction: found by the read')

  // Not written (yet): the same transaction again, with the same ClientRequestToken (DynamoDB runs
  // it at most once), settles it.
  let sends = 0
  mock.on(TransactWriteCommand).callsFake(() => {
    if (++sends === 1) throw awsError('TransactionInProgressException')
    return {}
  })
  mock.on(GetCommand, { TableName: 'orders' }).resolves({})
  const settled = await place()
  t.equal(settled.statusCode, 201, settled.body)
  const [a, b] = mock.commandCalls(TransactWriteCommand).slice(-2).map((c) => c.args[0].input)
  t.ok(
    typeof a?.ClientRequestToken === 'string' && a.ClientRequestToken === b?.ClientRequestToken,
    'the retry carries the first attempt\'s token'
  )
  t.same(a?.TransactItems, b?.TransactItems, 'and the same items')

  // Still unknown: a 503 that names the order to look up, never "retry" into a second order.
  mock.on(TransactWriteCommand).rejects(awsError('InternalServerError'))
  const unknown = await place()
  t.equal(unknown.statusCode, 503, unknown.body)
  t.equal(unknown.json().code, 'order_outcome_unknown')
  t.match(unknown.json().orderId, /^[0-9a-f-]{36}$/)
  t.notMatch(unknown.body, /arn:aws|internal AWS detail/)
})
