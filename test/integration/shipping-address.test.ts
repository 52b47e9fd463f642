// Shipping addresses over the emulators: an order placed with one keeps it, the warehouse hears of
// the recipient's name and country, the delivery service of the whole address and phone (signed),
// the "placed" and "packed" emails show it; no partner ever gets the customer's email or user id;
// an order stored before addresses existed still reads, lists, cancels and moves through the
// partner states, its webhooks saying `null`.
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { LOCAL_DEFAULTS, loadConfig } from '../../core/config.js'
import { toStoredItem } from '../../domain/catalog.js'
import type { StoredOrder } from '../../domain/orders.js'
import { SIGNATURE_HEADER } from '../../domain/webhook-signature.js'
import { startLocalWorker, localWorkerEnv } from '../../local/worker.js'
import { checkWebhookSignature } from '../../clients/typescript/src/webhooks.js'
import { build } from '../helpers/app.js'
import { createTables, localDynamoClient, stackEnv } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { memoryLog } from '../helpers/worker-fixtures.js'
import { until } from '../helpers/until.js'

interface Hook { path: string; headers: IncomingHttpHeaders; body: string }
interface SesEmail { destination: { to: string[] }; subject: string; body: { html?: string; text?: string } }

const KEYS = {
  WAREHOUSE_WEBHOOK_SECRET: 'sa-warehouse-webhook-key-0123',
  DELIVERY_WEBHOOK_SECRET: 'sa-delivery-webhook-key-0123'
}
const WAREHOUSE = { 'x-api-key': LOCAL_DEFAULTS.WAREHOUSE_API_KEY }
const DELIVERY = { 'x-api-key': LOCAL_DEFAULTS.DELIVERY_API_KEY }

async function startHookServer (t: Test): Promise<{ url: string; hooks: Hook[] }> {
  const hooks: Hook[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      hooks.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hooks }
}

async function mailTo (email: string): Promise<SesEmail[]> {
  const { emails } = await (await fetch(`${stackEnv().SES_ENDPOINT}/store`)).json() as { emails: SesEmail[] }
  return emails.filter((e) => e.destination.to.includes(email))
}

