// Catalog routes over a mocked DynamoDB (aws-sdk-client-mock) and the test token issuer: access
// control, validation, views and error mapping, with no emulator.
import t from 'tap'
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb'
import {
  BatchGetCommand, DeleteCommand, GetCommand, QueryCommand, ScanCommand, TransactWriteCommand, UpdateCommand
} from '@aws-sdk/lib-dynamodb'
import { build } from '../helpers/app.js'
import { mockedDocumentClient } from '../helpers/ddb-mock.js'
import { startTestIssuer, type TestIssuer } from '../helpers/tokens.js'
import { toStoredItem } from '../../domain/catalog.js'
import { counterShard } from '../../domain/catalog-index-rows.js'

const BODY = {
  category: 'phone',
  type: 'smart',
  brand: 'Acme',
  title: 'Acme One',
  description: 'A phone',
  colorPreference: [{ colorCode: '#000', displayValue: 'Black' }],
  price: 19900,
  currency: 'USD'
}
const STORED = toStoredItem('acme-1', BODY, 4, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')

let issuer: TestIssuer
t.before(async () => { issuer = await startTestIssuer() })
t.teardown(async () => { await issuer.close() })

async function setup (t: { teardown: (fn: () => unknown) => void }) {
  const { ddb, mock } = mockedDocumentClient(t)
  const app = await build(t, { env: issuer.env, deps: { aws: { ddb } } })
  return { app, mock }
}
const bearer = (groups?: string[]) => ({ authorization: `Bearer ${issuer.token(groups ? { groups } : {})}` })

t.test('admin routes: 401 without a token, 403 without the admin group, 2xx for admins', async (t) => {
  const { app, mock } = await setup(t)
  mock.on(TransactWriteCommand).resolves({})
  mock.on(GetCommand).resolves({ Item: STORED })
  mock.on(UpdateCommand).resolves({ Attributes: { ...STORED, stock: 5 } })
  mock.on(DeleteCommand).resolves({})
  const calls = [
    { method: 'POST' as const, url: '/items', payload: { ...BODY, stock: 3 }, ok: 201 },
    { method: 'PUT' as const, url: '/items/acme-1', payload: { ...BODY, title: 'Acme Two' }, ok: 200 },
    { method: 'DELETE' as const, url: '/items/acme-1', ok: 204 },
    { method: 'POST' as const, url: '/items/acme-1/stock', payload: { delta: 1 }, ok: 200 }
  ]
  for (const call of calls) {
    const { ok, ...req } = call
    const none = await app.inject(req)
    t.equal(none.statusCode, 401, `${call.method} ${call.url} without a token`)
    t.match(none.headers['www-authenticate'], /^Bearer/)
    t.equal(none.json().code, 'token_missing')
    const shopper = await app.inject({ ...req, headers: bearer(['shoppers']) })
    t.equal(shopper.statusCode, 403, `${call.method} ${call.url} as a shopper`)
    t.equal(shopper.json().code, 'forbidden')
    const admin = await app.inject({ ...req, headers: bearer(['admin']) })
    t.equal(admin.statusCode, ok, `${call.method} ${call.url} as an admin`)
  }
  t.equal(mock.commandCalls(TransactWriteCommand).length, 3, 'only the admin requests wrote: create, replace, delete')
  t.equal(mock.commandCalls(UpdateCommand).length, 1, 'and the stock change')
})

t.test('POST /items writes the item, its word rows and its counters in one transaction, and answers without ' +
  'internals', async (t) => {
  const { app, mock } = await setup(t)
  mock.on(TransactWriteCommand).resolves({})
  const res = await app.inject({ method: 'POST', url: '/items', payload: BODY, headers: bearer(['admin']) })
  t.equal(res.statusCode, 201)
  const body = res.json()
  t.equal(res.headers.location, `/items/${body.id}`)
  t.match(body, { ...BODY, stock: 0, inStock: false })
  t.notOk('typeBrandId' in body || 'searchWords' in body)
  t.equal(mock.calls().length, 1, 'one DynamoDB call')
  const actions = mock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []
  const put = actions[0]?.Put
  t.equal(put?.ConditionExpression, 'attribute_not_exists(id)')
  t.equal(put?.Item?.typeBrandId, `smart#Acme#${body.id}`)
  t.equal(put?.Item?.searchWords, ' acme one a phone ')
  t.same(actions.slice(1).flatMap((a) => a.Put === undefined ? [] : [a.Put.Item?.sk]).sort(),
    ['a', 'acme', 'one', 'phone'].map((w) => `${w}#${body.id}`), 'a row per distinct word')
  t.same(actions.flatMap((a) =>
    a.Update === undefined ? [] : [`${a.Update.Key?.sk} ${a.Update.ExpressionAttributeValues?.[':delta']}`]).sort(),
  ['phone 1', 'phone#brand#Acme 1', 'phone#type#smart 1'].map((c) => `#${counterShard(body.id)}#${c}`),
  "the category, type and brand counters, in the item's shard")
})

t.test('item bodies are validated: unknown fields, # in brand, repeated colour codes', async (t) => {
  const { app, mock } = await setup(t)
  mock.on(TransactWriteCommand).resolves({})
  const post = (payload: object) => app.inject({ method: 'POST', url: '/items', payload, headers: bearer(['admin']) })
  const unknown = await post({ ...BODY, typeBrandId: 'x' })
  t.equal(unknown.statusCode, 400)
  t.match(unknown.json().errors, [{ path: 'body.typeBrandId', message: 'is not an allowed property' }])
  t.match((await post({ ...BODY, brand: 'Ac#me' })).json(), { status: 400, detail: 'body.brand must not contain #' })
  const colours = await post({
    ...BODY,
    colorPreference: [{ colorCode: 'a', displayValue: 'A' }, { colorCode: 'a', displayValue: 'B' }]
  })
  t.match(colours.json(), { status: 400, errors: [{ path: 'body.colorPreference[1].colorCode' }] })
  t.equal((await post({ ...BODY, price: 1.5 })).statusCode, 400, 'price in whole minor units')
  t.equal((await post({ ...BODY, currency: 'usd' })).statusCode, 400)
  const stockBody = await app.inject({
    method: 'PUT',
    url: '/items/acme-1',
    payload: { ...BODY, stock: -1 },
    headers: bearer(['admin'])
  })
  t.equal(stockBody.statusCode, 400, 'an initial stock below zero')
  t.equal(
    (await app.inject({
      method: 'PUT',
      url: '/items/acme-1',
      payload: { ...BODY, id: 'acme-1' },
      headers: bearer(['admin'])
    })).statusCode,
    400,
    'the id is the path\'s'
  )
  const zero = await app.inject({
    method: 'POST',
    url: '/items/acme-1/stock',
    payload: { delta: 0 },
    headers: bearer(['admin'])
  })
  t.equal(zero.statusCode, 400)
  t.equal(mock.commandCalls(TransactWriteCommand).length, 0, 'nothing invalid was written')
})

t.test('GET /items/{id}: shoppers see inStock, admins the exact stock; 404; a bad token is 401', async (t) => {
  const { app, mock } = await setup(t)
  mock.on(GetCommand, { Key: { id: 'acme-1' } }).resolves({ Item: STORED })
  mock.on(GetCommand, { Key: { id: 'nope' } }).resolves({})
  const shopper = await app.inject({ url: '/items/acme-1' })
  t.equal(shopper.statusCode, 200)
  t.match(shopper.json(), { id: 'acme-1', inStock: true })
  t.notOk('stock' in shopper.json())
  t.notOk('typeBrandId' in shopper.json())
  t.notOk(
    'stock' in (await app.inject({ url: '/items/acme-1', headers: bearer(['shoppers']) })).json(),
    'a signed-in shopper neither'
  )
  t.equal((await app.inject({ url: '/items/acme-1', headers: bearer(['admin']) })).json().stock, 4)
  const missing = await app.inject({ url: '/items/nope' })
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { code: 'item_not_found', status: 404 })
  const badToken = await app.inject({ url: '/items/acme-1', headers: { authorization: 'Bearer not.a.token' } })
  t.equal(badToken.statusCode, 401)
  t.equal((await app.inject({ url: '/items/bad id!' })).statusCode, 400)
})

