// verifyWebhook: a genuine webhook passes; a tampered body or signature, another key, a stale or
// future timestamp and a malformed header fail, each for its reason.
import t from 'tap'
import { createHmac } from 'node:crypto'
import { checkWebhookSignature, verifyWebhook } from '../src/webhooks.js'

const KEY = 'whsec-warehouse-0123456789'
const BODY = '{"eventId":"ord-1:placed","type":"OrderPlaced","order":{"id":"ord-1","note":"fragile ✓"}}'
const PAYLOAD = JSON.parse(BODY)
const now = Math.floor(Date.now() / 1000)
const sign = (key: string, body: string, t: number): string => `t=${t},v1=${createHmac('sha256', key).update(
  `${t}.${body}`
).digest('hex')}`

t.test('a genuine webhook', async (t) => {
  const header = sign(KEY, BODY, now)
  t.same(verifyWebhook(KEY, BODY, header), PAYLOAD)
  t.same(verifyWebhook(KEY, Buffer.from(BODY, 'utf8'), header), PAYLOAD, 'the raw body as a Buffer')
  t.same(verifyWebhook(KEY, new TextEncoder().encode(BODY), header), PAYLOAD, 'or as a Uint8Array')
  t.same(verifyWebhook(['old-key', KEY], BODY, header), PAYLOAD, 'one of several keys (rotation)')
  t.same(verifyWebhook(KEY, BODY, ` t=${now} , v1=${header.split('v1=')[1]} `), PAYLOAD, 'spaces around the parts')
  t.same(verifyWebhook(KEY, BODY, `${header},v1=${'0'.repeat(64)}`), PAYLOAD, 'several v1 signatures, one matching')
  t.same(verifyWebhook(KEY, BODY, `${header},v0=abc`), PAYLOAD, 'unknown schemes are ignored')
  t.match(checkWebhookSignature(KEY, BODY, header), { ok: true, timestamp: now })
})

t.test('tampered', async (t) => {
  const header = sign(KEY, BODY, now)
  t.same(
    checkWebhookSignature(KEY, BODY.replace('ord-1"', 'ord-2"'), header),
    { ok: false, reason: 'mismatch' },
    'another body'
  )
  t.same(checkWebhookSignature(KEY, `${BODY} `, header), { ok: false, reason: 'mismatch' }, 'one byte more')
  t.same(
    checkWebhookSignature(KEY, JSON.stringify(JSON.parse(BODY)).replace('✓', '\\u2713'), header),
    { ok: false, reason: 'mismatch' },
    'the body re-serialized: use the raw bytes'
  )
  const flipped = header.slice(0, -1) + (header.endsWith('0') ? '1' : '0')
  t.same(checkWebhookSignature(KEY, BODY, flipped), { ok: false, reason: 'mismatch' }, 'another signature')
  t.same(checkWebhookSignature('another-key', BODY, header), { ok: false, reason: 'mismatch' }, 'another key')
  t.same(
    checkWebhookSignature(KEY, BODY, header.replace(`t=${now}`, `t=${now - 1}`)),
    { ok: false, reason: 'mismatch' },
    'another timestamp'
  )
  t.equal(verifyWebhook(KEY, BODY, flipped), undefined)
})

t.test('stale: outside the tolerance, either way', async (t) => {
  // The clock is this test's (the last two arguments), so a slow machine can't move the edges.
  const at = 1_800_000_000
  t.same(
    checkWebhookSignature(KEY, BODY, sign(KEY, BODY, at - 301), 300, at),
    { ok: false, reason: 'stale' },
    'older than 5 minutes'
  )
  t.same(
    checkWebhookSignature(KEY, BODY, sign(KEY, BODY, at + 301), 300, at),
    { ok: false, reason: 'stale' },
    'from the future'
  )
  t.match(checkWebhookSignature(KEY, BODY, sign(KEY, BODY, at - 299), 300, at), { ok: true }, 'just within')
  const current = Math.floor(Date.now() / 1000)
  t.same(verifyWebhook(KEY, BODY, sign(KEY, BODY, current - 240)), PAYLOAD, 'within 5 minutes, by the real clock')
  t.equal(verifyWebhook(KEY, BODY, sign(KEY, BODY, current - 60), 30), undefined, 'a tolerance of our own')
  t.same(
    checkWebhookSignature(KEY, BODY, sign(KEY, BODY, 1_000_000), 300, 1_000_100),
    { ok: true, timestamp: 1_000_000 },
    'an injected clock'
  )
})

t.test('malformed headers', async (t) => {
  const v1 = createHmac('sha256', KEY).update(`${now}.${BODY}`).digest('hex')
  for (const header of [undefined, null, '', 'garbage',
  `t=${now}`, `v1=${v1}`, `t=abc,v1=${v1}`, `t=-5,v1=${v1}`, `t=${now},v1=${v1.slice(2)}`,
    `t=${now},v1=${v1.toUpperCase()}`, `t=${now},t=${now},v1=${v1}`, `=x,t=${now},v1=${v1}`,
    `t=${now};v1=${v1}`, `t=1${'0'.repeat(12)},v1=${v1}`, [`t=${now},v1=${v1}`]]) {
    t.same(
      checkWebhookSignature(KEY, BODY, header),
      { ok: false, reason: 'malformed' },
      `${JSON.stringify(header)} is malformed`
    )
    t.equal(verifyWebhook(KEY, BODY, header), undefined)
  }
})