t.test('shipping addresses from the order to the partners and the customer', async (t) => {
  const before = new Date(Date.now() - 1000)
  const tables = await createTables(t)
  const { url: hooksUrl, hooks } = await startHookServer(t)
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const env = {
    ...stackEnv(),
    ...tables,
    ...KEYS,
    ...await localWorkerEnv({
      EVENTBUS_PORT: '0', WAREHOUSE_WEBHOOK_URL: `${hooksUrl}/warehouse`, DELIVERY_WEBHOOK_URL: `${hooksUrl}/delivery`
    }),
    STAGE: 'test',
    LOG_LEVEL: 'silent',
    SES_FROM: 'shop@example.com',
    PICKUP_ADDRESS: '1 Dock Road, Springfield'
  }
  const worker = await startLocalWorker({
    config: loadConfig(env),
    log: memoryLog(),
    partnerSimulator: false,
    freshTablesSince: before,
    pollIntervalMs: 50,
    runtime: { effectRetryDelaysS: [1], replayRetryDelaysS: [1], webhookRetryDelaysMs: [0, 0] }
  })
  t.teardown(() => worker.stop())
  const app = await build(t, { env: { ...env, ...issuer.env } })
  const ddb = DynamoDBDocumentClient.from(localDynamoClient(), { marshallOptions: { removeUndefinedValues: true } })
  t.teardown(() => ddb.destroy())

  const at = new Date().toISOString()
  await ddb.send(new PutCommand({
    TableName: tables.ITEMS_TABLE,
    Item: toStoredItem('lamp-sa', {
      category: 'home',
      type: 'lamp',
      brand: 'Acme',
      title: 'Lamp',
      description: 'A lamp',
      colorPreference: [],
      price: 2500,
      currency: 'EUR'
    }, 10, at, at)
  }))
  const suffix = randomBytes(4).toString('hex')
  const sub = `user-sa-${suffix}`
  const email = `zoe+${suffix}@example.com`
  const shopper = { authorization: `Bearer ${issuer.token({ sub, email })}` }
  const bearer = (sub: string, groups: string[] = []): { authorization: string } =>
    ({ authorization: `Bearer ${issuer.token({ sub, email: `${sub}@example.com`, groups })}` })
  const admin = bearer(`admin-${suffix}`, ['admin'])
  const other = bearer(`other-${suffix}`)
  const sent = {
    name: ' Zoë Ólafsdóttir <Müller> ',
    line1: 'Unter den Linden 77',
    line2: '3. OG',
    city: 'Berlin',
    postalCode: '10117',
    country: 'DE',
    phone: '+4930123456789'
  }
  const kept = { ...sent, name: 'Zoë Ólafsdóttir <Müller>' }
  const hooksFor = (orderId: string, path: string): Hook[] =>
    hooks.filter((h) => h.path === path && h.body.includes(orderId))
  const signed = (hook: Hook, key: string): boolean =>
    checkWebhookSignature(key, hook.body, hook.headers[SIGNATURE_HEADER] as string).ok
  const noCustomer = (t: Test, text: string, what: string): void => {
    t.notMatch(text, email, `${what}: no customer email`)
    t.notMatch(text, sub, `${what}: no user id`)
  }

  t.test('an order with an address: kept, shown to its owner and admins, each partner gets its part', async (t) => {
    const key = `sa-${suffix}`
    const place = async (address: unknown): Promise<LightMyRequestResponse> =>
      await app.inject({
        method: 'POST',
        url: '/orders',
        headers: { ...shopper, 'idempotency-key': key },
        payload: { items: [{ id: 'lamp-sa', count: 1 }], shippingAddress: address }
      })
    const placed = await place(sent)
    t.equal(placed.statusCode, 201, placed.body)
    const order = placed.json()
    t.same(order.shippingAddress, kept, 'the snapshot: trimmed, as sent otherwise')
    t.equal((await place(sent)).headers['idempotent-replayed'], 'true', 'the same key and address: the same order')
    const otherAddress = await place({ ...sent, city: 'Hamburg', postalCode: '20095' })
    t.equal(otherAddress.statusCode, 422, 'the same key with another address is another request')

    const read = await ddb.send(new GetCommand({
      TableName: tables.ORDERS_TABLE, Key: { id: order.id }, ConsistentRead: true
    }))
    const stored = read.Item as StoredOrder
    t.same(stored.shippingAddress, kept, 'stored on the order itself')
    for (const [who, headers] of [['owner', shopper], ['admin', admin]] as const) {
      const read = await app.inject({ url: `/orders/${order.id as string}`, headers })
      t.same(read.json().shippingAddress, kept, `${who} sees it`)
    }
    t.equal((await app.inject({ url: `/orders/${order.id as string}`, headers: other })).statusCode, 404, 'nobody else')

    const placedHook = await until('the warehouse webhook', () => hooksFor(order.id, '/warehouse')[0])
    t.ok(signed(placedHook, KEYS.WAREHOUSE_WEBHOOK_SECRET), 'warehouse: signature ok')
    const recipient = JSON.parse(placedHook.body).order.recipient
    t.same(recipient, { name: kept.name, country: 'DE' }, 'warehouse: name and country')
    t.notMatch(placedHook.body, /Unter den Linden|\+4930/, 'the warehouse: no street, no phone')
    noCustomer(t, placedHook.body, 'warehouse webhook')

    const packed = await app.inject({
      method: 'POST', url: `/orderpacked/${order.id as string}`, headers: WAREHOUSE, payload: { packageId: 'PKG-SA' }
    })
    t.equal(packed.statusCode, 200, packed.body)
    t.same(packed.json().recipient, { name: kept.name, country: 'DE' })
    t.notOk('shippingAddress' in packed.json(), "the warehouse's answer: recipient only")
    noCustomer(t, packed.body, "warehouse's answer")

    const packedHook = await until('the delivery webhook', () => hooksFor(order.id, '/delivery')[0])
    t.ok(signed(packedHook, KEYS.DELIVERY_WEBHOOK_SECRET), 'delivery: signature ok')
    t.match(JSON.parse(packedHook.body), {
      type: 'OrderPacked', pickupAddress: '1 Dock Road, Springfield', shippingAddress: kept
    })
    noCustomer(t, packedHook.body, 'delivery webhook')

    const delivered = await app.inject({
      method: 'POST', url: `/orderdelivered/${order.id as string}`, headers: DELIVERY
    })
    t.equal(delivered.statusCode, 200, delivered.body)
    t.same(delivered.json().shippingAddress, kept, "the delivery service's answer: the address with the phone")
    t.same(delivered.json().history.map((h: { by: string }) => h.by), ['user', 'partner:warehouse', 'partner:delivery'])
    noCustomer(t, delivered.body, "delivery service's answer")

    const mails = await until('the placed and packed emails', async () => {
      const got = (await mailTo(email)).filter((m) => /^Order (placed|packed)/.test(m.subject))
      return got.length >= 2 ? got : undefined
    })
    for (const mail of mails) {
      const block = 'Shipping to:\n  Zoë Ólafsdóttir <Müller>\n  Unter den Linden 77\n  3. OG\n  10117 Berlin\n  DE'
      t.match(mail.body.text, block, `${mail.subject}: text`)
      t.match(mail.body.html, 'Zoë Ólafsdóttir &lt;Müller&gt;', `${mail.subject}: escaped in the HTML`)
      t.notMatch(mail.subject, /Berlin|Müller/, 'not in the subject')
    }
  })

  t.test('an order from before addresses: read, listed, cancelled, moved, null in webhooks', async (t) => {
    const now = new Date().toISOString()
    const old = (id: string): StoredOrder => ({
      id,
      userId: sub,
      userEmail: email,
      userEmailVerified: true,
      status: 'placed',
      lines: [{ id: 'lamp-sa', title: 'Lamp', count: 1, unitPrice: 2500 }],
      total: 2500,
      currency: 'EUR',
      createdAt: now,
      updatedAt: now,
      history: [{ status: 'placed', at: now, by: `user:${sub}` }]
    })
    const moved = old(`old-moved-${suffix}`)
    const cancelled = old(`old-cancelled-${suffix}`)
    for (const o of [moved, cancelled]) await ddb.send(new PutCommand({ TableName: tables.ORDERS_TABLE, Item: o }))

    const read = await app.inject({ url: `/orders/${moved.id}`, headers: shopper })
    t.equal(read.statusCode, 200, read.body)
    t.notOk('shippingAddress' in read.json(), 'no address, none invented')
    const list = await until('the old orders in the list', async () => {
      const res = await app.inject({ url: '/orders?limit=100', headers: shopper })
      const page = res.json() as { orders: Array<{ id: string }> }
      return page.orders.filter((o) => o.id.startsWith('old-')).length === 2 ? page : undefined
    })
    t.ok(list.orders.length >= 2, 'listed')
    const cancel = await app.inject({ method: 'POST', url: `/orders/${cancelled.id}/cancel`, headers: shopper })
    t.equal(cancel.statusCode, 200, cancel.body)
    t.equal(cancel.json().status, 'cancelled')

    const placedHook = await until('the warehouse webhook of the old order', () => hooksFor(moved.id, '/warehouse')[0])
    t.equal(JSON.parse(placedHook.body).order.recipient, null, 'the warehouse: recipient null')
    const packed = await app.inject({ method: 'POST', url: `/orderpacked/${moved.id}`, headers: WAREHOUSE })
    t.equal(packed.statusCode, 200, packed.body)
    t.equal(packed.json().recipient, null)
    const packedHook = await until('the delivery webhook of the old order', () => hooksFor(moved.id, '/delivery')[0])
    t.ok(signed(packedHook, KEYS.DELIVERY_WEBHOOK_SECRET), 'delivery: signature ok')
    t.equal(JSON.parse(packedHook.body).shippingAddress, null, 'the delivery service: null, said explicitly')
    const delivered = await app.inject({ method: 'POST', url: `/orderdelivered/${moved.id}`, headers: DELIVERY })
    t.equal(delivered.statusCode, 200, delivered.body)
    t.equal(delivered.json().shippingAddress, null)
    t.equal(delivered.json().status, 'delivered')
  })
})
