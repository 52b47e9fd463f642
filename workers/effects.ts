// Events to effects: each order event (delivered by an EventBridge rule) becomes the partner
// webhook and the customer email its status calls for. Each effect is its own idempotent unit
// (Powertools idempotency, keyed by order id + status + effect): a redelivered event does nothing
// twice, and a retry after a partial success redoes only the part that failed.
import type { Context, EventBridgeEvent } from 'aws-lambda'
import { SendEmailCommand } from '@aws-sdk/client-sesv2'
import { makeIdempotent } from '@aws-lambda-powertools/idempotency'
import type { PartnerName } from '../core/config.js'
import { EVENT_SOURCE, STATUS_OF_DETAIL_TYPE, toPublicOrder, type DetailType, type OrderEventDetail, type OrderStatus, type PublicOrder } from '../domain/events.js'
import { renderOrderEmail } from '../domain/emails.js'
import type { WorkerRuntime } from './runtime.js'
import { postWebhook, type WebhookCall } from './webhooks.js'
import { effectStore } from './effect-store.js'
import { mailSuppressions } from './mail-feedback.js'

export type OrderEventBridgeEvent = EventBridgeEvent<DetailType, OrderEventDetail>

/** The idempotency key of one effect: the whole object is hashed into the record's id. */
export interface EffectKey { orderId: string; status: OrderStatus; effect: 'warehouse-webhook' | 'delivery-webhook' | 'email' }

export class EffectsFailedError extends Error {
  constructor (readonly failures: Array<{ effect: EffectKey['effect']; error: Error }>) {
    super(`order effects failed: ${failures.map((f) => `${f.effect} (${f.error.name}: ${f.error.message})`).join('; ')}`)
    this.name = 'EffectsFailedError'
  }
}

export class UnexpectedEventError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UnexpectedEventError'
  }
}

/** What each status does: which partner hears about it (if any); every status emails the customer. */
const PARTNER_OF_STATUS: Record<OrderStatus, PartnerName | undefined> = {
  placed: 'warehouse',
  packed: 'delivery',
  delivered: undefined,
  cancelled: 'warehouse'
}

/** The webhook body for a partner: only what that partner needs. */
export function webhookPayload (event: OrderEventBridgeEvent, order: PublicOrder, eventId: string, pickupAddress: string): unknown {
  const lines = order.lines.map(({ id, title, color, colorCode, count }) => ({ id, title, color, colorCode, count }))
  if (event['detail-type'] === 'OrderPacked') {
    return {
      eventId,
      type: event['detail-type'],
      occurredAt: event.time,
      order: { id: order.id, packageId: order.packageId, lines },
      pickupAddress,
      customer: { email: order.userEmail }
    }
  }
  return {
    eventId,
    type: event['detail-type'],
    occurredAt: event.time,
    order: { id: order.id, status: order.status, createdAt: order.createdAt, note: order.note, lines }
  }
}

/** Set by an effect that ran: one that did not was already done (its idempotency record answered). */
interface Ran { ran: boolean }

interface IdempotentEffects {
  webhook: (key: EffectKey, call: WebhookCall, ran: Ran) => Promise<{ status: number; attempts: number }>
  email: (key: EffectKey, status: OrderStatus, order: PublicOrder, correlationId: string | undefined, ran: Ran) => Promise<{ messageId: string | null; suppressed?: true }>
}

// makeIdempotent binds the persistence store, so the wrapped effects are made once per runtime.
const effectsByRuntime = new WeakMap<WorkerRuntime, IdempotentEffects>()

function idempotentEffects (rt: WorkerRuntime): IdempotentEffects {
  let effects = effectsByRuntime.get(rt)
  if (effects === undefined) {
    // dataIndexArgument 0: only the EffectKey is hashed, so equal effects share one record.
    const { persistence, idempotency } = effectStore(rt)
    const options = { persistenceStore: persistence, config: idempotency, keyPrefix: 'worker-effect', dataIndexArgument: 0 }
    effects = {
      webhook: makeIdempotent(async (_key: EffectKey, call: WebhookCall, ran: Ran) => {
        ran.ran = true
        return postWebhook(rt, call)
      }, options),
      email: makeIdempotent(async (_key: EffectKey, status: OrderStatus, order: PublicOrder, correlationId: string | undefined, ran: Ran) => {
        ran.ran = true
        return sendOrderEmail(rt, status, order, correlationId)
      }, options)
    }
    effectsByRuntime.set(rt, effects)
  }
  return effects
}

/**
 * The order's email, unless its address bounced or complained before (then nothing is sent, and
 * the effect counts as done). Sent with the configuration set (SES's reputation metrics and its
 * bounce and complaint reports); counted sent, failed or suppressed; one log line either way.
 */
