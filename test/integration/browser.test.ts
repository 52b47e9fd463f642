// Swagger UI and the local mailbox in a real browser (Debian's chromium, driven by playwright-core):
// the UI lists every tag and operation, a partner authorizes with its key and packs a placed order
// with "Try it out", a shopper authorizes with a bearer token and lists their orders; then the
// SES emulator's page shows the "order placed" email the worker sent. Every API response the
// browser sees is checked against the OpenAPI document too.
import t from 'tap'
import { codeFromMailbox } from '../helpers/accounts.js'
import { until } from '../helpers/until.js'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { chromium, type Page } from 'playwright-core'
import type { FastifyInstance } from 'fastify'
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb'
import { LOCAL_DEFAULTS, loadConfig } from '../../core/config.js'
import { startServer } from '../../app/server.js'
import { toStoredItem } from '../../domain/catalog.js'
import { localWorkerEnv, startLocalWorker } from '../../local/worker.js'
import { createTables, localDynamoClient, stackEnv } from '../helpers/stack.js'
import { createContractChecker } from '../helpers/contract.js'

const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOTS = new URL('../../test-output/', import.meta.url).pathname

type Json = Record<string, any>

/** A webhook receiver that accepts everything: the partners, for the worker's order webhooks. */
async function startPartnerSink (t: { teardown: (fn: () => unknown) => void }): Promise<string> {
  const server = createServer((req, res) => {
    req.resume(); req.on('end', () =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Opens the Authorize dialog, fills one scheme's value, authorizes and closes the dialog. */
async function authorize (page: Page, scheme: string, value: string): Promise<void> {
  await page.locator('button.btn.authorize:not(.modal-btn)').click()
  const container = page.locator('.dialog-ux .auth-container').filter({ hasText: scheme })
  await container.locator('input').fill(value)
  await container.locator('button.authorize').click()
  await container.getByText('Authorized', { exact: false }).first().waitFor()
  await page.locator('.dialog-ux button.btn-done').first().click()
}

/** Expands an operation, runs "Try it out" with the given path parameters, and answers the live status. */
async function tryItOut (page: Page, method: string, path: string, params: Record<string, string> = {}): Promise<{
  status: string
  body: string
}> {
  const op = page.locator(`.opblock-${method}`).filter({ has: page.locator(`.opblock-summary [data-path="${path}"]`) })
  await op.locator('.opblock-summary').first().click()
  await op.locator('button.try-out__btn').click()
  for (const [name, value] of Object.entries(params)) {
    await op.locator(`tr[data-param-name="${name}"] input`).fill(
      value
    )
  }
  await op.locator('button.execute').click()
  const live = op.locator('.live-responses-table tr.response')
  await live.waitFor()
  const body = await live.locator('.highlight-code code').first().textContent()
  return { status: (await live.locator('.response-col_status').textContent())?.trim() ?? '', body: body ?? '' }
}

t.test('Swagger UI and the mailbox in Chromium', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get update && apt-get install -y ` +
        '--no-install-recommends chromium), as .ci/run does'
    )
    return
  }
  const started = Date.now()
  const before = new Date(Date.now() - 1000)
  const tables = await createTables(t)
  const partners = await startPartnerSink(t)
  const workerEnv = await localWorkerEnv({
    EVENTBUS_PORT: '0',
    WAREHOUSE_WEBHOOK_URL: `${partners}/warehouse`,
    DELIVERY_WEBHOOK_URL: `${partners}/delivery`
  })
  const config = loadConfig({ ...stackEnv(), ...tables, ...workerEnv, STAGE: 'test', LOG_LEVEL: 'silent' })
  const worker = await startLocalWorker({ config, partnerSimulator: false, freshTablesSince: before })
  t.teardown(() => worker.stop())
  const app: FastifyInstance = await startServer(config, { port: 0 })
  t.teardown(() => app.close())
  const api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

  // Every API response, from the test's own calls and from the browser, must match the document.
  const doc = await (await fetch(`${api}/openapi.json`)).json() as Json
  const contract = createContractChecker(doc)
  const violations: string[] = []
  const observe = (
    method: string,
    url: string,
    status: number,
    contentType: string | undefined,
    body: string
  ): void => {
    const { pathname } = new URL(url)
    const route = contract.routeOf(method, pathname)
    if (route !== undefined) violations.push(...contract.check({ method, route, status, contentType, body }))
  }
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{
    status: number
    json: Json
  }> => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers
      },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    const text = await res.text()
    observe(method, `${api}${path}`, res.status, res.headers.get('content-type') ?? undefined, text)
    return { status: res.status, json: text === '' ? {} : JSON.parse(text) }
  }

  // A shopper signs up and in against cognito-local, and orders a seeded item.
  const ddb = DynamoDBDocumentClient.from(localDynamoClient())
  t.teardown(() => ddb.destroy())
  const now = new Date().toISOString()
  await ddb.send(new PutCommand({
    TableName: tables.ITEMS_TABLE,
    Item: toStoredItem('browser-cable', {
      category: 'accessories',
      type: 'cable',
      brand: 'Acme',
      title: 'Braided USB-C cable',
      description: '2 m, 100 W',
      colorPreference: [],
      price: 1299,
      currency: 'USD'
    }, 10, now, now)
  }))
  const email = `browser+${randomBytes(4).toString('hex')}@example.com`
  const password = 'Browser-Test-1'
  t.equal((await call('POST', '/signup', { email, password, name: 'Browser' })).status, 202, 'signed up')
  t.equal(
    (await call('POST', '/signup/confirm', { email, password, code: await codeFromMailbox(email) })).status,
    200,
    'confirmed with the mailed code'
  )
  const signin = await call('POST', '/signin', { email, password })
  t.equal(signin.status, 200, 'signed in')
  const idToken = signin.json.idToken as string
  const placed = await call('POST', '/orders', { items: [{ id: 'browser-cable', count: 2 }] },
    { authorization: `Bearer ${idToken}`, 'idempotency-key': `browser-${randomBytes(6).toString('hex')}` })
  t.equal(placed.status, 201, 'the order is placed')
  const orderId = placed.json.id as string

  const userDataDir = mkdtempSync(join(tmpdir(), 'chromium-'))
  t.teardown(() => rmSync(userDataDir, { recursive: true, force: true }))
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ],
    viewport: { width: 1280, height: 900 }
  })
  t.teardown(() => context.close())
  context.setDefaultTimeout(10000)
  const page = context.pages()[0] ?? await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))
  const reading: Array<Promise<void>> = []
  page.on('response', (res) => {
    const url = new URL(res.url())
    if (url.origin !== api || url.pathname.startsWith('/docs')) return
    const method = res.request().method()
    reading.push(
      res.text().then(
        (body) => { observe(method, res.url(), res.status(), res.headers()['content-type'], body) },
        () => {}
      )
    )
  })

  await page.goto(`${api}/docs`)
  t.equal(new URL(page.url()).pathname, '/docs/', '/docs redirects to /docs/')
  await page.locator('.opblock-tag-section').first().waitFor()

  await t.test('every tag and operation is listed', async (t) => {
    const tags = await page.locator('.opblock-tag').evaluateAll((els) => els.map((e) => e.getAttribute('data-tag')))
    t.same(tags.sort(), doc.tags.map((tag: Json) => tag.name).sort())
    const listed = new Set(await page.locator('.opblock').evaluateAll((els) => els.map((e) => {
      const method = e.querySelector('.opblock-summary-method')?.textContent?.trim()
      const path = e.querySelector('.opblock-summary [data-path]')?.getAttribute('data-path')
      return `${method} ${path}`
    })))
    const documented = Object.entries<Json>(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    t.ok(documented.length >= 21, `${documented.length} operations documented`)
    for (const op of documented) t.ok(listed.has(op), `${op} is listed`)
    t.ok(await page.locator('.opblock.opblock-deprecated').count() >= 2, 'the seed aliases are shown deprecated')
  })

  await t.test('our title and logo, no "Explore" box, padlocks only where needed, deprecated last', async (t) => {
    t.equal(await page.title(), `${doc.info.title}: documentation`)
    const heading = await page.locator('.info .title').first().evaluate((e) => e.firstChild?.textContent?.trim())
    t.equal(heading, doc.info.title)
    const logo = page.locator('.topbar-wrapper a img')
    await logo.waitFor()
    t.match(await logo.getAttribute('src'), /^data:image\/svg\+xml;base64,/, 'our SVG logo in the top bar')
    t.ok(await logo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0), 'and it renders')
    t.equal(await page.locator('.download-url-wrapper').isVisible(), false, 'no box to explore another document')
    const padlocks = await page.locator('.opblock').evaluateAll((els) => els.map((e) => ({
      path: e.querySelector('.opblock-summary [data-path]')?.getAttribute('data-path'),
      method: e.querySelector('.opblock-summary-method')?.textContent?.trim().toLowerCase(),
      padlock: e.querySelector('.opblock-summary .authorization__btn') !== null
    })))
    for (const { path, method, padlock } of padlocks) {
      const needed = (doc.paths[path!]?.[method!]?.security ?? []).length > 0
      t.equal(padlock, needed, `${method?.toUpperCase()} ${path}: ${needed ? 'a padlock' : 'no padlock'}`)
    }
    const orders = await page.locator('.opblock-tag-section').filter({ has: page.locator('[data-tag="orders"]') })
      .locator('.opblock').evaluateAll((els) => els.map((e) => e.classList.contains('opblock-deprecated')))
    t.same(orders, [...orders].sort((a, b) => Number(a) - Number(b)), 'the deprecated aliases come last in their tag')
    t.ok(orders.includes(true))
    // The webhooks we send partners, from the document's `webhooks` section.
    const webhooks = page.locator('.webhooks')
    await webhooks.locator('.opblock').first().waitFor()
    const shown = await webhooks.locator('.opblock').evaluateAll((els) => els.map((e) => e.textContent ?? ''))
    for (const name of Object.keys(doc.webhooks)) {
      t.ok(shown.some((text) => text.includes(name)), `the ${name} webhook is shown`)
    }
    mkdirSync(SCREENSHOTS, { recursive: true })
    await page.screenshot({ path: join(SCREENSHOTS, 'swagger-ui-top.png') })
    await webhooks.screenshot({ path: join(SCREENSHOTS, 'swagger-ui-webhooks.png') })
  })

  await t.test('the warehouse packs the placed order with "Try it out"', async (t) => {
    await authorize(page, 'partnerApiKey', LOCAL_DEFAULTS.WAREHOUSE_API_KEY)
    const packed = await tryItOut(page, 'post', '/orderpacked/{orderId}', { orderId })
    t.equal(packed.status, '200')
    t.match(JSON.parse(packed.body), { id: orderId, status: 'packed' })
  })

  await t.test('the shopper lists their orders with a bearer token', async (t) => {
    await authorize(page, 'bearerAuth', idToken)
    const listed = await tryItOut(page, 'get', '/orders')
    t.equal(listed.status, '200')
    t.match(JSON.parse(listed.body), { orders: [{ id: orderId, status: 'packed', userEmail: email }] })
    mkdirSync(SCREENSHOTS, { recursive: true })
    await page.screenshot({ path: join(SCREENSHOTS, 'swagger-ui.png'), fullPage: true })
    t.ok(existsSync(join(SCREENSHOTS, 'swagger-ui.png')), 'screenshot saved under test-output/')
  })

  await t.test('the SES emulator page shows the "order placed" email', async (t) => {
    const subject = `Order placed — #${orderId}`
    await until('the order placed email', async () => {
      const { emails } = await (await fetch(`${stackEnv().SES_ENDPOINT}/store`)).json() as { emails: Json[] }
      return emails.find((e) => e.subject === subject && e.destination.to.includes(email))
    }, 15_000, 150)
    await page.goto(stackEnv().SES_ENDPOINT)
    await page.getByText(subject).first().waitFor()
    t.ok(await page.getByText(email).count() > 0, 'addressed to the shopper')
    await page.screenshot({ path: join(SCREENSHOTS, 'ses-mailbox.png') })
  })

  await t.test('the TypeScript client, bundled for browsers, works from another origin', async (t) => {
    // Bundled as a front end would bundle it: any Node API in it would fail the browser build.
    const { build } = await import('esbuild')
    const bundle = await build({
      entryPoints: [new URL('../../clients/typescript/src/index.ts', import.meta.url).pathname],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'CommerceClient',
      write: false,
      logLevel: 'silent'
    })
    t.notMatch(bundle.outputFiles[0]!.text, /require\(["']node:|from ["']node:/, 'no Node module in the bundle')
    // The page is the mailbox's, on another port: every call is cross-origin (CORS).
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text })
    const result = await page.evaluate(async ({ api, email, password, orderId }) => {
      const { createCommerceClient } = (globalThis as unknown as {
        CommerceClient: typeof import('../../clients/typescript/src/index.js')
      }).CommerceClient
      const shop = createCommerceClient({ baseUrl: api })
      await shop.signIn({ email, password })
      const mine = await shop.getOrder(orderId)
      const placed = await shop.placeOrder({ items: [{ id: 'browser-cable', count: 1 }] })
      const cancelled = await shop.cancelOrder(placed.id)
      const problem = await shop.getOrder('no-such-order').then(() => undefined, (
        err: { name: string, status: number, code: string, requestId?: string }
      ) =>
        ({ name: err.name, status: err.status, code: err.code, requestId: err.requestId }))
      return {
        origin: (globalThis as unknown as { location: { origin: string } }).location.origin,
        mine: mine.status,
        placed: placed.status,
        cancelled: cancelled.status,
        problem
      }
    }, { api, email, password, orderId })
    t.not(result.origin, api, 'from another origin')
    t.match(
      result,
      {
        mine: 'packed',
        placed: 'placed',
        cancelled: 'cancelled',
        problem: { name: 'CommerceProblem', status: 404, code: 'order_not_found', requestId: /\S/ }
      }
    )
  })

  t.same(pageErrors, [], 'no script errors in the pages')
  await Promise.all(reading)
  t.ok(reading.length >= 2, `the browser's ${reading.length} API responses were checked`)
  t.same(violations, [], 'every API response matched the OpenAPI document')
  t.ok(Date.now() - started < 60000, `took ${Date.now() - started} ms`)
})
