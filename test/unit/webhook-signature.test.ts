// The worker signs webhooks (domain/webhook-signature.ts); partners verify them with the client
// package's verifyWebhook (clients/typescript/src/webhooks.ts), which the local partner simulator
// uses too. These check the two against each other.
import t from 'tap'
import { createHmac } from 'node:crypto'
import { signWebhook } from '../../domain/webhook-signature.js'
import { checkWebhookSignature, verifyWebhook as verifyPartnerSide } from '../../clients/typescript/src/webhooks.js'

const verifyWebhook = (keys: string | string[], body: string, header: string | undefined, opts: { now: number }) =>
  checkWebhookSignature(keys, body, header, 300, opts.now)

const key = 'partner-key-0123456789'
const body = JSON.stringify({ eventId: 'ord-1:placed', order: { id: 'ord-1' } })
const now = 1_750_000_000

t.test('a signature is HMAC-SHA256 over timestamp.body, and verifies', async (t) => {
  const header = signWebhook(key, body, now)
  const expected = createHmac('sha256', key).update(`${now}.${body}`).digest('hex')
  t.equal(header, `t=${now},v1=${expected}`)
  t.same(verifyWebhook(key, body, header, { now }), { ok: true, timestamp: now })
  t.same(
    verifyWebhook(['old-key-xxxxxxxxxxxx', key], body, header, { now }),
    { ok: true, timestamp: now },
    'any of several keys'
  )
})

t.test('tampering is detected', async (t) => {
  const header = signWebhook(key, body, now)
  t.same(
    verifyWebhook(key, body.replace('ord-1', 'ord-2'), header, { now }),
    { ok: false, reason: 'mismatch' },
    'changed body'
  )
  t.same(verifyWebhook('another-key-0123456789', body, header, { now }), { ok: false, reason: 'mismatch' }, 'wrong key')
  const shifted = header.replace(`t=${now}`, `t=${now + 1}`)
  t.same(verifyWebhook(key, body, shifted, { now }), { ok: false, reason: 'mismatch' }, 'changed timestamp')
  const flipped = header.slice(0, -1) + (header.endsWith('0') ? '1' : '0')
  t.same(verifyWebhook(key, body, flipped, { now }), { ok: false, reason: 'mismatch' }, 'changed signature')
})

t.test('stale and malformed headers are refused', async (t) => {
  t.same(verifyWebhook(key, body, signWebhook(key, body, now - 301), { now }), { ok: false, reason: 'stale' })
  t.same(verifyWebhook(key, body, signWebhook(key, body, now + 301), { now }), { ok: false, reason: 'stale' })
  t.ok(verifyWebhook(key, body, signWebhook(key, body, now - 299), { now }).ok, 'inside the tolerance')
  for (const header of [
    undefined,
    '',
    'garbage',
    `t=${now}`,
    `v1=${'a'.repeat(64)}`,
    `t=abc,v1=${'a'.repeat(64)}`,
    `t=${now},v1=short`,
    `t=${now},t=${now},v1=${'a'.repeat(64)}`
  ]) {
    t.same(verifyWebhook(key, body, header, { now }), { ok: false, reason: 'malformed' }, String(header))
  }
})

t.test("the client package's verifyWebhook, which partners use, accepts our signatures and refuses " +
  'tampering', async (t) => {
  const body = JSON.stringify({ eventId: 'o:placed', order: { id: 'o', note: 'fragile ✓' } })
  const header = signWebhook('partner-key', body)
  t.same(verifyPartnerSide('partner-key', body, header), JSON.parse(body))
  t.same(verifyPartnerSide('partner-key', Buffer.from(body), header), JSON.parse(body), 'the raw bytes')
  t.equal(verifyPartnerSide('other-key', body, header), undefined)
  t.equal(verifyPartnerSide('partner-key', body.replace('"o"', '"p"'), header), undefined)
  const old = signWebhook('partner-key', body, Math.floor(Date.now() / 1000) - 3600)
  t.equal(verifyPartnerSide('partner-key', body, old), undefined, 'an old timestamp')
  t.equal(verifyPartnerSide('partner-key', body, ''), undefined)
})

t.test('the README and the webhook guide import the shipped verifyWebhook instead of a copy of it', async (t) => {
  const { readFileSync } = await import('node:fs')
  for (const doc of ['../../README.md', '../../docs/webhooks.md']) {
    const text = readFileSync(new URL(doc, import.meta.url), 'utf8')
    t.match(text, /import \{ verifyWebhook \} from '@serverless-commerce\/client\/webhooks'/, `${doc}: imports it`)
    t.notMatch(text, /createHmac/, `${doc}: carries no verification code of its own`)
  }
})
