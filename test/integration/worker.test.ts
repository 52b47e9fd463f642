// The local worker against the emulators: DynamoDB Local's stream of fresh tables, the local bus
// routing by the template's rules, the real handler, the SES emulator, and a webhook server of the
// test's own standing in for the warehouse and the delivery service.
import t from 'tap'
import { codeFromMailbox } from '../helpers/accounts.js'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, DescribeStreamCommand } from '@aws-sdk/client-dynamodb-streams'
import { LOCAL_DEFAULTS, loadConfig } from '../../core/config.js'
import { toStoredItem } from '../../domain/catalog.js'
import { startLocalWorker, localWorkerEnv } from '../../local/worker.js'
import { startStreamPoller, toLambdaRecord } from '../../local/stream-poller.js'
import { SIGNATURE_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER } from '../../domain/webhook-signature.js'
import { checkWebhookSignature as verifyWebhook } from '../../clients/typescript/src/webhooks.js'
import type { StoredOrder } from '../../domain/orders.js'
import { createTables, localDynamoClient, stackEnv } from '../helpers/stack.js'
import { memoryLog } from '../helpers/worker-fixtures.js'
import { build } from '../helpers/app.js'
import { until } from '../helpers/until.js'

interface Hook { path: string; headers: IncomingHttpHeaders; body: string }
interface SesEmail { destination: { to: string[] }; subject: string; body: { html?: string; text?: string } }

const KEYS = { WAREHOUSE_WEBHOOK_SECRET: 'it-warehouse-webhook-key-0123', DELIVERY_WEBHOOK_SECRET: 'it-delivery-webhook-key-0123' }

