// The local worker against the emulators: DynamoDB Local's stream of fresh tables, the local bus and
// SQS routing by the template's rule and queues, the real handler, the SES emulator, and a webhook
// server of the test's own standing in for the warehouse and the delivery service. Each test is one
// of the worker's delivery promises: once, in the order's order, parked with the content and redriven once, nothing
// lost while the bus is down, a poison record parked without holding the shard.
import t, { type Test } from 'tap'
import { codeFromMailbox } from '../helpers/accounts.js'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { DynamoDBDocumentClient, PutCommand, UpdateCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb'
import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  DescribeStreamCommand
} from '@aws-sdk/client-dynamodb-streams'
import { EventBridgeClient } from '@aws-sdk/client-eventbridge'
import { SQSClient } from '@aws-sdk/client-sqs'
import { LOCAL_DEFAULTS, loadConfig, type Config } from '../../core/config.js'
import { clientOptions } from '../../core/aws-options.js'
import type { WorkerRuntime } from '../../workers/runtime.js'
import { toStoredItem } from '../../domain/catalog.js'
import { startLocalWorker, localWorkerEnv, type LocalWorker, type LocalWorkerOptions } from '../../local/worker.js'
import { startStreamPoller, toLambdaRecord } from '../../local/stream-poller.js'
import { SIGNATURE_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER } from '../../domain/webhook-signature.js'
import { checkWebhookSignature as verifyWebhook } from '../../clients/typescript/src/webhooks.js'
import type { StoredOrder } from '../../domain/orders.js'
import { redrive } from '../../scripts/ops/redrive.js'
import { localTarget } from '../../scripts/ops/targets.js'
import { replayOrder } from '../../scripts/ops/replay.js'
import { until } from '../helpers/until.js'
import { createTables, localDynamoClient, stackEnv, type TestTables } from '../helpers/stack.js'
import { memoryLog, memoryMetrics, sqsMessage } from '../helpers/worker-fixtures.js'
import { mockClient } from 'aws-sdk-client-mock'
import { PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { createWorkerRuntime } from '../../workers/runtime.js'
import { createHandler } from '../../workers/dispatch.js'
import { build } from '../helpers/app.js'

interface Hook { path: string; headers: IncomingHttpHeaders; body: string; status: number }
interface SesEmail { destination: { to: string[] }; subject: string; body: { html?: string; text?: string } }

const KEYS = {
  WAREHOUSE_WEBHOOK_SECRET: 'it-warehouse-webhook-key-0123',
  DELIVERY_WEBHOOK_SECRET: 'it-delivery-webhook-key-0123'
}

/** A partner's webhook server: records every request and answers `answer(hook)` (200 by default). */
async function startHookServer (t: Test, answer: (hook: Omit<Hook, 'status'>) => number = () => 200): Promise<{
  url: string
  hooks: Hook[]
}> {
  const hooks: Hook[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const hook = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      const status = answer(hook)
      hooks.push({ ...hook, status })
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hooks }
}

async function mailTo (email: string): Promise<SesEmail[]> {
  const res = await fetch(`${stackEnv().SES_ENDPOINT}/store`)
  const { emails } = await res.json() as { emails: SesEmail[] }
  return emails.filter((e) => e.destination.to.includes(email))
}
const subjectsTo = async (email: string): Promise<string[]> =>
  (await mailTo(email)).map((m) => m.subject.split(' — ')[0] as string)

interface Setup {
  worker: LocalWorker
  config: Config
  tables: TestTables
  hooks: Hook[]
  ddb: DynamoDBDocumentClient
  log: ReturnType<typeof memoryLog>
  env: Record<string, string>
}

/** Fresh tables, a webhook server, and the local worker over them (pauses shortened for tests). */
interface SetupOptions {
  answer?: (hook: Omit<Hook, 'status'>) => number
  env?: Record<string, string>
  worker?: Partial<LocalWorkerOptions>
  /** Runtime overrides that need the config (a client at the local endpoints). */
  runtimeFor?: (config: Config) => Partial<WorkerRuntime>
}

async function setup (t: Test, opts: SetupOptions = {}): Promise<Setup> {
  const before = new Date(Date.now() - 1000)
  const tables = await createTables(t)
  const { url: hooksUrl, hooks } = await startHookServer(t, opts.answer)
  const env = {
    ...stackEnv(),
    ...tables,
    ...KEYS,
    ...await localWorkerEnv({
      EVENTBUS_PORT: '0',
      WAREHOUSE_WEBHOOK_URL: `${hooksUrl}/warehouse`,
      DELIVERY_WEBHOOK_URL: `${hooksUrl}/delivery`
    }),
    STAGE: 'test',
    LOG_LEVEL: 'silent',
    SES_FROM: 'shop@example.com',
    PICKUP_ADDRESS: '1 Dock Road, Springfield',
    ...opts.env
  }
  const config = loadConfig(env)
  const log = memoryLog()
  const worker = await startLocalWorker({
    config,
    log,
    partnerSimulator: false,
    freshTablesSince: before,
    pollIntervalMs: 50,
    ...opts.worker,
    // Retries a second apart (the deployed schedule is minutes), webhook attempts without pauses.
    runtime: {
      effectRetryDelaysS: [1],
      replayRetryDelaysS: [1],
      webhookRetryDelaysMs: [0, 0],
      ...opts.worker?.runtime,
      ...opts.runtimeFor?.(config)
    }
  })
  t.teardown(() => worker.stop())
  const ddb = DynamoDBDocumentClient.from(localDynamoClient(), { marshallOptions: { removeUndefinedValues: true } })
  t.teardown(() => ddb.destroy())
  return { worker, config, tables, hooks, ddb, log, env }
}

function anOrder (suffix = randomBytes(4).toString('hex'), extra: Partial<StoredOrder> = {}): StoredOrder {
  const at = new Date().toISOString()
  return {
    id: `ord_it${suffix}`,
    userId: `user-${suffix}`,
    userEmail: `ada+${suffix}@example.com`,
    userEmailVerified: true,
    status: 'placed',
    lines: [
      {
        id: 'phone-1',
        title: 'Phone <b>X</b> & "Co"',
        color: 'Midnight <Blue>',
        colorCode: '#123456',
        count: 2,
        unitPrice: 49999
      },
      { id: 'case-1', title: 'Case', count: 1, unitPrice: 1999 }
    ],
    total: 101997,
    currency: 'USD',
    createdAt: at,
    updatedAt: at,
    history: [{ status: 'placed', at, by: `user:user-${suffix}` }],
    ...extra
  }
}

/** The order moved to a new status, as the API writes it. */
async function moveTo (
  s: Setup,
  order: StoredOrder,
  status: StoredOrder['status'],
  extra: Record<string, string> = {}
): Promise<void> {
  const at = new Date().toISOString()
  const sets = Object.keys(extra).map((k) => `#${k} = :${k}`)
  await s.ddb.send(new UpdateCommand({
    TableName: s.tables.ORDERS_TABLE,
    Key: { id: order.id },
    UpdateExpression: `SET #status = :status, updatedAt = :at, history = list_append(history, :entry)${sets.map((x) =>
      `, ${x}`).join('')}`,
    ExpressionAttributeNames: {
      '#status': 'status',
      ...Object.fromEntries(Object.keys(extra).map((k) => [`#${k}`, k]))
    },
    ExpressionAttributeValues: {
      ':status': status,
      ':at': at,
      ':entry': [{ status, at, by: 'partner:warehouse' }],
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`:${k}`, v]))
    }
  }))
}

