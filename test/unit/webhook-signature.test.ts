import t from 'tap'
import { createHmac } from 'node:crypto'
import { signWebhook, verifyWebhook } from '../../domain/webhook-signature.js'

const key = 'partner-key-0123456789'
const body = JSON.stringify({ eventId: 'ord-1:placed', order: { id: 'ord-1' } })
const now = 1_750_000_000

t.test('a signature is HMAC-SHA256 over timestamp.body, and verifies', async (t) => {
  const header = signWebhook(key, body, now)
  const expected = createHmac('sha256', key).update(`${now}.${body}`).digest('hex')
  t.equal(header, `t=${now},v1=${expected}`)
  t.same(verifyWebhook(key, body, header, { now }), { ok: true, timestamp: now })
  t.same(verifyWebhook(['old-key-xxxxxxxxxxxx', key], body, header, { now }), { ok: true, timestamp: now }, 'any of several keys')
})

t.test('tampering is detected', async (t) => {
  const header = signWebhook(key, body, now)
  t.same(verifyWebhook(key, body.replace('ord-1', 'ord-2'), header, { now }), { ok: false, reason: 'mismatch' }, 'changed body')
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
  for (const header of [undefined, '', 'garbage', `t=${now}`, `v1=${'a'.repeat(64)}`, `t=abc,v1=${'a'.repeat(64)}`, `t=${now},v1=short`, `t=${now},t=${now},v1=${'a'.repeat(64)}`]) {
    t.same(verifyWebhook(key, body, header, { now }), { ok: false, reason: 'malformed' }, String(header))
  }
})