async function startHookServer (t: { teardown: (fn: () => unknown) => void }): Promise<{ url: string; hooks: Hook[] }> {
  const hooks: Hook[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      hooks.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
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

t.test('stream → bus → webhooks and emails, each once, with redeliveries', async (t) => {
  const before = new Date(Date.now() - 1000)
  const tables = await createTables(t)
  const { url: hooksUrl, hooks } = await startHookServer(t)
  const workerEnv = await localWorkerEnv({
    EVENTBUS_PORT: '0',
    WAREHOUSE_WEBHOOK_URL: `${hooksUrl}/warehouse`,
    DELIVERY_WEBHOOK_URL: `${hooksUrl}/delivery`
  })
  const config = loadConfig({
    ...stackEnv(), ...tables, ...workerEnv, ...KEYS,
    STAGE: 'test', LOG_LEVEL: 'silent', SES_FROM: 'shop@example.com', PICKUP_ADDRESS: '1 Dock Road, Springfield'
  })
  const log = memoryLog()
  const started = Date.now()
  const worker = await startLocalWorker({ config, log, partnerSimulator: false, freshTablesSince: before })
  t.teardown(() => worker.stop())
  t.equal(worker.partnerUrl, undefined, 'no partner simulator: the test is the partner')

  const ddb = DynamoDBDocumentClient.from(localDynamoClient(), { marshallOptions: { removeUndefinedValues: true } })
  t.teardown(() => ddb.destroy())
  const suffix = randomBytes(4).toString('hex')
  const email = `ada+${suffix}@example.com`
  const at = new Date().toISOString()
  const order: StoredOrder = {
    id: `ord_it${suffix}`,
    userId: `user-${suffix}`,
    userEmail: email,
    userEmailVerified: true,
    status: 'placed',
    lines: [
      { id: 'phone-1', title: 'Phone <b>X</b> & "Co"', color: 'Midnight <Blue>', colorCode: '#123456', count: 2, unitPrice: 49999 },
      { id: 'case-1', title: 'Case', count: 1, unitPrice: 1999 }
    ],
    total: 101997,
    currency: 'USD',
    createdAt: at,
    updatedAt: at,
    history: [{ status: 'placed', at, by: `user:user-${suffix}` }]
  }
  await ddb.send(new PutCommand({ TableName: tables.ORDERS_TABLE, Item: order }))

  const warehouse = await until('the warehouse webhook', () => hooks.find((h) => h.path === '/warehouse'))
  const placedMail = await until('the "placed" email', async () => (await mailTo(email)).find((m) => m.subject.startsWith('Order placed')))
  t.comment(`placed: webhook and email ${Date.now() - started} ms after the worker started`)

  t.equal(warehouse.headers[EVENT_TYPE_HEADER], 'OrderPlaced')
  t.equal(warehouse.headers[EVENT_ID_HEADER], `${order.id}:placed`)
  t.match(verifyWebhook(KEYS.WAREHOUSE_WEBHOOK_SECRET, warehouse.body, warehouse.headers[SIGNATURE_HEADER] as string), { ok: true }, 'signed with the warehouse key')
  t.match(verifyWebhook(KEYS.DELIVERY_WEBHOOK_SECRET, warehouse.body, warehouse.headers[SIGNATURE_HEADER] as string), { ok: false }, 'not with another key')
  t.match(JSON.parse(warehouse.body), { type: 'OrderPlaced', order: { id: order.id, status: 'placed', lines: [{ id: 'phone-1', count: 2 }, { id: 'case-1', count: 1 }] } })
  t.equal(placedMail.subject, `Order placed — #${order.id}`)
  t.match(placedMail.body.html, /Phone &lt;b&gt;X&lt;\/b&gt; &amp; &quot;Co&quot;/, 'catalog strings are escaped in the HTML')
  t.notMatch(placedMail.body.html, /<b>X<\/b>|<Blue>/, 'no markup from the catalog')
  t.match(placedMail.body.text, /Phone <b>X<\/b> & "Co"/, 'the text part is plain')

  const packedAt = new Date().toISOString()
  await ddb.send(new UpdateCommand({
    TableName: tables.ORDERS_TABLE,
    Key: { id: order.id },
    UpdateExpression: 'SET #status = :packed, updatedAt = :at, packageId = :pkg, history = list_append(history, :entry)',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':packed': 'packed', ':at': packedAt, ':pkg': 'PKG-1', ':entry': [{ status: 'packed', at: packedAt, by: 'partner:warehouse' }] }
  }))
  const delivery = await until('the delivery webhook', () => hooks.find((h) => h.path === '/delivery'))
  await until('the "packed" email', async () => (await mailTo(email)).find((m) => m.subject.startsWith('Order packed')))
  t.equal(delivery.headers[EVENT_TYPE_HEADER], 'OrderPacked')
  t.match(verifyWebhook(KEYS.DELIVERY_WEBHOOK_SECRET, delivery.body, delivery.headers[SIGNATURE_HEADER] as string), { ok: true }, 'signed with the delivery key')
  t.match(JSON.parse(delivery.body), { type: 'OrderPacked', order: { id: order.id, packageId: 'PKG-1' }, pickupAddress: '1 Dock Road, Springfield', customer: { email } })

  // A change that is not a status change publishes nothing.
  await ddb.send(new UpdateCommand({ TableName: tables.ORDERS_TABLE, Key: { id: order.id }, UpdateExpression: 'SET note = :n', ExpressionAttributeValues: { ':n': 'fragile' } }))
  await worker.settled()
  t.same(worker.bus.events.map((e) => e['detail-type']), ['OrderPlaced', 'OrderPacked'], 'one event per status change, in order')
  t.match(worker.bus.events[1], { source: 'serverless-commerce.orders', account: '000000000000', region: 'us-east-1', detail: { id: order.id, status: 'packed' } })

  // Redelivery: the whole stream again through the handler (as Lambda may), and the bus's events again.
  const streams = new DynamoDBStreamsClient({ endpoint: stackEnv().DYNAMODB_ENDPOINT, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } })
  t.teardown(() => streams.destroy())
  const arn = worker.poller.streamArn
  const shards = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription?.Shards ?? []
  const records = []
  for (const shard of shards) {
    const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))
    const res = await streams.send(new GetRecordsCommand({ ShardIterator }))
    records.push(...(res.Records ?? []).map((r) => toLambdaRecord(r, arn)))
  }
  t.equal(records.length, 3, 'the stream holds the insert and two modifies')
  t.same(await worker.invoke({ Records: records }), { batchItemFailures: [] }, 'the redelivered batch succeeds')
  for (const event of [...worker.bus.events]) await worker.invoke(event)
  await worker.settled()

  t.equal(hooks.filter((h) => h.path === '/warehouse').length, 1, 'the warehouse heard of the order once')
  t.equal(hooks.filter((h) => h.path === '/delivery').length, 1, 'the delivery service heard of it once')
  const mails = await mailTo(email)
  t.same(mails.map((m) => m.subject.split(' — ')[0]), ['Order placed', 'Order packed'], 'one email per status, in order')
  t.equal(worker.bus.events.length, 4, 'the redelivered records were published again (effects deduplicated them)')
  t.notOk(log.lines.some((l) => l.level === 'error'), 'no errors logged')
})