async function sendOrderEmail (rt: WorkerRuntime, status: OrderStatus, order: PublicOrder, correlationId?: string): Promise<{ messageId: string | null; suppressed?: true }> {
  const about = { orderId: order.id, status, correlationId }
  if (await mailSuppressions(rt).isSuppressed(order.userEmail)) {
    rt.metrics.add('EmailsSuppressed', {})
    rt.log.info('order email suppressed: the address bounced or complained before', about)
    return { messageId: null, suppressed: true }
  }
  const { subject, html, text } = renderOrderEmail(status, order)
  const { from, replyTo, configurationSet } = rt.config.email
  let messageId: string | null
  try {
    const res = await effectStore(rt).ses.send(new SendEmailCommand({
      FromEmailAddress: from,
      ...(replyTo !== undefined ? { ReplyToAddresses: [replyTo] } : {}),
      ...(configurationSet !== undefined ? { ConfigurationSetName: configurationSet } : {}),
      Destination: { ToAddresses: [order.userEmail] },
      Content: {
        Simple: {
          Subject: { Data: subject, Charset: 'UTF-8' },
          Body: { Html: { Data: html, Charset: 'UTF-8' }, Text: { Data: text, Charset: 'UTF-8' } }
        }
      }
    }))
    messageId = res.MessageId ?? null
  } catch (err) {
    rt.metrics.add('EmailsFailed', {})
    throw err
  }
  rt.metrics.add('EmailsSent', {})
  rt.log.info('order email sent', { ...about, messageId })
  return { messageId }
}

/** Runs an order event's effects; throws EffectsFailedError (after doing all it can) if any failed. */
export async function handleOrderEvent (event: OrderEventBridgeEvent, rt: WorkerRuntime, context?: Context): Promise<void> {
  // With the context, an effect left "in progress" by a timed-out invocation expires with it.
  if (context !== undefined) effectStore(rt).idempotency.registerLambdaContext(context)
  const status = STATUS_OF_DETAIL_TYPE[event['detail-type']]
  if (event.source !== EVENT_SOURCE || status === undefined) {
    throw new UnexpectedEventError(`no effects for ${String(event.source)} / ${String(event['detail-type'])}: check the rule's pattern`)
  }
  const order = toPublicOrder(event.detail as unknown as Record<string, unknown>)
  if (order.status !== status) throw new UnexpectedEventError(`${event['detail-type']} for order ${order.id} carries status ${order.status}`)
  // The id of the API request behind this status: into the webhook's header and every log line.
  const correlationId = typeof event.detail.correlationId === 'string' ? event.detail.correlationId : undefined
  rt.tracing?.annotate('orderId', order.id)
  rt.tracing?.annotate('route', event['detail-type'])
  if (correlationId !== undefined) rt.tracing?.annotate('correlationId', correlationId)
  const effects = idempotentEffects(rt)
  // Stable across redeliveries and re-publications, so a partner can deduplicate on it too.
  const eventId = `${order.id}:${status}`
  const partner = PARTNER_OF_STATUS[status]
  const units: Array<{ effect: EffectKey['effect']; ran: Ran; run: (ran: Ran) => Promise<unknown> }> = [
    { effect: 'email', ran: { ran: false }, run: (ran) => effects.email({ orderId: order.id, status, effect: 'email' }, status, order, correlationId, ran) }
  ]
  if (partner !== undefined) {
    const effect = `${partner}-webhook` as const
    units.unshift({
      effect,
      ran: { ran: false },
      run: (ran) => effects.webhook({ orderId: order.id, status, effect }, {
        partner,
        eventId,
        eventType: event['detail-type'],
        payload: webhookPayload(event, order, eventId, rt.config.pickupAddress),
        ...(correlationId !== undefined ? { correlationId } : {})
      }, ran)
    })
  }
  const results = await Promise.allSettled(units.map(async (u) => u.run(u.ran)))
  const failures = results.flatMap((r, i) => r.status === 'rejected' ? [{ effect: units[i].effect, error: r.reason as Error }] : [])
  for (const [i, r] of results.entries()) {
    if (r.status !== 'fulfilled') continue
    const { effect, ran } = units[i]
    if (!ran.ran) rt.metrics.add('DuplicateEffectsSkipped', { Effect: effect })
    rt.log.info(ran.ran ? 'order effect done' : 'order effect already done (a redelivery): skipped', { orderId: order.id, status, effect, correlationId })
  }
  if (failures.length > 0) throw new EffectsFailedError(failures)
}
