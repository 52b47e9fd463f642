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

export type OrderEventBridgeEvent = EventBridgeEvent<DetailType, OrderEventDetail>

/** Powertools names each effect's record `<prefix>#<hash>` (the role may touch only those: workers/iam.ts). */
export const EFFECT_KEY_PREFIX = 'worker-effect'

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

interface IdempotentEffects {
  webhook: (key: EffectKey, call: WebhookCall) => Promise<{ status: number; attempts: number }>
  email: (key: EffectKey, status: OrderStatus, order: PublicOrder) => Promise<{ messageId: string | null }>
}

// makeIdempotent binds the persistence store, so the wrapped effects are made once per runtime.
const effectsByRuntime = new WeakMap<WorkerRuntime, IdempotentEffects>()

function idempotentEffects (rt: WorkerRuntime): IdempotentEffects {
  let effects = effectsByRuntime.get(rt)
  if (effects === undefined) {
    // dataIndexArgument 0: only the EffectKey is hashed, so equal effects share one record.
    const { persistence, idempotency } = effectStore(rt)
    const options = { persistenceStore: persistence, config: idempotency, keyPrefix: EFFECT_KEY_PREFIX, dataIndexArgument: 0 }
    effects = {
      webhook: makeIdempotent(async (_key: EffectKey, call: WebhookCall) => postWebhook(rt, call), options),
      email: makeIdempotent(async (_key: EffectKey, status: OrderStatus, order: PublicOrder) => sendOrderEmail(rt, status, order), options)
    }
    effectsByRuntime.set(rt, effects)
  }
  return effects
}

async function sendOrderEmail (rt: WorkerRuntime, status: OrderStatus, order: PublicOrder): Promise<{ messageId: string | null }> {
  const { subject, html, text } = renderOrderEmail(status, order)
  const { from, replyTo } = rt.config.email
  const res = await effectStore(rt).ses.send(new SendEmailCommand({
    FromEmailAddress: from,
    ...(replyTo !== undefined ? { ReplyToAddresses: [replyTo] } : {}),
    Destination: { ToAddresses: [order.userEmail] },
    Content: {
      Simple: {
        Subject: { Data: subject, Charset: 'UTF-8' },
        Body: { Html: { Data: html, Charset: 'UTF-8' }, Text: { Data: text, Charset: 'UTF-8' } }
      }
    }
  }))
  return { messageId: res.MessageId ?? null }
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
  const effects = idempotentEffects(rt)
  // Stable across redeliveries and re-publications, so a partner can deduplicate on it too.
  const eventId = `${order.id}:${status}`
  const partner = PARTNER_OF_STATUS[status]
  const units: Array<{ effect: EffectKey['effect']; run: () => Promise<unknown> }> = []
  // Mail only an address verified when the order was placed (orders from before accounts confirmed
  // their email carry no such mark): our SES sender must not be made to mail anyone's address.
  if (order.userEmailVerified === true) {
    units.push({ effect: 'email', run: () => effects.email({ orderId: order.id, status, effect: 'email' }, status, order) })
  } else {
    rt.log.warn('order email skipped: the address was not verified', { orderId: order.id, status })
  }
  if (partner !== undefined) {
    const effect = `${partner}-webhook` as const
    units.unshift({
      effect,
      run: () => effects.webhook({ orderId: order.id, status, effect }, {
        partner,
        eventId,
        eventType: event['detail-type'],
        payload: webhookPayload(event, order, eventId, rt.config.pickupAddress)
      })
    })
  }
  const results = await Promise.allSettled(units.map(async (u) => u.run()))
  const failures = results.flatMap((r, i) => r.status === 'rejected' ? [{ effect: units[i].effect, error: r.reason as Error }] : [])
  for (const [i, r] of results.entries()) {
    if (r.status === 'fulfilled') rt.log.info('order effect done', { orderId: order.id, status, effect: units[i].effect })
  }
  if (failures.length > 0) throw new EffectsFailedError(failures)
}