const typesTo = (hooks: Hook[], path: string, ok = true): string[] =>
  hooks.filter((h) => h.path === path && (!ok || h.status < 300)).map((h) => h.headers[EVENT_TYPE_HEADER] as string)

/** The local target of the ops commands, at this test's endpoints and tables. */
const opsTarget = (s: Setup) => localTarget({
  EVENTBUS_PORT: new URL(s.worker.eventBusUrl).port,
  DYNAMODB_ENDPOINT: s.env.DYNAMODB_ENDPOINT,
  ORDERS_TABLE: s.tables.ORDERS_TABLE,
  EVENT_BUS_NAME: s.config.eventBusName
})
const opsSqs = (t: Test, s: Setup): SQSClient => {
  const sqs = new SQSClient({
    endpoint: s.worker.eventBusUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' }
  })
  t.teardown(() => sqs.destroy())
  return sqs
}

t.test('stream → bus → queue → webhooks and emails, each once, with redeliveries', async (t) => {
  const s = await setup(t)
  const order = anOrder()
  await s.ddb.send(new PutCommand({ TableName: s.tables.ORDERS_TABLE, Item: order }))
  const warehouse = await until('the warehouse webhook', () => s.hooks.find((h) => h.path === '/warehouse'))
  const placedMail = await until(
    'the "placed" email',
    async () => (await mailTo(order.userEmail)).find((m) => m.subject.startsWith('Order placed'))
  )
  t.equal(warehouse.headers[EVENT_TYPE_HEADER], 'OrderPlaced')
  t.equal(warehouse.headers[EVENT_ID_HEADER], `${order.id}:placed`)
  t.match(
    verifyWebhook(KEYS.WAREHOUSE_WEBHOOK_SECRET, warehouse.body, warehouse.headers[SIGNATURE_HEADER] as string),
    { ok: true },
    'signed with the warehouse key'
  )
  t.match(
    verifyWebhook(KEYS.DELIVERY_WEBHOOK_SECRET, warehouse.body, warehouse.headers[SIGNATURE_HEADER] as string),
    { ok: false },
    'not with another key'
  )
  t.match(
    JSON.parse(warehouse.body),
    {
      type: 'OrderPlaced',
      sequence: 1,
      sequenceNumber: /^\d+$/,
      occurredAt: order.updatedAt,
      order: { id: order.id, status: 'placed', lines: [{ id: 'phone-1', count: 2 }, { id: 'case-1', count: 1 }] }
    }
  )
  t.equal(placedMail.subject, `Order placed — #${order.id}`)
  t.match(
    placedMail.body.html,
    /Phone &lt;b&gt;X&lt;\/b&gt; &amp; &quot;Co&quot;/,
    'catalog strings are escaped in the HTML'
  )
  t.notMatch(placedMail.body.html, /<b>X<\/b>|<Blue>/, 'no markup from the catalog')

  await moveTo(s, order, 'packed', { packageId: 'PKG-1' })
  const delivery = await until('the delivery webhook', () => s.hooks.find((h) => h.path === '/delivery'))
  await until(
    'the "packed" email',
    async () => (await mailTo(order.userEmail)).find((m) => m.subject.startsWith('Order packed'))
  )
  t.match(
    verifyWebhook(KEYS.DELIVERY_WEBHOOK_SECRET, delivery.body, delivery.headers[SIGNATURE_HEADER] as string),
    { ok: true },
    'signed with the delivery key'
  )
  t.match(JSON.parse(delivery.body), {
    type: 'OrderPacked',
    sequence: 2,
    order: { id: order.id, packageId: 'PKG-1' },
    pickupAddress: '1 Dock Road, Springfield',
    shippingAddress: null
  })
  t.notOk('customer' in JSON.parse(delivery.body), 'no customer email for the delivery service')

  // A change that is not a status change publishes nothing.
  await s.ddb.send(
    new UpdateCommand({
      TableName: s.tables.ORDERS_TABLE,
      Key: { id: order.id },
      UpdateExpression: 'SET note = :n',
      ExpressionAttributeValues: { ':n': 'fragile' }
    })
  )
  await s.worker.settled()
  t.same(
    s.worker.bus.events.map((e) => e['detail-type']),
    ['OrderPlaced', 'OrderPacked'],
    'one event per status change, in order'
  )

  // Redelivery: the whole stream again through the handler (as Lambda may), then a replay of the order.
  const streams = new DynamoDBStreamsClient({
    endpoint: stackEnv().DYNAMODB_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' }
  })
  t.teardown(() => streams.destroy())
  const arn = s.worker.poller.streamArn
  const shards = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription?.Shards ?? []
  const records = []
  for (const shard of shards) {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' })
    )
    records.push(
      ...((await streams.send(new GetRecordsCommand({ ShardIterator }))).Records ?? []).map((r) => toLambdaRecord(
        r,
        arn
      ))
    )
  }
  t.equal(records.length, 3, 'the stream holds the insert and two modifies')
  t.same(await s.worker.invoke({ Records: records }), { batchItemFailures: [] }, 'the redelivered batch succeeds')
  const replayed = await replayOrder(opsTarget(s), order.id)
  t.same(
    replayed.map((e) => e.detailType),
    ['OrderPlaced', 'OrderPacked'],
    'npm run replay publishes each status again'
  )
  await s.worker.settled()

  t.equal(s.hooks.filter((h) => h.path === '/warehouse').length, 1, 'the warehouse heard of the order once')
  t.equal(s.hooks.filter((h) => h.path === '/delivery').length, 1, 'the delivery service heard of it once')
  t.same(await subjectsTo(order.userEmail), ['Order placed', 'Order packed'], 'one email per status, in order')
  t.notOk(s.log.lines.some((l) => l.level === 'error'), 'no errors logged')
})

