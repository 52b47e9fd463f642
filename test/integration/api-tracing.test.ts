// X-Ray tracing of the API with the real Tracer (core/tracing.ts), as Lambda runs it: this process
// looks like a Lambda container with active tracing (the variables Lambda sets), and a UDP socket
// stands in for the X-Ray daemon. An order placed against DynamoDB Local yields the invocation's
// subsegment annotated with the route and the order id, and one subsegment per DynamoDB call.
import t from 'tap'
import { createSocket } from 'node:dgram'
import { PutCommand } from '@aws-sdk/lib-dynamodb'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { loadTracing } from '../../core/tracing.js'

interface Segment { name: string; annotations?: Record<string, unknown>; namespace?: string; aws?: { operation?: string }; parent_id?: string; id: string }

t.test('an order placed with tracing on: annotated invocation, traced DynamoDB calls', async (t) => {
  const daemon = createSocket('udp4')
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve))
  t.teardown(() => daemon.close())
  const segments: Segment[] = []
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
  const tracing = await loadTracing('shop-api')

  const tables = await createTables(t)
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const app = await build(t, { env: { ...stackEnv(), ...tables, ...issuer.env }, deps: { tracing } })
  const now = new Date().toISOString()
  await app.aws.ddb.send(new PutCommand({
    TableName: tables.ITEMS_TABLE,
    Item: { id: 'lamp', category: 'home', type: 'lamp', brand: 'Acme', title: 'Lamp', description: 'A lamp', colorPreference: [], price: 4000, currency: 'EUR', stock: 3, searchText: 'lamp', createdAt: now, updatedAt: now }
  }))
  const auth = { authorization: `Bearer ${issuer.token({ sub: 'user-trace', email: 'trace@example.com' })}` }
  // The seeding PutItem (outside any invocation) reaches the daemon too: wait for it, then start afresh.
  await waitFor(() => segments.some((s) => s.aws?.operation === 'PutItem'))
  segments.length = 0

  const placed = await tracing.invocation('api', async () =>
    app.inject({ method: 'POST', url: '/orders', headers: auth, payload: { items: [{ id: 'lamp', count: 1 }] } }))
  t.equal(placed.statusCode, 201, placed.body)
  const orderId = placed.json().id as string
  const read = await tracing.invocation('api', async () => app.inject({ url: `/orders/${orderId}`, headers: auth }))
  t.equal(read.statusCode, 200)

  await t.resolves(waitFor(() => segments.filter((s) => s.name === '## api').length >= 2), 'both invocations reached the daemon')
  const invocations = segments.filter((s) => s.name === '## api')
  t.match(invocations[0]?.annotations, { route: 'POST /orders', orderId, Service: 'shop-api' }, 'the order it placed')
  t.match(invocations[1]?.annotations, { route: 'GET /orders/:orderId', orderId }, 'the order it read')
  const calls = segments.filter((s) => s.namespace === 'aws')
  t.ok(calls.some((s) => s.name === 'DynamoDB' && s.aws?.operation === 'TransactWriteItems'), 'the order transaction is a subsegment')
  t.ok(calls.some((s) => s.name === 'DynamoDB' && s.aws?.operation === 'GetItem'), 'the read is a subsegment')
  for (const call of calls) t.ok(invocations.some((i) => i.id === call.parent_id), `${call.aws?.operation} is inside an invocation's subsegment`)
})

async function waitFor (ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > until) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
