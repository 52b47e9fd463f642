// What a developer sees locally: one log line per request (method, path, status, ms, request id)
// instead of a pretty block each plus metric JSON, metrics off unless asked, and the partner
// simulator's page listing the webhooks it received, escaped.
import t from 'tap'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../../core/config.js'
import { signWebhook, SIGNATURE_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER } from '../../domain/webhook-signature.js'
import { startPartnerSimulator } from '../../local/partner-simulator.js'
import { BASE_TEST_ENV } from '../helpers/app.js'
import { TEST_WORKER_ENV } from '../helpers/worker-fixtures.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

// The app as npm start builds it (pretty logs, STAGE=local), two requests, in a process of its own
// so pino-pretty's output is read as a terminal would show it.
const SCRIPT = `
import { loadConfig } from './core/config.ts'
import { buildApp } from './app/app.ts'
const env = JSON.parse(process.env.APP_ENV)
const app = buildApp(loadConfig(env))
await app.ready()
await app.inject({ url: '/nowhere' })
await app.inject({ url: '/openapi.json' })
await app.close()
`

async function run (env: Record<string, string>): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', APP_ENV: JSON.stringify(env) }, timeout: 60_000
    }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${err.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

t.test('locally, one line per request and no metric lines', async (t) => {
  const out = await run({ ...BASE_TEST_ENV, STAGE: 'local', LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' })
  const lines = out.split('\n').filter((l) => l.trim() !== '')
  const id = '\\[[0-9a-f-]{36}\\]'
  const count = (request: string): number =>
    lines.filter((l) => new RegExp(`INFO.*: ${request} \\d+\\.\\d ms ${id}$`).test(l)).length
  t.equal(count('GET /nowhere 404'), 1, `one line for GET /nowhere:\n${out}`)
  t.equal(count('GET /openapi.json 200'), 1, 'one for GET /openapi.json')
  t.same(lines.filter((l) => /^\s/.test(l)), [], 'no indented blocks')
  t.notOk(out.includes('"_aws"'), 'no metric (EMF) lines')
})

t.test('metrics: off for STAGE=local unless METRICS=on; on elsewhere', async (t) => {
  t.equal(loadConfig({ ...BASE_TEST_ENV, STAGE: 'local' }).metrics, false)
  t.equal(loadConfig({ ...BASE_TEST_ENV, STAGE: 'local', METRICS: 'on' }).metrics, true)
  t.equal(loadConfig({ ...BASE_TEST_ENV, STAGE: 'test' }).metrics, true)
  t.throws(() => loadConfig({ ...BASE_TEST_ENV, METRICS: 'yes' }), /METRICS/)
})

t.test('the partner simulator\'s page lists the webhooks received, escaped', async (t) => {
  const config = loadConfig({
    ...TEST_WORKER_ENV,
    WAREHOUSE_WEBHOOK_URL: 'http://127.0.0.1:1/warehouse/webhooks',
    DELIVERY_WEBHOOK_URL: 'http://127.0.0.1:1/delivery/webhooks'
  })
  const sim = await startPartnerSimulator({ config, log: () => {} })
  t.teardown(() => sim.stop())
  let page = await fetch(`${sim.url}/`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /^text\/html/)
  t.match(await page.text(), /Webhooks received \(0\)/)

  const order = { id: 'ord-<script>alert(1)</script>', status: 'placed', lines: [] }
  const body = JSON.stringify({ type: 'OrderPlaced', order })
  const res = await fetch(`${sim.url}/warehouse/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signWebhook(TEST_WORKER_ENV.WAREHOUSE_WEBHOOK_SECRET, body, undefined, 'evt-"1"'),
      [EVENT_ID_HEADER]: 'evt-"1"',
      [EVENT_TYPE_HEADER]: 'OrderPlaced'
    },
    body
  })
  t.equal(res.status, 200)
  page = await fetch(`${sim.url}/`)
  const html = await page.text()
  t.match(html, /Webhooks received \(1\)/)
  t.ok(html.includes('ord-&lt;script&gt;alert(1)&lt;/script&gt;'), 'the order id, escaped')
  t.ok(html.includes('evt-&quot;1&quot;'), 'the event id, escaped')
  t.notOk(html.includes('<script>'), 'nothing of the body runs')
  t.match(page.headers.get('content-security-policy'), /default-src 'none'/)
})
