// The TypeScript client's examples (clients/typescript/examples/), run as a developer runs them
// (`tsx <file>`, importing the package by its name) against the API, the worker and the emulators:
// the shopper's flow end to end, then the warehouse's webhook receiver marking a new order packed.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { loadConfig } from '../../core/config.js'
import { createDocumentClient } from '../../core/aws.js'
import { startServer } from '../../app/server.js'
import { seedCatalog } from '../../data/seed-catalog.js'
import { localWorkerEnv, startLocalWorker } from '../../local/worker.js'
import { signWebhook } from '../../domain/webhook-signature.js'
import { createCommerceClient } from '../../clients/typescript/src/index.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { until } from '../helpers/until.js'
import { codeFromMailbox } from '../helpers/accounts.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const KEYS = {
  WAREHOUSE_API_KEY: 'it-warehouse-api-key-0123456789',
  WAREHOUSE_WEBHOOK_SECRET: 'it-warehouse-webhook-key-0123',
  DELIVERY_WEBHOOK_SECRET: 'it-delivery-webhook-key-0123'
}

interface Example { child: ChildProcess, output: () => string, exited: Promise<number | null> }

const PACKAGE = join(ROOT, 'clients', 'typescript')
const SCRIPTS = (JSON.parse(readFileSync(
  join(PACKAGE, 'package.json'),
  'utf8'
)) as { scripts: Record<string, string> }).scripts

/**
 * Runs an example with its package script's command (`npm run example:shopper -w
 * @serverless-commerce/client`), minus npm: `node --conditions=@serverless-commerce/source --import
 * tsx examples/<file>`. The package name resolves to the workspace's source (that export
 * condition), so no build is needed first.
 */
