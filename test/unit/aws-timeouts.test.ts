// Every AWS call has a timeout: a dependency that accepts the connection and never
// answers ends in the app's own 503 within the configured bound, not in Lambda killing the function
// at its timeout (API Gateway's bare 502, nothing logged). The "hung service" is a TCP server that
// accepts and never writes a byte.
import t from 'tap'
import { createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { build } from '../helpers/app.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { loadConfig } from '../../core/config.js'
import { clientOptions } from '../../core/aws-options.js'
import { createWorkerRuntime } from '../../workers/runtime.js'
import { memoryLog, TEST_WORKER_ENV } from '../helpers/worker-fixtures.js'

async function hungService (t: { teardown: (fn: () => unknown) => void }): Promise<string> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => { sockets.add(socket); socket.on('error', () => {}) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() =>
    new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()) }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** The promise's value, or a rejection once `ms` have passed (a hung call fails the test instead of the run). */
async function within<T> (ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() =>
      reject(new Error(`${what} still hanging after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([p, bound])
  } finally {
    clearTimeout(timer)
  }
}

t.test('the timeouts are settings, with defaults well inside the functions\' timeouts', async (t) => {
  const base = { USER_POOL_ID: 'us-east-1_abc', USER_POOL_CLIENT_ID: 'client' }
  const defaults = loadConfig(base).awsTimeouts
  t.ok(defaults.connectMs > 0 && defaults.requestMs > 0, 'both set by default')
  // requestTimeout bounds a whole attempt (connecting included); the SDK makes 3 attempts with short
  // pauses, and an order may make a second call to settle an ambiguous write: all of it must end
  // well before the API function's 15 s.
  t.ok(defaults.connectMs <= defaults.requestMs, 'connecting is part of the request\'s time')
  t.ok(2 * 3 * defaults.requestMs + 1000 < 15000, `2 calls x 3 attempts fit in 15 s (${JSON.stringify(defaults)})`)
  const tuned = loadConfig({ ...base, AWS_CONNECT_TIMEOUT_MS: '250', AWS_REQUEST_TIMEOUT_MS: '400' }).awsTimeouts
  t.same(tuned, { connectMs: 250, requestMs: 400, sesRequestMs: 10000 })
  t.throws(() => loadConfig({ ...base, AWS_REQUEST_TIMEOUT_MS: '0' }), /AWS_REQUEST_TIMEOUT_MS must be an integer/)
  const options = clientOptions(loadConfig({ ...base, AWS_REQUEST_TIMEOUT_MS: '400' }), undefined)
  t.match(
    options.requestHandler,
    { requestTimeout: 400, connectionTimeout: defaults.connectMs },
    'every client gets them'
  )
})

t.test('a hung DynamoDB: the API answers 503 service_busy within the bound, for a read and for an order', async (t) => {
  const endpoint = await hungService(t)
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const app = await build(
    t,
    {
      env: { ...issuer.env, DYNAMODB_ENDPOINT: endpoint, AWS_REQUEST_TIMEOUT_MS: '150', AWS_CONNECT_TIMEOUT_MS: '150' }
    }
  )
  const started = Date.now()
  const read = await within(8000, 'GET /items/{id}', app.inject({ url: '/items/anything' }))
  t.equal(read.statusCode, 503, read.body)
  t.equal(read.json().code, 'service_busy')
  const order = await within(8000, 'POST /orders', app.inject({
    method: 'POST',
    url: '/orders',
    headers: {
      authorization: `Bearer ${issuer.token({ sub: 'u1', email: 'u1@example.com' })}`,
      'idempotency-key': 'k1'
    },
    payload: { items: [{ id: 'cable', count: 1 }] }
  }))
  t.equal(order.statusCode, 503, order.body)
  t.comment(`both answered in ${Date.now() - started} ms`)
})

t.test("the worker's clients time out too", async (t) => {
  const endpoint = await hungService(t)
  const config = loadConfig({
    ...TEST_WORKER_ENV,
    EVENTBRIDGE_ENDPOINT: endpoint,
    AWS_REQUEST_TIMEOUT_MS: '150',
    AWS_CONNECT_TIMEOUT_MS: '150'
  })
  const runtime = createWorkerRuntime(config, { log: memoryLog() })
  t.teardown(() => runtime.eventbridge.destroy())
  const sent = runtime.eventbridge.send(
    new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}', EventBusName: 'b' }] })
  )
  await t.rejects(within(8000, 'PutEvents', sent), { name: 'TimeoutError' })
})
