// A partner's webhook URL that answers with a redirect must not carry the signed payload anywhere
// else: a hijacked or misconfigured endpoint could otherwise point the worker at any host, which
// would receive a body signed with the partner's key. Real HTTP, real fetch: two local servers,
// the partner's and another host's.
import t from 'tap'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { postWebhook, WebhookError } from '../../workers/webhooks.js'
import { SIGNATURE_HEADER } from '../../domain/webhook-signature.js'
import { testRuntime } from '../helpers/worker-fixtures.js'

interface Seen { method: string; url: string; headers: IncomingMessage['headers']; body: string }

type Answer = (req: IncomingMessage) => { status: number; headers?: Record<string, string> }

async function listen (host: string, answer: Answer): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      const { status, headers } = answer(req)
      res.writeHead(status, headers).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return { server, url: `http://${host}:${(server.address() as AddressInfo).port}`, seen }
}

t.test('a redirect from the partner\'s URL is refused: the other host receives nothing', async (t) => {
  // 127.0.0.2 is another address on the loopback: another host as far as fetch is concerned.
  const elsewhere = await listen('127.0.0.2', () => ({ status: 200 }))
  t.teardown(() => elsewhere.server.close())

  for (const status of [301, 302, 303, 307, 308]) {
    const partner = await listen('127.0.0.1', () => ({ status, headers: { location: `${elsewhere.url}/stolen` } }))
    t.teardown(() => partner.server.close())
    const runtime = testRuntime({}, { WAREHOUSE_WEBHOOK_URL: `${partner.url}/hooks` })
    t.equal(runtime.fetch, globalThis.fetch, 'the runtime\'s own fetch, as in production')

    const call = { partner: 'warehouse' as const, eventId: `e-${status}`, eventType: 'order.placed', payload: {} }
    const err = await postWebhook(runtime, call).then(() => undefined, (e: unknown) => e)
    t.ok(err instanceof WebhookError, `${status}: the call fails (${String(err)})`)
    t.ok(partner.seen.length >= 1, `${status}: the partner's URL was called`)
    t.ok(partner.seen.every((s) => s.method === 'POST' && typeof s.headers[SIGNATURE_HEADER] === 'string'), 'signed')
    t.same(elsewhere.seen.map((s) => `${s.method} ${s.url}`), [], `${status}: the host it points to receives nothing`)
  }
})
