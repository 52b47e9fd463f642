// The API's metrics against the emulators, read from the EMF lines the app writes: an order placed
// (count and value by currency), an idempotent replay, refusals by problem code, a failed sign-in,
// and 5xx and 429 answers by route pattern. Never an id, a user or an email in a dimension.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import { PutCommand } from '@aws-sdk/lib-dynamodb'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { capturedMetrics } from '../helpers/metrics.js'
import { loadConfig } from '../../core/config.js'
import metricsPlugin from '../../plugins/metrics.js'
import errorsPlugin from '../../plugins/errors.js'
import { BASE_TEST_ENV } from '../helpers/app.js'

const dims = (xs: Array<{ dimensions: Record<string, string> }>): Array<Record<string, string>> =>
  xs.map((m) => m.dimensions)

t.test('orders: placed with its value, replayed, refused by code', async (t) => {
  const tables = await createTables(t)
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const captured = capturedMetrics()
  const app = await build(t, { env: { ...stackEnv(), ...tables, ...issuer.env }, deps: { metrics: captured.sink } })
  const now = new Date().toISOString()
  await app.aws.ddb.send(new PutCommand({
    TableName: tables.ITEMS_TABLE,
    Item: {
      id: 'mug',
      category: 'kitchen',
      type: 'mug',
      brand: 'Acme',
      title: 'Mug',
      description: 'A mug',
      colorPreference: [],
      price: 1250,
      currency: 'EUR',
      stock: 5,
      searchText: 'mug',
      createdAt: now,
      updatedAt: now
    }
  }))
  const auth = { authorization: `Bearer ${issuer.token({ sub: 'user-metrics', email: 'metrics@example.com' })}` }
  const order = (count: number, key?: string) => app.inject({
    method: 'POST',
    url: '/orders',
    headers: {
      ...auth,
      ...(key === undefined ? {} : { 'idempotency-key': key })
    },
    payload: { items: [{ id: 'mug', count }] }
  })

  const placed = await order(2, 'key-1')
  t.equal(placed.statusCode, 201, placed.body)
  t.same(captured.named('OrdersPlaced').map((m) => [m.dimensions, m.value]), [[{ service: 'test-service' }, 1]])
  t.same(
    captured.named('OrderValue').map((m) => [m.dimensions, m.value, m.unit]),
    [[{ service: 'test-service', Currency: 'EUR' }, 2500, 'None']]
  )

  const replayed = await order(2, 'key-1')
  t.equal(replayed.headers['idempotent-replayed'], 'true')
  t.equal(captured.named('IdempotentReplays').length, 1, 'the replay is counted as a replay')
  t.equal(captured.named('OrdersPlaced').length, 1, '... and not as an order')

  t.equal((await order(99)).statusCode, 409)
  t.equal(
    (await app.inject({ method: 'POST', url: '/orders', payload: { items: [{ id: 'mug', count: 1 }] } })).statusCode,
    401
  )
  t.equal(
    (await app.inject({
      method: 'POST',
      url: '/orders',
      headers: auth,
      payload: { items: [{ id: 'mug', count: 1 }], extra: 1 }
    })).statusCode,
    400
  )
  t.same(dims(captured.named('OrdersRefused')), [
    { service: 'test-service', Code: 'insufficient_stock' },
    { service: 'test-service', Code: 'token_missing' },
    { service: 'test-service', Code: 'validation_failed' }
  ])
  for (const m of captured.metrics()) {
    t.notMatch(
      JSON.stringify(m.dimensions),
      /user-metrics|metrics@example\.com|mug|key-1/,
      `${m.name}: no id, user or email in its dimensions`
    )
  }
  t.equal(captured.named('ServerErrors').length, 0, 'no 5xx so far')
})

t.test('a failed sign-in is counted by its code', async (t) => {
  const captured = capturedMetrics()
  const app = await build(t, { env: stackEnv(), deps: { metrics: captured.sink } })
  const res = await app.inject({
    method: 'POST',
    url: '/signin',
    payload: { email: `nobody-${randomUUID().slice(0, 8)}@example.com`, password: 'Wrong-Password-1' }
  })
  t.equal(res.statusCode, 401)
  t.same(dims(captured.named('SignInFailures')), [{ service: 'test-service', Code: 'invalid_credentials' }])
})

t.test('5xx answers are counted by route pattern, never by URL', async (t) => {
  const captured = capturedMetrics()
  // DynamoDB unreachable (BASE_TEST_ENV points at a closed port): reads fail with a 5xx.
  const app = await build(t, { deps: { metrics: captured.sink } })
  const res = await app.inject({ url: '/items/some-item-id' })
  t.ok(res.statusCode >= 500, `answered ${res.statusCode}`)
  t.same(dims(captured.named('ServerErrors')), [{ service: 'test-service', Route: 'GET /items/:itemId' }])
})

t.test('429 answers are counted by route as RateLimited', async (t) => {
  // The errors plugin turns any error with status 429 (a rate limiter's) into the problem and the metric.
  const captured = capturedMetrics()
  const app = Fastify()
  app.decorate('config', loadConfig(BASE_TEST_ENV))
  await app.register(metricsPlugin, { sink: captured.sink })
  await app.register(errorsPlugin)
  app.get('/limited/:x', async () => { throw Object.assign(new Error('slow down'), { statusCode: 429 }) })
  const res = await app.inject({ url: '/limited/abc' })
  t.equal(res.statusCode, 429)
  t.equal(res.json().code, 'rate_limited')
  t.same(dims(captured.named('RateLimited')), [{ service: 'test-service', Route: 'GET /limited/:x' }])
  t.equal(captured.named('ServerErrors').length, 0)
})