function runExample (
  t: { teardown: (fn: () => unknown) => void },
  script: string,
  env: Record<string, string>
): Example {
  const [node, ...args] = (SCRIPTS[script] ?? '').split(' ')
  if (node !== 'node') throw new Error(`clients/typescript's script ${script} should run node, not ${String(node)}`)
  const child = spawn(
    process.execPath,
    args,
    { cwd: PACKAGE, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }
  )
  let text = ''
  child.stdout.on('data', (chunk: Buffer) => { text += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { text += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(async () => { if (child.exitCode === null) { child.kill('SIGTERM'); await exited } })
  return { child, output: () => text, exited }
}

t.test("the client's examples against the local stack", async (t) => {
  const before = new Date(Date.now() - 1000)
  const tables = await createTables(t)
  const env = { ...stackEnv(), ...tables, ...KEYS, STAGE: 'test', LOG_LEVEL: 'silent' }
  const config = loadConfig(env)
  const ddb = createDocumentClient(config)
  t.teardown(() => ddb.destroy())
  t.ok(await seedCatalog(ddb, config.tables) > 10, 'the sample catalog is seeded')
  const app: FastifyInstance = await startServer(config, { port: 0 })
  t.teardown(() => app.close())
  const api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

  await t.test('the shopper: sign up, confirm with the mailed code, sign in, browse, order, read, cancel, sign ' +
    'out', async (t) => {
    const shopper = runExample(
      t,
      'example:shopper',
      { COMMERCE_API_URL: api, COMMERCE_MAILBOX_URL: stackEnv().SES_ENDPOINT }
    )
    const code = await shopper.exited
    const out = shopper.output()
    t.equal(code, 0, code === 0 ? 'exits 0' : `exits ${String(code)}:\n${out}`)
    t.match(out, /signed in as shopper\+\d+@example\.com/)
    t.match(out, /categories: \w+ \(\d+\)/)
    t.match(out, /placed order \S+: 1 x .+, \$[\d,.]+/)
    t.match(out, /order \S+ is placed; 1 order\(s\) in my list/)
    t.match(out, /cancelled order \S+: cancelled/)
    t.match(out, /an unknown order is a 404 order_not_found \(request \S+\)/)
    t.match(out, /signed out/)
  })

  await t.test("the warehouse's receiver: verified webhooks, each placed order marked packed", async (t) => {
    const receiver = runExample(t, 'example:receiver', {
      COMMERCE_API_URL: api,
      PORT: '0',
      WAREHOUSE_API_KEY: KEYS.WAREHOUSE_API_KEY,
      WAREHOUSE_WEBHOOK_SECRET: KEYS.WAREHOUSE_WEBHOOK_SECRET
    })
    const hooks = await until(
      'the receiver to listen',
      () => /listening on (http:\S+)/.exec(receiver.output())?.[1],
      30_000
    )
    // The delivery service's webhooks (OrderPacked) go to a sink of the test's own.
    const sink = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end()) })
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise<void>((resolve) => { sink.closeAllConnections(); sink.close(() => resolve()) }))
    const workerEnv = await localWorkerEnv({
      EVENTBUS_PORT: '0', WAREHOUSE_WEBHOOK_URL: `${hooks}/webhooks`, DELIVERY_WEBHOOK_URL: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/delivery`
    })
    // From the stream's start: the shopper's order (placed, then cancelled) comes first.
    const worker = await startLocalWorker({
      config: loadConfig({ ...env, ...workerEnv }),
      partnerSimulator: false,
      freshTablesSince: before
    })
    t.teardown(() => worker.stop())
    await until(
      'the cancelled order\'s webhook',
      () => (/OrderPlaced \S+: verified, not packed: the order is cancelled/.test(receiver.output())
        ? true
        : undefined),
      30_000
    )
    t.pass('an order cancelled before the warehouse got to it is not packed (409 invalid_transition handled)')

    const shop = createCommerceClient({ baseUrl: api })
    const email = `partner-flow+${randomBytes(4).toString('hex')}@example.com`
    await shop.signUp({ email, password: 'Correct-Horse-1' })
    await shop.confirmSignUp({ email, password: 'Correct-Horse-1', code: await codeFromMailbox(email) })
    await shop.signIn({ email, password: 'Correct-Horse-1' })
    const { items } = await shop.listItems({ q: 'cable' })
    const item = items.find((i) => i.inStock && i.colorPreference.length === 0) ?? items[0]
    if (item === undefined) throw new Error('no cable in the sample catalog')
    const placed = await shop.placeOrder({
      items: [{
        id: item.id,
        count: 1,
        ...(item.colorPreference[0] !== undefined ? { color: item.colorPreference[0].colorCode } : {})
      }]
    })
    const packed = await until('the order to be packed', async () => {
      const order = await shop.getOrder(placed.id)
      return order.status === 'packed' ? order : undefined
    }, 30_000)
    t.equal(packed.packageId, `PKG-${placed.id.slice(0, 8).toUpperCase()}`, 'with the package id the receiver chose')
    t.match(packed.history.at(-1), { status: 'packed', by: 'partner:warehouse' })
    t.match(receiver.output(), new RegExp(`OrderPlaced ${placed.id}: verified, marked packed`))

    // The receiver refuses what it cannot verify.
    const body = JSON.stringify({ eventId: `${placed.id}:placed`, type: 'OrderPlaced', order: { id: placed.id } })
    const eventId = `${placed.id}:placed`
    const send = async (signature: string, sentId = eventId): Promise<number> => (await fetch(`${hooks}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-commerce-signature': signature, 'x-commerce-event-id': sentId },
      body
    })).status
    t.equal(await send(signWebhook('not-the-key', body)), 401, 'signed with another key')
    t.equal(
      await send(signWebhook(KEYS.WAREHOUSE_WEBHOOK_SECRET, body, Math.floor(Date.now() / 1000) - 3600)),
      401,
      'an old (replayed) signature'
    )
    t.equal(await send('t=1,v1=zz'), 401, 'a malformed header')
    const key = KEYS.WAREHOUSE_WEBHOOK_SECRET
    t.equal(await send(signWebhook(key, body)), 401, 'v1 only: the event id is not signed')
    t.equal(await send(signWebhook(key, body, undefined, eventId), 'forged:1'), 401, 'a changed event id')
    t.equal(await send(signWebhook(key, body, undefined, eventId)), 200, 'a genuine one')
  })
})