t.test('a partner down longer than the retries: the event is parked with its content, then redriven and delivered ' +
  'once', async (t) => {
  let up = false
  const s = await setup(t, { answer: () => up ? 200 : 503, worker: { runtime: { effectRetryDelaysS: [0] } } })
  const order = anOrder()
  await s.ddb.send(new PutCommand({ TableName: s.tables.ORDERS_TABLE, Item: order }))
  const dlq = s.worker.queues.byName('local-order-events-dlq')
  await until('the event parked', () => dlq.messages.size > 0 ? true : undefined, 40000)
  const parked = [...dlq.messages.values()][0]
  t.match(
    JSON.parse(parked?.body ?? '{}'),
    { 'detail-type': 'OrderPlaced', detail: { id: order.id, status: 'placed' } },
    'the event itself'
  )
  const attempts = s.hooks.filter((h) => h.path === '/warehouse').length
  t.equal(attempts, 12 * 3, 'every delivery of the template\'s 12 tried the partner 3 times')
  t.same(await subjectsTo(order.userEmail), ['Order placed'], 'the email went out once meanwhile')
  t.ok(
    s.log.lines.some((l) => l.level === 'error' && /last attempt/.test(l.message)),
    'the last attempt is logged as an error'
  )

  up = true
  const sqs = opsSqs(t, s)
  const first = await redrive(opsTarget(s), sqs, 'events', { pollMs: 50 })
  t.match(first, { moved: 1, status: 'COMPLETED' })
  await until(
    'the webhook delivered',
    () => s.hooks.some((h) => h.path === '/warehouse' && h.status === 200) ? true : undefined
  )
  await s.worker.settled()
  // Redriving again (the same event parked twice, as a copy still being retried could be) sends nothing twice.
  dlq.send(parked?.body ?? '')
  const second = await redrive(opsTarget(s), sqs, 'events', { pollMs: 50 })
  t.equal(second.moved, 1)
  await s.worker.settled()
  t.same(typesTo(s.hooks, '/warehouse'), ['OrderPlaced'], 'one 2xx delivery to the warehouse')
  t.same(await subjectsTo(order.userEmail), ['Order placed'], 'and still one email')
  t.match(
    await redrive(opsTarget(s), sqs, 'events', { pollMs: 50 }),
    { moved: 0, status: 'EMPTY' },
    'an empty queue: nothing to do'
  )
})