t.test('the stream poller retries a batch from its first failed record, then dead-letters and moves on', async (t) => {
  const before = new Date(Date.now() - 1000)
  const tables = await createTables(t)
  const config = loadConfig({ ...stackEnv(), ...tables, STAGE: 'test', LOG_LEVEL: 'silent' })
  const ddb = DynamoDBDocumentClient.from(localDynamoClient())
  t.teardown(() => ddb.destroy())
  const ids = ['o1', 'o2', 'o3', 'o4'].map((id) => `${id}-${randomBytes(3).toString('hex')}`)
  const row = (id: string) => ({ id, userId: 'u', userEmail: 'u@example.com', status: 'placed', lines: [], total: 0, currency: 'USD', createdAt: 'x', updatedAt: 'x', history: [] })
  for (const id of ids.slice(0, 3)) await ddb.send(new PutCommand({ TableName: tables.ORDERS_TABLE, Item: row(id) }))

  const calls: string[][] = []
  const log = memoryLog()
  const poller = await startStreamPoller({
    config,
    log,
    trimHorizonIfCreatedAfter: before,
    retryDelaysMs: [10, 10],
    handler: async (event) => {
      const batch = event.Records.map((r) => r.dynamodb?.Keys?.id?.S as string)
      calls.push(batch)
      const seq = (id: string): string => event.Records.find((r) => r.dynamodb?.Keys?.id?.S === id)?.dynamodb?.SequenceNumber as string
      t.ok(event.Records.every((r) => r.eventSourceARN?.includes(`table/${tables.ORDERS_TABLE}/stream/`) === true && r.eventName === 'INSERT' && typeof r.dynamodb?.ApproximateCreationDateTime === 'number'), 'Lambda-shaped records')
      switch (calls.length) {
        case 1: return { batchItemFailures: [{ itemIdentifier: seq(ids[1]) }] }
        case 2: throw new Error('bus down')
        case 3: return { batchItemFailures: [{ itemIdentifier: seq(ids[2]) }] }
        default: return { batchItemFailures: [] }
      }
    }
  })
  t.teardown(() => poller.stop())
  t.equal(poller.streamArn.includes(tables.ORDERS_TABLE), true)
  await until('the dead letter', () => log.lines.find((l) => l.message === 'stream record given up on (dead letter)'))
  await ddb.send(new PutCommand({ TableName: tables.ORDERS_TABLE, Item: row(ids[3]) }))
  await until('the record after it', () => calls.find((c) => c.includes(ids[3])))
  t.same(calls, [ids.slice(0, 3), ids.slice(1, 3), ids.slice(1, 3), [ids[3]]], 'retried from the first failed record; the later record is not blocked')
  const dead = log.lines.filter((l) => l.message === 'stream record given up on (dead letter)')
  t.match(dead, [{ level: 'error', extra: { orderId: ids[2], retries: 2 } }], 'only the record that still failed is dead-lettered')
  await poller.stop()
  await poller.stop()
  t.pass('stop() twice is fine')
})