t.test('GET /items: type or brand without category, unknown parameters, limits and foreign cursors are ' +
  '400s', async (t) => {
  const { app, mock } = await setup(t)
  mock.on(ScanCommand).resolves({ Items: [] })
  mock.on(QueryCommand).resolves({ Items: [] })
  const type = await app.inject({ url: '/items?type=smart' })
  t.equal(type.statusCode, 400)
  t.match(type.json(), { code: 'category_required', detail: /type filter narrows a category: add category=/ })
  t.equal((await app.inject({ url: '/items?brand=Acme' })).json().code, 'category_required')
  t.equal((await app.inject({ url: '/items?colour=red' })).statusCode, 400)
  t.equal((await app.inject({ url: '/items?limit=0' })).statusCode, 400)
  t.equal((await app.inject({ url: '/items?limit=101' })).statusCode, 400)
  const cursor = await app.inject({ url: '/items?cursor=abc.def' })
  t.equal(cursor.statusCode, 400)
  t.equal(cursor.json().code, 'invalid_cursor')
  // Searching for nothing useful is a 400, never a read.
  for (const [q, code] of [['%20', 'validation_failed'], ['!!!%20%3F', 'empty_query'], [
    'a+b+c+d+e+f+g+h+i',
    'too_many_words'
  ],
  ['x'.repeat(101), 'validation_failed'], [Array.from({ length: 50 }, () => 'a').join('+'), 'too_many_words'],
  [Array.from({ length: 100 }, () => 'pixel').join('+'), 'validation_failed']]) {
    const res = await app.inject({ url: `/items?q=${q}` })
    t.equal(res.statusCode, 400, `q=${q.slice(0, 30)}`)
    t.equal(res.json().code, code)
  }
  t.equal(mock.calls().length, 0, 'no bad request reached DynamoDB')
})

