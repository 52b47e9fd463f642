// The v2 webhook signature covers the event id partners deduplicate on: HMAC-SHA256 over
// `<t>.<x-commerce-event-id>.<body>`, beside v1 (`<t>.<body>`) for partners still on v1. The client's
// verifyWebhook checks v2 when given the event id header, and then a changed event id fails.
import t from 'tap'
import { createHmac } from 'node:crypto'
import { signWebhook } from '../../domain/webhook-signature.js'
import { checkWebhookSignature, verifyWebhook } from '../../clients/typescript/src/webhooks.js'
import { postWebhook } from '../../workers/webhooks.js'
import { testRuntime, TEST_WORKER_ENV } from '../helpers/worker-fixtures.js'

const key = 'partner-key-0123456789'
const body = JSON.stringify({ eventId: 'ord-1:placed', order: { id: 'ord-1' } })
const now = 1_750_000_000
const hex = (text: string): string => createHmac('sha256', key).update(text).digest('hex')

t.test('v2 is HMAC-SHA256 over timestamp.eventId.body, beside v1', async (t) => {
  const header = signWebhook(key, body, now, 'ord-1:placed')
  t.equal(header, `t=${now},v1=${hex(`${now}.${body}`)},v2=${hex(`${now}.ord-1:placed.${body}`)}`)
  t.same(checkWebhookSignature(key, body, header, 300, now, 'ord-1:placed'), { ok: true, timestamp: now })
  t.same(checkWebhookSignature(key, body, header, 300, now), { ok: true, timestamp: now }, 'a v1 check still passes')
})

t.test('with the event id, a changed event id or a v1-only header fails', async (t) => {
  const header = signWebhook(key, body, now, 'ord-1:placed')
  t.same(checkWebhookSignature(key, body, header, 300, now, 'ord-1:cancelled'), { ok: false, reason: 'mismatch' })
  const malformed = { ok: false, reason: 'malformed' }
  const v1Only = signWebhook(key, body, now)
  t.same(checkWebhookSignature(key, body, v1Only, 300, now, 'ord-1:placed'), malformed, 'no v2 in the header')
  t.same(checkWebhookSignature(key, body, header, 300, now, ['a', 'b']), malformed, 'two event id headers')
  t.same(checkWebhookSignature(key, body, header, 300, now, null), malformed, 'a missing header given')
  t.notOk(verifyWebhook(key, body, signWebhook(key, body, undefined, 'ord-1:placed'), 300, 'ord-2:placed'))
  t.ok(verifyWebhook(key, body, signWebhook(key, body, undefined, 'ord-1:placed'), 300, 'ord-1:placed'))
})

t.test('the worker sends v2, signed over the x-commerce-event-id it sends', async (t) => {
  let sent: { headers: Record<string, string>; body: string } | undefined
  const fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
    sent = { headers: init?.headers as Record<string, string>, body: String(init?.body) }
    return new Response('ok', { status: 200 })
  }) as typeof globalThis.fetch
  const runtime = testRuntime({ fetch })
  const call = { eventId: 'ord-9:placed', eventType: 'OrderPlaced', payload: { eventId: 'ord-9:placed' } }
  await postWebhook(runtime, { partner: 'warehouse', ...call })
  const eventId = sent?.headers['x-commerce-event-id']
  t.equal(eventId, 'ord-9:placed')
  t.match(sent?.headers['x-commerce-signature'], /^t=\d+,v1=[0-9a-f]{64},v2=[0-9a-f]{64}$/)
  const secret = TEST_WORKER_ENV.WAREHOUSE_WEBHOOK_SECRET as string
  t.ok(verifyWebhook(secret, sent?.body ?? '', sent?.headers['x-commerce-signature'], 300, eventId))
  t.notOk(verifyWebhook(secret, sent?.body ?? '', sent?.headers['x-commerce-signature'], 300, 'ord-9:cancelled'))
})