t.test('end to end over HTTP: signup, signin, order, warehouse webhook, pack, delivery webhook, deliver, three emails', async (t) => {
  const before = new Date(Date.now() - 1000)
  const tables = await createTables(t)
  const { url: hooksUrl, hooks } = await startHookServer(t)
  // Real accounts: signup and signin through the API against cognito-local.
  const env = {
    ...stackEnv(), ...tables, ...KEYS,
    ...await localWorkerEnv({ EVENTBUS_PORT: '0', WAREHOUSE_WEBHOOK_URL: `${hooksUrl}/warehouse`, DELIVERY_WEBHOOK_URL: `${hooksUrl}/delivery` }),
    STAGE: 'test', LOG_LEVEL: 'silent', SES_FROM: 'shop@example.com'
  }
  const worker = await startLocalWorker({ config: loadConfig(env), log: memoryLog(), partnerSimulator: false, freshTablesSince: before })
  t.teardown(() => worker.stop())
  const app = await build(t, { env })

  const ddb = DynamoDBDocumentClient.from(localDynamoClient())
  t.teardown(() => ddb.destroy())
  const at = new Date().toISOString()
  await ddb.send(new PutCommand({
    TableName: tables.ITEMS_TABLE,
    Item: toStoredItem('case-e2e', { category: 'accessories', type: 'case', brand: 'Acme', title: 'Case <Deluxe>', description: 'A case', colorPreference: [], price: 1999, currency: 'USD' }, 5, at, at)
  }))
  const suffix = randomBytes(4).toString('hex')
  const email = `grace+${suffix}@example.com`
  const password = 'Correct-Horse-1'
  // Signed up through the API, with the code from the mailbox, as a shopper does.
  const signup = await app.inject({ method: 'POST', url: '/signup', payload: { email, password, name: 'Grace' } })
  t.equal(signup.statusCode, 202, signup.body)
  const confirm = await app.inject({ method: 'POST', url: '/signup/confirm', payload: { email, password, code: await codeFromMailbox(email) } })
  t.equal(confirm.statusCode, 200, confirm.body)
  const signin = await app.inject({ method: 'POST', url: '/signin', payload: { email, password } })
  t.equal(signin.statusCode, 200, signin.statusCode === 200 ? 'signed in' : signin.body) // tokens never in the test output
  const placed = await app.inject({
    method: 'POST', url: '/orders', payload: { items: [{ id: 'case-e2e', count: 2 }] },
    headers: { authorization: `Bearer ${signin.json().idToken as string}` }
  })
  t.equal(placed.statusCode, 201, placed.body)
  const orderId = placed.json().id as string

  const warehouse = await until('the warehouse webhook', () => hooks.find((h) => h.path === '/warehouse'))
  t.equal(JSON.parse(warehouse.body).order.id, orderId)
  t.match(verifyWebhook(KEYS.WAREHOUSE_WEBHOOK_SECRET, warehouse.body, warehouse.headers[SIGNATURE_HEADER] as string), { ok: true }, 'a valid signature')

  const packed = await app.inject({ method: 'POST', url: `/orderpacked/${orderId}`, payload: { packageId: 'PKG-E2E' }, headers: { 'x-api-key': LOCAL_DEFAULTS.WAREHOUSE_API_KEY } })
  t.equal(packed.statusCode, 200, packed.body)
  const delivery = await until('the delivery webhook', () => hooks.find((h) => h.path === '/delivery'))
  t.match(JSON.parse(delivery.body), { order: { id: orderId, packageId: 'PKG-E2E' }, customer: { email } })

  const delivered = await app.inject({ method: 'POST', url: `/orderdelivered/${orderId}`, payload: { trackingNumber: 'TRK-1', carrier: 'UPS' }, headers: { 'x-api-key': LOCAL_DEFAULTS.DELIVERY_API_KEY } })
  t.equal(delivered.statusCode, 200, delivered.body)
  const mails = await until('three emails', async () => {
    const got = (await mailTo(email)).filter((m) => m.subject.startsWith('Order '))
    return got.length >= 3 ? got : undefined
  })
  t.same(mails.map((m) => m.subject), ['placed', 'packed', 'delivered'].map((s) => `Order ${s} — #${orderId}`), 'placed, packed, delivered, in that order, for that customer')
  t.match(mails[0].body.html, /Case &lt;Deluxe&gt;/)
  t.equal(hooks.length, 2, 'one webhook per partner')
})
