// Idempotency-Key rules for POST /orders, with no SDK: the key's shape, the request fingerprint,
// and the order id a key determines (so a crash between claiming a key and recording the answer
// can never make a second order: the retry writes the same id, conditionally).
import { createHash } from 'node:crypto'

/** 1 to 255 printable ASCII characters, no leading or trailing space (HTTP trims those anyway). */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7E]([\\x20-\\x7E]{0,253}[\\x21-\\x7E])?$'

/** Keys are kept at least this long (DynamoDB TTL deletes records some time after `expiration`). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60
/** An in-progress claim older than this is taken as abandoned (the Lambda died) and may be taken over. */
export const STALE_CLAIM_MS = 60_000

export function idempotencyRecordId (userId: string, key: string): string {
  return `order#${userId}#${key}`
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
export function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

export function requestHash (body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('base64url')
}

/**
 * The order id of a keyed request: a UUID-shaped digest of user, key and body. The body is part of
 * it so that, once a record has expired, the same key with another body makes another order.
 */
export function orderIdFor (userId: string, key: string, bodyHash: string): string {
  const h = createHash('sha256').update(`${userId}\n${key}\n${bodyHash}`).digest('hex')
  // Version 8 (custom) UUID layout: xxxxxxxx-xxxx-8xxx-[89ab]xxx-xxxxxxxxxxxx.
  const variant = ((parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/**
 * The id of an item created by POST /items with an Idempotency-Key: a UUID-shaped digest of the
 * admin and the key, so a retry writes the same id (conditionally) and finds the first one.
 */
export function itemIdFor (userId: string, key: string): string {
  return orderIdFor(`item#${userId}`, key, '')
}