t.test('GET /items queries the index for filters and pages with a signed cursor', async (t) => {
  const { app, mock } = await setup(t)
  const items = [1, 2, 3].map((n) => toStoredItem(
    `acme-${n}`,
    BODY,
    n,
    '2025-01-01T00:00:00.000Z',
    '2025-01-02T00:00:00.000Z'
  ))
  mock.on(QueryCommand).resolves({ Items: items })
  const res = await app.inject({ url: '/items?category=phone&type=smart&brand=Acme&limit=2' })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.same(body.items.map((i: { id: string }) => i.id), ['acme-1', 'acme-2'])
  t.type(body.nextCursor, 'string')
  const input = mock.commandCalls(QueryCommand)[0]?.args[0].input
  t.match(
    input,
    { IndexName: 'byCategory', KeyConditionExpression: '#category = :category AND begins_with(#tbi, :prefix)' }
  )
  t.equal(input?.ExpressionAttributeValues?.[':prefix'], 'smart#Acme#')
  t.equal(mock.commandCalls(ScanCommand).length, 0, 'never a Scan for filters')
  const other = await app.inject({ url: `/items?category=computer&cursor=${encodeURIComponent(body.nextCursor)}` })
  t.equal(other.statusCode, 400, 'a cursor from another query')
  t.equal(other.json().code, 'invalid_cursor')
})

