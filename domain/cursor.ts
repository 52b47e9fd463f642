// Opaque pagination cursors: the last returned item's key, signed so that a client can neither
// forge one (and read a page it could not reach) nor reuse one with another query or user.
// Format: base64url(JSON key) "." base64url(HMAC-SHA256(secret, payload + "\n" + context)).
import { createHmac, timingSafeEqual } from 'node:crypto'
import { Problem } from '../core/problem.js'

const MAX_CURSOR_LENGTH = 2048
const BASE64URL = /^[A-Za-z0-9_-]+$/

function sign (payload: string, context: string, secret: string): Buffer {
  // The newline separates payload from context: base64url never contains one.
  return createHmac('sha256', secret).update(`${payload}\n${context}`).digest()
}

function invalid (): Problem {
  return new Problem(400, 'invalid_cursor',
    'The cursor is malformed, was altered, or belongs to another query; start again without a cursor')
}

export function encodeCursor (key: Record<string, unknown>, context: string, secret: string): string {
  const payload = Buffer.from(JSON.stringify(key), 'utf8').toString('base64url')
  return `${payload}.${sign(payload, context, secret).toString('base64url')}`
}

export function decodeCursor (cursor: string, context: string, secret: string): Record<string, unknown> {
  if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH) throw invalid()
  const parts = cursor.split('.')
  if (parts.length !== 2) throw invalid()
  const [payload, signature] = parts as [string, string]
  if (!BASE64URL.test(payload) || !BASE64URL.test(signature)) throw invalid()
  // Compare the text form: base64url decoding ignores stray trailing bits, so two different
  // strings can decode to the same bytes. timingSafeEqual throws on unequal lengths: check first.
  const given = Buffer.from(signature, 'utf8')
  const expected = Buffer.from(sign(payload, context, secret).toString('base64url'), 'utf8')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid()
  let key: unknown
  try {
    key = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    throw invalid()
  }
  if (key === null || typeof key !== 'object' || Array.isArray(key)) throw invalid()
  return key as Record<string, unknown>
}