/** An EventBridge client at the local bus that refuses connections while `state.down`. */
function flakyBus (t: Test, config: Config, state: { down: boolean; calls: number }): EventBridgeClient {
  const client = new EventBridgeClient({ ...clientOptions(config, config.endpoints.eventbridge), maxAttempts: 1 })
  client.middlewareStack.add((next) => async (args) => {
    if (state.down) {
      state.calls++; throw Object.assign(
        new Error('connect ECONNREFUSED'),
        { name: 'Error', code: 'ECONNREFUSED' }
      )
    }
    return await next(args)
  }, { step: 'build', name: 'busOutage' })
  t.teardown(() => client.destroy())
  return client
}

t.test('the bus down far longer than the old stream retries: nothing lost, nothing twice', async (t) => {
  const bus = { down: true, calls: 0 }
  const s = await setup(t, {
    worker: { runtime: { sleep: async () => { await new Promise((resolve) => setTimeout(resolve, 20)) } } },
    runtimeFor: (config) => ({ eventbridge: flakyBus(t, config, bus) })
  })
  const order = anOrder()
  await s.ddb.send(new PutCommand({ TableName: s.tables.ORDERS_TABLE, Item: order }))
  // The old poller gave up after 8 retries (about 2 minutes) and logged a dead letter: the order was lost.
  await until('many failed attempts', () => bus.calls >= 25 ? true : undefined)
  t.equal(s.hooks.length, 0, 'nothing delivered while the bus is down')
  t.equal(
    s.worker.queues.byName('local-orders-stream-dlq').messages.size,
    0,
    'nothing given up on while the records are young'
  )
  bus.down = false
  await until('the webhook once the bus is back', () => s.hooks.find((h) => h.path === '/warehouse'))
  await s.worker.settled()
  t.equal(s.hooks.length, 1, 'delivered once')
  t.same(await subjectsTo(order.userEmail), ['Order placed'])
})