t.test('throttling is a 503 with Retry-After; a decrement past zero is a 409 with the current stock', async (t) => {
  const { app, mock } = await setup(t)
  mock.on(GetCommand).rejects(
    Object.assign(new Error('Rate exceeded (internal detail)'), { name: 'ProvisionedThroughputExceededException' })
  )
  const busy = await app.inject({ url: '/items/acme-1' })
  t.equal(busy.statusCode, 503)
  t.equal(busy.headers['retry-after'], '1')
  t.notMatch(busy.body, /internal detail/)
  mock.on(UpdateCommand).rejects(
    new ConditionalCheckFailedException({
      message: 'failed',
      $metadata: {},
      Item: { id: { S: 'acme-1' }, stock: { N: '2' } }
    })
  )
  const short = await app.inject({
    method: 'POST',
    url: '/items/acme-1/stock',
    payload: { delta: -3 },
    headers: bearer(['admin'])
  })
  t.equal(short.statusCode, 409)
  t.match(short.json(), { code: 'insufficient_stock', currentStock: 2, detail: /has 2 in stock/ })
  mock.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }))
  const gone = await app.inject({
    method: 'POST',
    url: '/items/none/stock',
    payload: { delta: -1 },
    headers: bearer(['admin'])
  })
  t.equal(gone.statusCode, 404)
  t.equal(gone.json().code, 'item_not_found')
})

t.test('GET /items?q= reads one key range of the token index and the page\'s items, never a Scan', async (t) => {
  const { app, mock } = await setup(t)
  const items = [1, 2, 3].map((n) => toStoredItem(
    `acme-${n}`,
    { ...BODY, title: `Pixel ${n}` },
    n,
    '2025-01-01T00:00:00.000Z',
    '2025-01-02T00:00:00.000Z'
  ))
  mock.on(QueryCommand).resolves({
    Items: items.map((i) => ({ pk: 'w#p', sk: `pixel#${i.id}`, id: i.id, ws: i.searchWords }))
  })
  mock.on(BatchGetCommand).resolves({ Responses: { items: items.slice(0, 2) } })
  const res = await app.inject({ url: '/items?q=PIX&limit=2' })
  t.equal(res.statusCode, 200)
  t.same(res.json().items.map((i: { id: string }) => i.id), ['acme-1', 'acme-2'])
  t.type(res.json().nextCursor, 'string')
  const query = mock.commandCalls(QueryCommand)[0]?.args[0].input
  t.match(query, { TableName: 'catalog-index', KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to' })
  t.same(
    query?.ExpressionAttributeValues,
    { ':pk': 'w#p', ':from': 'pix', ':to': 'piy' },
    'the key range of words starting with pix'
  )
  t.same(
    mock.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.items?.Keys,
    [{ id: 'acme-1' }, { id: 'acme-2' }]
  )
  t.equal(mock.commandCalls(ScanCommand).length, 0)
})

t.test('GET /categories reads the counters; the OpenAPI document declares every catalog response', async (t) => {
  const { app, mock } = await setup(t)
  mock.on(QueryCommand).resolvesOnce({
    Items: [{ pk: 'categories', sk: 'phone', n: 2 }, { pk: 'categories', sk: 'phone#brand#Acme', n: 1 }],
    LastEvaluatedKey: { pk: 'categories', sk: 'x' }
  })
    .resolvesOnce({
      Items: [
        { pk: 'categories', sk: 'phone#brand#Nokia', n: 1 },
        { pk: 'categories', sk: 'phone#brand#Gone', n: 0 },
        { pk: 'categories', sk: 'phone#type#feature', n: 1 },
        { pk: 'categories', sk: 'phone#type#smart', n: 1 }
      ]
    })
  const res = await app.inject({ url: '/categories' })
  t.equal(res.statusCode, 200)
  t.same(
    res.json(),
    { categories: [{ category: 'phone', count: 2, types: ['feature', 'smart'], brands: ['Acme', 'Nokia'] }] }
  )
  t.equal(mock.commandCalls(ScanCommand).length, 0, 'no Scan')
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  t.same(
    Object.keys(doc.paths['/items/{itemId}/stock'].post.responses).sort(),
    ['200', '400', '401', '403', '404', '409', '413', '415', '500', '503']
  )
  t.same(doc.paths['/items'].post.security, [{ bearerAuth: [] }])
  t.ok(doc.paths['/items'].get.responses['200'].content['application/json'].schema)
  t.same(doc.paths['/items/{itemId}'].get.tags, ['catalog'])
})
