// Verifying the webhooks the API sends partners (docs/webhooks.md). Node.js only (node:crypto):
// import it from '@serverless-commerce/client/webhooks' in your server, never in a browser bundle.
//
// `x-commerce-signature: t=<unix seconds>,v1=<hex>,v2=<hex>` is HMAC-SHA256, keyed by the partner's
// webhook key: v2 over `<t>.<x-commerce-event-id>.<raw body>` (the event id you deduplicate on is
// signed), v1 over `<t>.<raw body>`. Given the event id header, the check requires v2; without it,
// v1. Check against the raw body bytes (before any JSON parsing), in constant time, and refuse
// timestamps too far from your clock, so a captured request cannot be replayed later.
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { components } from './schema.js'

export const SIGNATURE_HEADER = 'x-commerce-signature'
/** `<orderId>:<status>`, the same on every retry and redelivery: deduplicate on it. */
export const EVENT_ID_HEADER = 'x-commerce-event-id'
export const EVENT_TYPE_HEADER = 'x-commerce-event-type'
/** The id of the API request that made the order change (its x-request-id): quote it when asking about a webhook. */
export const CORRELATION_ID_HEADER = 'x-correlation-id'
export const DEFAULT_TOLERANCE_SECONDS = 300

export type WebhookCheck =
  | { ok: true, timestamp: number }
  | { ok: false, reason: 'malformed' | 'stale' | 'mismatch' }

/** A header as Node's `req.headers` gives it. */
type HeaderValue = string | readonly string[] | null | undefined

/**
 * Checks a webhook's signature header against its raw body, and says why it fails. `key` may be
 * several keys during a rotation (any one matching is enough). `eventIdHeader`: the request's
 * x-commerce-event-id; given, the v2 signature must match (the event id is signed with the body).
 * `now` (unix seconds) is for tests.
 */
export function checkWebhookSignature (
  key: string | readonly string[],
  rawBody: string | Uint8Array,
  signatureHeader: HeaderValue,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  now: number = Date.now() / 1000,
  eventIdHeader?: HeaderValue
): WebhookCheck {
  if (typeof signatureHeader !== 'string') return { ok: false, reason: 'malformed' }
  if (eventIdHeader !== undefined && typeof eventIdHeader !== 'string') return { ok: false, reason: 'malformed' }
  const version = eventIdHeader === undefined ? 'v1' : 'v2'
  const signed = eventIdHeader === undefined ? '' : `${eventIdHeader}.`
  let timestamp: number | undefined
  const signatures: Buffer[] = []
  for (const part of signatureHeader.split(',')) {
    const eq = part.indexOf('=')
    const name = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (eq <= 0) return { ok: false, reason: 'malformed' }
    if (name === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return { ok: false, reason: 'malformed' }
      timestamp = Number(value)
    } else if (name === version && /^[0-9a-f]{64}$/.test(value)) {
      signatures.push(Buffer.from(value, 'hex'))
    }
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' }
  if (Math.abs(now - timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' }
  for (const k of typeof key === 'string' ? [key] : key) {
    const expected = createHmac('sha256', k).update(`${timestamp}.${signed}`).update(rawBody).digest()
    if (signatures.some((s) => timingSafeEqual(s, expected))) return { ok: true, timestamp }
  }
  return { ok: false, reason: 'mismatch' }
}

/** A webhook's body, by its `type` (the document's `webhooks` section: OrderPlaced, OrderCancelled, OrderPacked). */
export type WebhookEvent =
  | components['schemas']['OrderPlacedWebhook']
  | components['schemas']['OrderCancelledWebhook']
  | components['schemas']['OrderPackedWebhook']

/**
 * The webhook's payload, typed by its `type`, when it is genuine: signed with `key` (or one of
 * several, during a rotation) over exactly `rawBody` (and, given `eventIdHeader`, the
 * x-commerce-event-id: pass it), at most `toleranceSeconds` from now; otherwise undefined (so
 * `if (!verifyWebhook(...))` refuses it). Node.js only.
 */
export function verifyWebhook (
  key: string | readonly string[],
  rawBody: string | Uint8Array,
  signatureHeader: HeaderValue,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  eventIdHeader?: HeaderValue
): WebhookEvent | undefined {
  const checked = checkWebhookSignature(
    key,
    rawBody,
    signatureHeader,
    toleranceSeconds,
    Date.now() / 1000,
    eventIdHeader
  )
  if (!checked.ok) return undefined
  try {
    return JSON.parse(typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody)) as WebhookEvent
  } catch {
    return undefined
  }
}