t.test('records failing past the park age are parked with their content and redriven once', async (t) => {
  const bus = { down: true, calls: 0 }
  // The worker's clock is 7 hours ahead: every record is past STREAM_PARK_AFTER_SECONDS (6 h).
  const s = await setup(t, {
    worker: { runtime: { now: () => Date.now() + 7 * 3600_000, sleep: async () => {} } },
    runtimeFor: (config) => ({ eventbridge: flakyBus(t, config, bus) })
  })
  const order = anOrder()
  await s.ddb.send(new PutCommand({ TableName: s.tables.ORDERS_TABLE, Item: order }))
  const dlq = s.worker.queues.byName('local-orders-stream-dlq')
  await until('the record parked', () => dlq.messages.size > 0 ? true : undefined)
  t.match(
    JSON.parse([...dlq.messages.values()][0]?.body ?? '{}'),
    {
      eventName: 'INSERT',
      dynamodb: { Keys: { id: { S: order.id } }, NewImage: { userEmail: { S: order.userEmail } } }
    },
    'the record with its images'
  )
  await s.worker.settled()
  t.equal(s.hooks.length, 0)
  bus.down = false
  const sqs = opsSqs(t, s)
  t.match(await redrive(opsTarget(s), sqs, 'orders-stream', { pollMs: 50 }), { moved: 1, status: 'COMPLETED' })
  await until('the webhook after the redrive', () => s.hooks.find((h) => h.path === '/warehouse'))
  await s.worker.settled()
  t.equal(s.hooks.length, 1, 'delivered once')
  t.same(await subjectsTo(order.userEmail), ['Order placed'])
})

