// X-Ray tracing with the real Tracer (core/tracing.ts), as Lambda runs it: this process looks like
// a Lambda container with active tracing (the variables Lambda sets), and a UDP socket stands in
// for the X-Ray daemon. An order placed against DynamoDB Local yields the API invocation's
// subsegment annotated with the route and the order id, and one subsegment per DynamoDB call; the
// worker's invocation for that order's event is annotated with the order id, the event type and
// the correlation id, and its webhook call is a subsegment of it.
import t from 'tap'
import { createSocket } from 'node:dgram'
import { PutCommand } from '@aws-sdk/lib-dynamodb'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mockClient } from 'aws-sdk-client-mock'
import { SendEmailCommand } from '@aws-sdk/client-ses'
import { loadTracing, type Tracing } from '../../core/tracing.js'
import { createHandler } from '../../workers/dispatch.js'
import { order, orderEvent, testRuntime } from '../helpers/worker-fixtures.js'
import { until } from '../helpers/until.js'

interface Segment {
  name: string;
  annotations?: Record<string, unknown>;
  namespace?: string;
  aws?: {
    operation?: string
  };
  http?: { request?: { url?: string } };
  parent_id?: string;
  id: string
}

const segments: Segment[] = []
let tracing: Tracing

t.before(async () => {
  const daemon = createSocket('udp4')
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve))
  t.teardown(() => daemon.close())
  daemon.on('message', (message) => {
    const body = message.toString().split('\n')[1]
    if (body !== undefined) segments.push(JSON.parse(body) as Segment)
  })
  // What the Lambda runtime sets in a container of a function with active tracing.
  Object.assign(process.env, {
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: process.cwd(),
    _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR'
  })
  tracing = await loadTracing('shop')
})

t.test('an order placed with tracing on: annotated invocation, traced DynamoDB calls', async (t) => {
  const tables = await createTables(t)
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const app = await build(t, { env: { ...stackEnv(), ...tables, ...issuer.env }, deps: { tracing } })
  const now = new Date().toISOString()
  await app.aws.ddb.send(new PutCommand({
    TableName: tables.ITEMS_TABLE,
    Item: {
      id: 'lamp',
      category: 'home',
      type: 'lamp',
      brand: 'Acme',
      title: 'Lamp',
      description: 'A lamp',
      colorPreference: [],
      price: 4000,
      currency: 'EUR',
      stock: 3,
      searchText: 'lamp',
      createdAt: now,
      updatedAt: now
    }
  }))
  const auth = { authorization: `Bearer ${issuer.token({ sub: 'user-trace', email: 'trace@example.com' })}` }
  // The seeding PutItem (outside any invocation) reaches the daemon too: wait for it, then start afresh.
  await until('the seeding PutItem', () => segments.find((s) => s.aws?.operation === 'PutItem'))
  segments.length = 0

  const placed = await tracing.invocation('api', async () =>
    app.inject({ method: 'POST', url: '/orders', headers: auth, payload: { items: [{ id: 'lamp', count: 1 }] } }))
  t.equal(placed.statusCode, 201, placed.body)
  const orderId = placed.json().id as string
  const read = await tracing.invocation('api', async () => app.inject({ url: `/orders/${orderId}`, headers: auth }))
  t.equal(read.statusCode, 200)

  await t.resolves(
    until('both invocations reached the daemon', () => segments.filter((s) => s.name === '## api')[1]),
    'both invocations reached the daemon'
  )
  const invocations = segments.filter((s) => s.name === '## api')
  t.match(invocations[0]?.annotations, { route: 'POST /orders', orderId, Service: 'shop' }, 'the order it placed')
  t.match(invocations[1]?.annotations, { route: 'GET /orders/:orderId', orderId }, 'the order it read')
  const calls = segments.filter((s) => s.namespace === 'aws')
  t.ok(
    calls.some((s) => s.name === 'DynamoDB' && s.aws?.operation === 'TransactWriteItems'),
    'the order transaction is a subsegment'
  )
  t.ok(calls.some((s) => s.name === 'DynamoDB' && s.aws?.operation === 'GetItem'), 'the read is a subsegment')
  for (const call of calls) {
    t.ok(
      invocations.some((i) => i.id === call.parent_id),
    `${call.aws?.operation} is inside an invocation's subsegment`
    )
  }
})

t.test("the worker's invocation: annotated with the order and the correlation id, its webhook call " +
  'traced', async (t) => {
  const partner = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end('ok')) })
  await new Promise<void>((resolve) => partner.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { partner.closeAllConnections(); partner.close(() => resolve()) }))
  const runtime = testRuntime({ tracing }, { WAREHOUSE_WEBHOOK_URL: `http://127.0.0.1:${(partner.address() as AddressInfo).port}/hooks` })
  mockClient(runtime.ses).on(SendEmailCommand).resolves({ MessageId: 'm-1' })
  segments.length = 0
  const event = orderEvent(order({ id: 'ord-traced' }))
  await tracing.invocation(
    'worker',
    async () => createHandler(runtime)({ ...event, detail: { ...event.detail, correlationId: 'req-traced' } })
  )
  await t.resolves(
    until('the invocation reached the daemon', () => segments.find((s) => s.name === '## worker')),
    'the invocation reached the daemon'
  )
  const invocation = segments.find((s) => s.name === '## worker')
  t.match(invocation?.annotations, { orderId: 'ord-traced', route: 'OrderPlaced', correlationId: 'req-traced' })
  await t.resolves(
    until(
      'the webhook call is a subsegment',
      () => segments.find((s) => s.http?.request?.url?.includes('/hooks') === true)
    ),
    'the webhook call is a subsegment'
  )
  const webhook = segments.find((s) => s.http?.request?.url?.includes('/hooks') === true)
  t.equal(webhook?.parent_id, invocation?.id, "... of the invocation's")
})
