// Webhook signatures: HMAC-SHA256 with the partner's key, sent as
// `x-commerce-signature: t=<unix seconds>,v1=<hex>,v2=<hex>`: v1 over `${timestamp}.${body}`, v2
// over `${timestamp}.${eventId}.${body}`, so the x-commerce-event-id partners deduplicate on is
// signed too (v1 stays for partners who have not moved to v2). The timestamp inside the signed
// text stops a captured request from being replayed later than the tolerance. Partners' side (verifying):
// verifyWebhook in the client package, clients/typescript/src/webhooks.ts; docs/webhooks.md.
import { createHmac } from 'node:crypto'

export const SIGNATURE_HEADER = 'x-commerce-signature'
export const EVENT_ID_HEADER = 'x-commerce-event-id'
export const EVENT_TYPE_HEADER = 'x-commerce-event-type'
/** The id of the API request behind the event (its x-request-id), for tracing one order end to end. */
export const CORRELATION_ID_HEADER = 'x-correlation-id'

const hmac = (key: string, text: string): string => createHmac('sha256', key).update(text, 'utf8').digest('hex')

/**
 * The signature header's value for a body sent at `timestamp` (unix seconds); with the event id
 * (the x-commerce-event-id header's value), its v2 signature too.
 */
export function signWebhook (
  key: string,
  body: string,
  timestamp: number = Math.floor(Date.now() / 1000),
  eventId?: string
): string {
  const v1 = `t=${timestamp},v1=${hmac(key, `${timestamp}.${body}`)}`
  return eventId === undefined ? v1 : `${v1},v2=${hmac(key, `${timestamp}.${eventId}.${body}`)}`
}