t.test('a poison record: parked with its content, the shard moves on, nothing republished', async (t) => {
  const s = await setup(t)
  const poisonId = `ord_poison${randomBytes(3).toString('hex')}`
  // A row the API would never write: no userEmail, no lines.
  await s.ddb.send(
    new PutCommand({ TableName: s.tables.ORDERS_TABLE, Item: { id: poisonId, status: 'placed', history: [] } })
  )
  const after = [anOrder(), anOrder(), anOrder()]
  for (const o of after) await s.ddb.send(new PutCommand({ TableName: s.tables.ORDERS_TABLE, Item: o }))
  await until(
    'the orders after it',
    () => after.every((o) => s.hooks.some((h) => JSON.parse(h.body).order.id === o.id)) ? true : undefined
  )
  await s.worker.settled()
  const parked = [...s.worker.queues.byName('local-orders-stream-dlq').messages.values()]
  t.equal(parked.length, 1, 'parked once')
  t.match(
    JSON.parse(parked[0]?.body ?? '{}'),
    { dynamodb: { Keys: { id: { S: poisonId } }, NewImage: { status: { S: 'placed' } } } },
    'with its content'
  )
  t.match(parked[0]?.attributes, { reason: { StringValue: 'unreadable record' } })
  t.same(
    s.worker.bus.events.map((e) => (e.detail as { id: string }).id),
    after.map((o) => o.id),
    'every other order published exactly once'
  )
  t.equal(s.hooks.length, 3)
  t.notOk(s.log.lines.some((l) => l.message === 'stream batch retried from its first failed record'), 'never retried')
})

t.test("cancel right after place, the first OrderPlaced webhook failing: 'placed' never reaches anyone after " +
  "'cancelled'", async (t) => {
  let placedCalls = 0
  const s = await setup(t, {
    answer: (hook) => {
      // The warehouse is briefly down for the first OrderPlaced delivery (3 attempts).
      if (hook.headers[EVENT_TYPE_HEADER] === 'OrderPlaced' && ++placedCalls <= 3) return 503
      return 200
    }
  })
  const order = anOrder()
  await s.ddb.send(new PutCommand({ TableName: s.tables.ORDERS_TABLE, Item: order }))
  await until('the failed OrderPlaced delivery', () => placedCalls >= 3 ? true : undefined)
  await moveTo(s, order, 'cancelled')
  await until('the cancellation', () => s.hooks.find((h) => h.headers[EVENT_TYPE_HEADER] === 'OrderCancelled'))
  await s.worker.settled()
  t.same(
    typesTo(s.hooks, '/warehouse'),
    ['OrderCancelled'],
    'the warehouse acknowledged only the cancellation: the late OrderPlaced was not sent after it'
  )
  t.ok(
    s.log.lines.some((l) => l.message === 'order effect skipped: a newer one was sent'),
    'the stale effect is logged'
  )
  t.same(await subjectsTo(order.userEmail), ['Order placed', 'Order cancelled'], 'the customer: placed, then cancelled')
  const cancelled = s.hooks.find((h) => h.headers[EVENT_TYPE_HEADER] === 'OrderCancelled')
  t.match(
    JSON.parse(cancelled?.body ?? '{}'),
    { sequence: 2, occurredAt: /\.\d{3}Z$/ },
    'a partner can order by sequence'
  )
})

t.test('no webhook URL (the template\'s default): the webhook is skipped with a log line and a metric; the email ' +
  'goes out', async (t) => {
  const metrics = memoryMetrics()
  const s = await setup(t, { env: { WAREHOUSE_WEBHOOK_URL: '' }, worker: { runtime: { metrics } } })
  t.equal(s.config.webhookUrls.warehouse, undefined)
  const order = anOrder()
  await s.ddb.send(new PutCommand({ TableName: s.tables.ORDERS_TABLE, Item: order }))
  await until('the email', async () => (await mailTo(order.userEmail)).length > 0 ? true : undefined)
  await s.worker.settled()
  t.equal(s.hooks.length, 0)
  t.ok(s.log.lines.some((l) => l.message === 'webhook skipped: no URL configured'))
  t.same(
    metrics.counts.filter((c) => c.name === 'WebhooksSkipped'),
    [{ name: 'WebhooksSkipped', dimensions: { Partner: 'warehouse' }, value: 1 }]
  )
  t.equal(s.worker.queues.byName('local-order-events-dlq').messages.size, 0, 'nothing parked, nothing retried')
  t.notOk(s.log.lines.some((l) => l.level === 'error' || l.level === 'warn'))
})

