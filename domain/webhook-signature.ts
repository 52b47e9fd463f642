// Webhook signatures: HMAC-SHA256 over `${timestamp}.${body}` with the partner's key, sent as
// `x-commerce-signature: t=<unix seconds>,v1=<hex>`. The timestamp inside the signed text stops a
// captured request from being replayed later than the tolerance. Partners' side (verifying):
// verifyWebhook in the client package, clients/typescript/src/webhooks.ts; docs/webhooks.md.
import { createHmac } from 'node:crypto'

export const SIGNATURE_HEADER = 'x-commerce-signature'
export const EVENT_ID_HEADER = 'x-commerce-event-id'
export const EVENT_TYPE_HEADER = 'x-commerce-event-type'
/** The id of the API request behind the event (its x-request-id), for tracing one order end to end. */
export const CORRELATION_ID_HEADER = 'x-correlation-id'

const hmac = (key: string, timestamp: number, body: string): Buffer =>
  createHmac('sha256', key).update(`${timestamp}.${body}`, 'utf8').digest()

/** The signature header's value for a body sent at `timestamp` (unix seconds). */
export function signWebhook (key: string, body: string, timestamp: number = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${hmac(key, timestamp, body).toString('hex')}`
}
