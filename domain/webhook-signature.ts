// Webhook signatures: HMAC-SHA256 over `${timestamp}.${body}` with the partner's key, sent as
// `x-commerce-signature: t=<unix seconds>,v1=<hex>`. The timestamp inside the signed text stops a
// captured request from being replayed later than the tolerance. Partners' side: docs/webhooks.md.
import { createHmac, timingSafeEqual } from 'node:crypto'

export const SIGNATURE_HEADER = 'x-commerce-signature'
export const EVENT_ID_HEADER = 'x-commerce-event-id'
export const EVENT_TYPE_HEADER = 'x-commerce-event-type'
/** The id of the API request behind the event (its x-request-id), for tracing one order end to end. */
export const CORRELATION_ID_HEADER = 'x-correlation-id'
export const DEFAULT_TOLERANCE_SECONDS = 300

const hmac = (key: string, timestamp: number, body: string): Buffer =>
  createHmac('sha256', key).update(`${timestamp}.${body}`, 'utf8').digest()

/** The signature header's value for a body sent at `timestamp` (unix seconds). */
export function signWebhook (key: string, body: string, timestamp: number = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${hmac(key, timestamp, body).toString('hex')}`
}

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' }

/**
 * Checks a signature header against the raw body. Any of several keys may match (key rotation:
 * a partner accepts the old and the new key for a while). Constant-time comparison.
 */
export function verifyWebhook (
  keys: string | string[],
  body: string,
  header: string | undefined,
  opts: { toleranceSeconds?: number; now?: number } = {}
): VerifyResult {
  if (typeof header !== 'string') return { ok: false, reason: 'malformed' }
  const parts = new Map<string, string[]>()
  for (const part of header.split(',')) {
    const eq = part.indexOf('=')
    if (eq <= 0) return { ok: false, reason: 'malformed' }
    const name = part.slice(0, eq).trim()
    parts.set(name, [...(parts.get(name) ?? []), part.slice(eq + 1).trim()])
  }
  const t = parts.get('t')
  const timestamp = t?.length === 1 && /^\d{1,12}$/.test(t[0]) ? Number(t[0]) : NaN
  const signatures = (parts.get('v1') ?? []).filter((s) => /^[0-9a-f]{64}$/.test(s)).map((s) => Buffer.from(s, 'hex'))
  if (!Number.isFinite(timestamp) || signatures.length === 0) return { ok: false, reason: 'malformed' }
  const now = opts.now ?? Math.floor(Date.now() / 1000)
  if (Math.abs(now - timestamp) > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { ok: false, reason: 'stale' }
  for (const key of Array.isArray(keys) ? keys : [keys]) {
    const expected = hmac(key, timestamp, body)
    if (signatures.some((s) => timingSafeEqual(s, expected))) return { ok: true, timestamp }
  }
  return { ok: false, reason: 'mismatch' }
}