t.test('ten big orders in one stream batch (far over 256 KB): every one published once, in calls within the ' +
  'limit', async (t) => {
  const s = await setup(t)
  const lines = Array.from(
    { length: 50 },
    (_, i) => ({ id: `item-${i}`, title: `Ünïcödé ☃ ${'ß'.repeat(200)} ${'日本'.repeat(120)}`, count: 1, unitPrice: 100 })
  )
  const orders = Array.from({ length: 10 }, () => anOrder(undefined, { lines, total: 5000 }))
  await s.ddb.send(
    new BatchWriteCommand({
      RequestItems: { [s.tables.ORDERS_TABLE]: orders.slice(0, 10).map((o) => ({ PutRequest: { Item: o } })) }
    })
  )
  await until('ten webhooks', () => s.hooks.length >= 10 ? true : undefined)
  await s.worker.settled()
  t.equal(s.worker.bus.events.length, 10, 'ten events')
  t.same(new Set(s.hooks.map((h) => JSON.parse(h.body).order.id)).size, 10, 'ten orders, once each')
  t.notOk(s.log.lines.some((l) => l.level === 'warn' || l.level === 'error'), 'no failed call')
})

t.test('the stream poller gives a batch up past the record age limit as the mapping does (a pointer), and the worker ' +
  'reads the pointer back', async (t) => {
  const before = new Date(Date.now() - 1000)
  const tables = await createTables(t)
  const config = loadConfig({ ...stackEnv(), ...tables, STAGE: 'test', LOG_LEVEL: 'silent' })
  const ddb = DynamoDBDocumentClient.from(localDynamoClient(), { marshallOptions: { removeUndefinedValues: true } })
  t.teardown(() => ddb.destroy())
  const orders = [anOrder(), anOrder(), anOrder()]
  const pointers: unknown[] = []
  const calls: string[][] = []
  // Both records are in the stream before the poller's first read (from the trim horizon), so the
  // first batch holds both whatever the machine's load.
  for (const o of orders.slice(0, 2)) await ddb.send(new PutCommand({ TableName: tables.ORDERS_TABLE, Item: o }))
  const poller = await startStreamPoller({
    config,
    log: memoryLog(),
    trimHorizonIfCreatedAfter: before,
    intervalMs: 20,
    maxRecordAgeSeconds: 1,
    onFailure: (p) => { pointers.push(p) },
    handler: async (event) => {
      calls.push(event.Records.map((r) => r.dynamodb?.Keys?.id?.S as string))
      t.ok(
        event.Records.every((r) =>
          r.eventSourceARN?.includes(`table/${tables.ORDERS_TABLE}/stream/`) === true &&
            typeof r.dynamodb?.ApproximateCreationDateTime === 'number'),
        'Lambda-shaped records'
      )
      const bad = event.Records.find((r) => r.dynamodb?.Keys?.id?.S === orders[1]?.id)
      return {
        batchItemFailures: bad === undefined ? [] : [{ itemIdentifier: bad.dynamodb?.SequenceNumber as string }]
      }
    }
  })
  t.teardown(() => poller.stop())
  await until('the pointer', () => pointers[0])
  await ddb.send(new PutCommand({ TableName: tables.ORDERS_TABLE, Item: orders[2] }))
  await until('the record after it', () => calls.find((c) => c.includes(orders[2]?.id as string)))
  await poller.stop()
  t.same(calls[0], orders.slice(0, 2).map((o) => o.id), 'first the batch')
  t.ok(
    calls.slice(1, -1).every((c) => c[0] === orders[1]?.id),
    'then retried from its first failed record, no attempt limit'
  )
  t.match(
    pointers[0],
    { DDBStreamBatchInfo: { streamArn: poller.streamArn, batchSize: 1 } },
    "the mapping's pointer: shard and sequence range, not the records"
  )

  // Redriven into the replay queue, the pointer is read back from the stream and published.
  const runtime = createWorkerRuntime(config, { log: memoryLog() })
  const published: string[] = []
  mockClient(runtime.eventbridge).on(PutEventsCommand).callsFake((input: { Entries: Array<{ Detail: string }> }) => {
    published.push(...input.Entries.map((e) => JSON.parse(e.Detail).id as string))
    return { FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'e' })) }
  })
  const res = await createHandler(runtime)({ Records: [sqsMessage(pointers[0], 1, 'local-orders-stream-replay')] })
  t.same(res, { batchItemFailures: [] })
  t.same(published, [orders[1]?.id], 'the record the pointer names, published')
})

