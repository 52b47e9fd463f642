import t from 'tap'
import { encodeCursor, decodeCursor } from '../../domain/cursor.js'

const SECRET = 'unit-test-cursor-secret-0123456789'
const KEY = { id: 'item-42', category: 'phone', typeBrandId: 'smart#Acme#item-42' }

const INVALID = { name: 'Problem', status: 400, code: 'invalid_cursor' }

t.test('a cursor round-trips its key under the same context and secret', async (t) => {
  const cursor = encodeCursor(KEY, 'items|phone', SECRET)
  t.match(cursor, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'opaque base64url')
  t.notOk(cursor.includes('item-42'), 'the key is not readable as plain text')
  t.same(decodeCursor(cursor, 'items|phone', SECRET), KEY)
})

t.test('a cursor from another query, user or key is rejected', async (t) => {
  const cursor = encodeCursor(KEY, 'orders|user-a', SECRET)
  t.throws(() => decodeCursor(cursor, 'orders|user-b', SECRET), INVALID, 'another user')
  t.throws(() => decodeCursor(cursor, 'items|phone', SECRET), INVALID, 'another query')
  t.throws(() => decodeCursor(cursor, 'orders|user-a', 'another-secret-0123456789'), INVALID, 'another secret')
})

t.test('tampered and malformed cursors are rejected', async (t) => {
  const cursor = encodeCursor(KEY, 'ctx', SECRET)
  const [payload, sig] = cursor.split('.') as [string, string]
  const forged = Buffer.from(JSON.stringify({ ...KEY, id: 'item-99' })).toString('base64url')
  t.throws(() => decodeCursor(`${forged}.${sig}`, 'ctx', SECRET), INVALID, 'payload swapped')
  const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1)
  t.throws(() => decodeCursor(`${payload}.${flip(sig, 0)}`, 'ctx', SECRET), INVALID, 'first signature char changed')
  t.throws(
    () => decodeCursor(`${payload}.${flip(sig, sig.length - 1)}`, 'ctx', SECRET),
    INVALID,
    'last signature char changed'
  )
  t.throws(() => decodeCursor(`${payload}.${sig.slice(0, 10)}`, 'ctx', SECRET), INVALID, 'short signature')
  t.throws(() => decodeCursor(`${payload}.${sig}.x`, 'ctx', SECRET), INVALID, 'three parts')
  t.throws(() => decodeCursor('', 'ctx', SECRET), INVALID, 'empty')
  t.throws(() => decodeCursor('not a cursor', 'ctx', SECRET), INVALID, 'garbage')
  t.throws(() => decodeCursor(`${payload}.${sig}`.repeat(100), 'ctx', SECRET), INVALID, 'too long')
})

t.test('a validly signed payload that is not a JSON object is still rejected', async (t) => {
  // Build signed cursors whose payloads are not objects, as a leaked secret could.
  const { createHmac } = await import('node:crypto')
  for (const raw of ['[1,2]', 'null', '"x"', '{not json']) {
    const payload = Buffer.from(raw).toString('base64url')
    const sig = createHmac('sha256', SECRET).update(`${payload}\nctx`).digest('base64url')
    t.throws(() => decodeCursor(`${payload}.${sig}`, 'ctx', SECRET), INVALID, `payload ${raw}`)
  }
})
