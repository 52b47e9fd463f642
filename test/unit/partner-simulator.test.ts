// The local partner simulator: signature checks on the worker's webhooks, and with autoAdvance the
// partner API calls that move an order on (captured through an injected fetch).
import t from 'tap'
import { loadConfig } from '../../core/config.js'
import { signWebhook, SIGNATURE_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER } from '../../domain/webhook-signature.js'
import { startPartnerSimulator } from '../../local/partner-simulator.js'
import { TEST_WORKER_ENV } from '../helpers/worker-fixtures.js'

t.test('verifies signatures, logs each webhook and advances each order once', async (t) => {
  const config = loadConfig({
    ...TEST_WORKER_ENV,
    WAREHOUSE_WEBHOOK_URL: 'http://127.0.0.1:1/warehouse/webhooks',
    DELIVERY_WEBHOOK_URL: 'http://127.0.0.1:1/delivery/webhooks',
    WAREHOUSE_API_KEY: 'warehouse-api-key-0123456789'
  })
  const lines: string[] = []
  const calls: Array<{ url: string; headers: Record<string, string>; body: unknown }> = []
  const fakeFetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, headers: init.headers as Record<string, string>, body: JSON.parse(init.body as string) })
    return new Response('{}', { status: 200 })
  }) as unknown as typeof fetch
  const sim = await startPartnerSimulator({ config, apiUrl: 'http://api.test', autoAdvance: true, advanceDelayMs: 1, log: (l) => lines.push(l), fetch: fakeFetch })
  t.teardown(() => sim.stop())

  const send = async (
    path: string,
    key: string,
    type: string,
    body: unknown,
    signature?: string
  ): Promise<Response> => {
    const raw = JSON.stringify(body)
    return fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signature ?? signWebhook(key, raw, undefined, `ord-1:${type}`),
        [EVENT_ID_HEADER]: `ord-1:${type}`,
        [EVENT_TYPE_HEADER]: type
      },
      body: raw
    })
  }
  const placed = { type: 'OrderPlaced', order: { id: 'ord-1', status: 'placed', lines: [] } }

  let res = await send('/warehouse/webhooks', 'wrong-key-0123456789', 'OrderPlaced', placed)
  t.equal(res.status, 401, 'a wrong key is refused')
  t.match(await res.json(), { error: 'invalid_signature', reason: 'mismatch' })
  res = await send('/warehouse/webhooks', TEST_WORKER_ENV.WAREHOUSE_WEBHOOK_SECRET, 'OrderPlaced', placed, 'garbage')
  t.equal(res.status, 401, 'a malformed signature is refused')
  res = await send('/delivery/webhooks', TEST_WORKER_ENV.WAREHOUSE_WEBHOOK_SECRET, 'OrderPlaced', placed)
  t.equal(res.status, 401, "the warehouse's key does not sign for the delivery service")
  res = await send('/nowhere', TEST_WORKER_ENV.WAREHOUSE_WEBHOOK_SECRET, 'OrderPlaced', placed)
  t.equal(res.status, 404)

  res = await send('/warehouse/webhooks', TEST_WORKER_ENV.WAREHOUSE_WEBHOOK_SECRET, 'OrderPlaced', placed)
  t.equal(res.status, 200)
  res = await send('/warehouse/webhooks', TEST_WORKER_ENV.WAREHOUSE_WEBHOOK_SECRET, 'OrderPlaced', placed)
  t.equal(res.status, 200, 'a redelivery is accepted')
  res = await send(
    '/delivery/webhooks',
    TEST_WORKER_ENV.DELIVERY_WEBHOOK_SECRET,
    'OrderPacked',
    { type: 'OrderPacked', order: { id: 'ord-1' } }
  )
  t.equal(res.status, 200)
  // Each accepted webhook was answered after its partner call was scheduled: wait until all are done.
  await sim.idle()

  t.same(calls.map((c) => c.url), ['http://api.test/orderpacked/ord-1', 'http://api.test/orderdelivered/ord-1'], 'packed once (the redelivery advanced nothing), then delivered')
  t.equal(calls[0].headers['x-api-key'], 'warehouse-api-key-0123456789', "the warehouse's partner key")
  t.match(calls[0].body, { packageId: String })
  t.match(calls[1].body, { trackingNumber: String, carrier: String })
  t.equal(sim.received.filter((r) => r.signatureOk).length, 3)
  t.equal(lines.filter((l) => l.includes('signature ok')).length, 3, 'one line per accepted webhook')
  t.ok(lines.some((l) => l.includes('a redelivery (ignored)')))
  t.notOk(lines.some((l) => l.includes(TEST_WORKER_ENV.WAREHOUSE_WEBHOOK_SECRET)), 'no key in the log')
})

t.test('refuses to start without local keys or webhook URLs', async (t) => {
  const config = loadConfig({ ...TEST_WORKER_ENV, WAREHOUSE_WEBHOOK_URL: '' })
  await t.rejects(startPartnerSimulator({ config, log: () => {} }), /WAREHOUSE_WEBHOOK_URL/)
  const same = loadConfig({ ...TEST_WORKER_ENV, DELIVERY_WEBHOOK_URL: TEST_WORKER_ENV.WAREHOUSE_WEBHOOK_URL })
  await t.rejects(startPartnerSimulator({ config: same, log: () => {} }), /different paths/)
})