t.test('end to end over HTTP: signup, confirm, signin, order, warehouse webhook, pack, delivery webhook, deliver, ' +
  'three emails', async (t) => {
  const s = await setup(t)
  const app = await build(t, { env: s.env })
  const at = new Date().toISOString()
  await s.ddb.send(new PutCommand({
    TableName: s.tables.ITEMS_TABLE,
    Item: toStoredItem(
      'case-e2e',
      {
        category: 'accessories',
        type: 'case',
        brand: 'Acme',
        title: 'Case <Deluxe>',
        description: 'A case',
        colorPreference: [],
        price: 1999,
        currency: 'USD'
      },
      5,
      at,
      at
    )
  }))
  const suffix = randomBytes(4).toString('hex')
  const email = `grace+${suffix}@example.com`
  const password = 'Correct-Horse-1'
  // Signed up through the API, with the code from the mailbox, as a shopper does.
  const signup = await app.inject({ method: 'POST', url: '/signup', payload: { email, password, name: 'Grace' } })
  t.equal(signup.statusCode, 202, signup.body)
  const confirm = await app.inject({
    method: 'POST',
    url: '/signup/confirm',
    payload: { email, password, code: await codeFromMailbox(email) }
  })
  t.equal(confirm.statusCode, 200, confirm.body)
  const signin = await app.inject({ method: 'POST', url: '/signin', payload: { email, password } })
  // tokens never in the test output
  t.equal(signin.statusCode, 200, signin.statusCode === 200 ? 'signed in' : signin.body)
  const placed = await app.inject({
    method: 'POST',
    url: '/orders',
    payload: { items: [{ id: 'case-e2e', count: 2 }] },
    headers: { authorization: `Bearer ${signin.json().idToken as string}` }
  })
  t.equal(placed.statusCode, 201, placed.body)
  const orderId = placed.json().id as string
  const warehouse = await until('the warehouse webhook', () => s.hooks.find((h) => h.path === '/warehouse'))
  t.equal(JSON.parse(warehouse.body).order.id, orderId)
  const packed = await app.inject({
    method: 'POST',
    url: `/orderpacked/${orderId}`,
    payload: { packageId: 'PKG-E2E' },
    headers: { 'x-api-key': LOCAL_DEFAULTS.WAREHOUSE_API_KEY }
  })
  t.equal(packed.statusCode, 200, packed.body)
  const delivery = await until('the delivery webhook', () => s.hooks.find((h) => h.path === '/delivery'))
  t.match(JSON.parse(delivery.body), { order: { id: orderId, packageId: 'PKG-E2E' }, shippingAddress: null })
  t.notMatch(delivery.body, email, "no customer email in the delivery service's webhook")
  const delivered = await app.inject({
    method: 'POST',
    url: `/orderdelivered/${orderId}`,
    payload: { trackingNumber: 'TRK-1', carrier: 'UPS' },
    headers: { 'x-api-key': LOCAL_DEFAULTS.DELIVERY_API_KEY }
  })
  t.equal(delivered.statusCode, 200, delivered.body)
  const mails = await until('three emails', async () => {
    const got = (await mailTo(email)).filter((m) => m.subject.startsWith('Order '))
    return got.length >= 3 ? got : undefined
  })
  t.same(
    mails.map((m) => m.subject),
    ['placed', 'packed', 'delivered'].map((st) => `Order ${st} — #${orderId}`),
    'placed, packed, delivered, in that order, for that customer'
  )
  t.equal(s.hooks.length, 2, 'one webhook per partner')
})
