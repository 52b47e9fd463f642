// Events to effects: each order event becomes the partner webhook and the customer email its
// status calls for. Each effect goes through the effects ledger (workers/effect-ledger.ts) on its
// channel (the warehouse's webhooks, the delivery service's, the customer's emails): done at most
// once per order and status, never after a newer effect of the same order on that channel, and
// one at a time per channel. The outcome says what the caller (workers/sqs-batch.ts) does with the
// event: nothing more (done), deliver it again later (retry: something may pass), or park it in
// the dead-letter queue (park: retrying cannot help, e.g. a partner answering 400).
import type { EventBridgeEvent } from 'aws-lambda'
import type { PartnerName } from '../core/config.js'
import {
  EVENT_SOURCE, MalformedRecordError, STATUS_OF_DETAIL_TYPE, statusSequence, toPublicOrder,
  type DetailType, type OrderEventDetail, type OrderStatus, type PublicOrder
} from '../domain/events.js'
import { renderOrderEmail } from '../domain/emails.js'
import { sendEmail } from '../core/ses.js'
import type { WorkerRuntime } from './runtime.js'
import { postWebhook, webhookCallMaxMs, WebhookError, type WebhookCall } from './webhooks.js'
import type { Channel } from './effect-ledger.js'
import { ledgerOf, sesOf, suppressionsOf } from './clients.js'

export type OrderEventBridgeEvent = EventBridgeEvent<DetailType, OrderEventDetail>

export class UnexpectedEventError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UnexpectedEventError'
  }
}

/**
 * What became of one event's effects. `stack`: that of an error nobody expected (a bug, rather than
 * a partner's or an AWS service's answer), for the log line (source-mapped: core/source-mapped-stacks.ts).
 */
export type EventOutcome =
  | { result: 'done' }
  | { result: 'retry'; reason: string; stack?: string }
  | { result: 'park'; reason: string; error: string; stack?: string }

type EffectResult = { result: 'done' | 'skipped' } | {
  result: 'retry' | 'park'
  reason: string
  error: string
  stack?: string
}

/** The stack of an error that is neither a partner's answer nor an AWS service's: where the bug is. */
function unexpectedStack (err: unknown): { stack?: string } {
  if (!(err instanceof Error) || err instanceof WebhookError ||
    (err as { $metadata?: unknown }).$metadata !== undefined) {
    return {}
  }
  return err.stack === undefined ? {} : { stack: err.stack }
}

/** Which partner hears about each status (if any); every status emails the customer. */
const PARTNER_OF_STATUS: Record<OrderStatus, PartnerName | undefined> = {
  placed: 'warehouse',
  packed: 'delivery',
  delivered: undefined,
  cancelled: 'warehouse'
}

const LEASE_MARGIN_MS = 2000

/** Polls of a channel another delivery holds, 200 ms apart, before this delivery is retried later. */
const BUSY_POLLS = 15
const BUSY_POLL_MS = 200

/**
 * The webhook body for a partner: only what that partner needs, with the order's status-change
 * `sequence` (compare within an order: higher is newer), the stream's `sequenceNumber` when the
 * event came from the stream, and `occurredAt` with milliseconds.
 */
export function webhookPayload (
  event: OrderEventBridgeEvent,
  order: PublicOrder,
  eventId: string,
  pickupAddress: string
): unknown {
  const lines = order.lines.map(({ id, title, color, colorCode, count }) => ({ id, title, color, colorCode, count }))
  const common = {
    eventId,
    type: event['detail-type'],
    occurredAt: order.updatedAt,
    sequence: statusSequence(order),
    ...(event.detail.sequenceNumber !== undefined ? { sequenceNumber: event.detail.sequenceNumber } : {})
  }
  if (event['detail-type'] === 'OrderPacked') {
    return {
      ...common,
      order: { id: order.id, packageId: order.packageId, lines },
      pickupAddress,
      customer: { email: order.userEmail }
    }
  }
  return {
    ...common,
    order: { id: order.id, status: order.status, createdAt: order.createdAt, note: order.note, lines }
  }
}

/**
 * The order's email, unless its address bounced or complained before (then nothing is sent, and
 * the effect counts as done). Sent with the configuration set (SES's reputation metrics and its
 * bounce and complaint reports); counted sent, failed or suppressed; one log line either way.
 */
async function sendOrderEmail (
  runtime: WorkerRuntime,
  status: OrderStatus,
  order: PublicOrder,
  correlationId?: string
): Promise<{ messageId: string | null; suppressed?: true }> {
  const about = { orderId: order.id, status, correlationId }
  if (await (await suppressionsOf(runtime)).isSuppressed(order.userEmail)) {
    runtime.metrics.add('EmailsSuppressed', {})
    runtime.log.info('order email suppressed: the address bounced or complained before', about)
    return { messageId: null, suppressed: true }
  }
  const { subject, html, text } = renderOrderEmail(status, order)
  const { from, replyTo, configurationSet } = runtime.config.email
  let messageId: string | null
  try {
    const sent = await sendEmail(
      await sesOf(runtime),
      { from, replyTo, configurationSet, to: order.userEmail, subject, html, text }
    )
    messageId = sent ?? null
  } catch (err) {
    runtime.metrics.add('EmailsFailed', {})
    throw err
  }
  runtime.metrics.add('EmailsSent', {})
  runtime.log.info('order email sent', { ...about, messageId })
  return { messageId }
}

const SES_THROTTLING = new Set([
  'TooManyRequestsException',
  'LimitExceededException',
  'ThrottlingException',
  'Throttling'
])

/** A failure that retrying cannot mend (park it) or one that may pass (retry it). */
function classify (err: unknown): 'park' | 'retry' {
  if (err instanceof WebhookError) return err.status !== undefined ? 'park' : 'retry'
  const e = err as { name?: string; $fault?: string }
  // An AWS error the service blames on the request (a rejected address, an unverified sender).
  if (e.$fault === 'client' && !SES_THROTTLING.has(e.name ?? '')) return 'park'
  return 'retry'
}

interface Effect { channel: Channel; leaseMs: number; run: () => Promise<unknown> }

/** One effect through the ledger: claimed, done and recorded; or skipped; or failed and released. */
async function runEffect (
  runtime: WorkerRuntime,
  order: PublicOrder,
  sequence: number,
  effect: Effect,
  correlationId?: string
): Promise<EffectResult> {
  const ledger = await ledgerOf(runtime)
  const where = { orderId: order.id, status: order.status, effect: effect.channel, sequence, correlationId }
  let token: string | undefined
  for (let poll = 0; token === undefined; poll++) {
    const claim = await ledger.claim(order.id, effect.channel, sequence, effect.leaseMs)
    if (claim.outcome === 'claimed') token = claim.token
    else if (claim.outcome === 'done') {
      // Equal: this effect again (a redelivery); above: a newer one of this order already went out.
      if (claim.done === sequence) runtime.metrics.add('DuplicateEffectsSkipped', { Effect: effect.channel })
      runtime.log.info(
        claim.done === sequence ? 'order effect already done' : 'order effect skipped: a newer one was sent',
        { ...where, done: claim.done }
      )
      return { result: 'skipped' }
    } else if (poll >= BUSY_POLLS) {
      return {
        result: 'retry',
        reason: 'busy',
        error: `another delivery holds the ${effect.channel} channel of this order`
      }
    } else {
      await runtime.sleep(BUSY_POLL_MS)
    }
  }
  try {
    await effect.run()
  } catch (err) {
    await ledger.release(order.id, effect.channel, token)
    return {
      result: classify(err),
      reason: 'failed',
      error: `${effect.channel} (${(err as Error).name}: ${(err as Error).message})`,
      ...unexpectedStack(err)
    }
  }
  try {
    await ledger.complete(order.id, effect.channel, sequence, token)
  } catch (err) {
    // Done but not recorded: the claim expires; only a redelivery after that would do it again.
    runtime.log.error(
      'order effect done but not recorded',
      { ...where, error: (err as Error).name, reason: (err as Error).message }
    )
  }
  runtime.log.info('order effect done', where)
  return { result: 'done' }
}

/** The event's effects, each on its channel; what to do with the event next. */
export async function handleOrderEvent (event: OrderEventBridgeEvent, runtime: WorkerRuntime): Promise<EventOutcome> {
  let order: PublicOrder
  let sequence: number
  try {
    const status = STATUS_OF_DETAIL_TYPE[event['detail-type']]
    if (event.source !== EVENT_SOURCE || status === undefined) {
      throw new UnexpectedEventError(
        `no effects for ${String(event.source)} / ${String(event['detail-type'])}: check the rule's pattern`
      )
    }
    order = toPublicOrder(event.detail as unknown as Record<string, unknown>)
    if (order.status !== status) {
      throw new UnexpectedEventError(`${event['detail-type']} for order ${order.id} carries status ${order.status}`)
    }
    sequence = statusSequence(order)
  } catch (err) {
    if (err instanceof UnexpectedEventError || err instanceof MalformedRecordError) {
      return { result: 'park', reason: 'unexpected event', error: `${err.name}: ${err.message}` }
    }
    throw err
  }
  const { status } = order
  // The id of the API request behind this status: into the webhook's header and every log line.
  const correlationId = typeof event.detail.correlationId === 'string' ? event.detail.correlationId : undefined
  runtime.tracing?.annotate('orderId', order.id)
  runtime.tracing?.annotate('route', event['detail-type'])
  if (correlationId !== undefined) runtime.tracing?.annotate('correlationId', correlationId)
  // Stable across redeliveries, re-publications and replays, so a partner can deduplicate on it too.
  const eventId = `${order.id}:${status}`
  // A claim lasts as long as its effect can (every attempt timing out), plus a margin: a delivery
  // that died mid-effect (a crash, a timeout) frees the channel for the retry that soon after.
  const sdkCallMs = 3 * runtime.config.awsTimeouts.requestMs + 1000
  const effects: Effect[] = []
  const skipped: EffectResult[] = []
  // Mail only an address verified when the order was placed (orders from before accounts verified
  // their email carry no such mark): our SES sender must not be made to mail anyone's address.
  if (order.userEmailVerified === true) {
    // The suppression check is one more SDK call before the send.
    effects.push({
      channel: 'email',
      leaseMs: 2 * sdkCallMs + LEASE_MARGIN_MS,
      run: async () => await sendOrderEmail(runtime, status, order, correlationId)
    })
  } else {
    runtime.log.warn('order email skipped: the address was not verified', { orderId: order.id, status })
    runtime.metrics.add('EmailsUnverified', {})
    skipped.push({ result: 'skipped' })
  }
  const partner = PARTNER_OF_STATUS[status]
  if (partner !== undefined) {
    if (runtime.config.webhookUrls[partner] === undefined) {
      // The template's default: no URL means this partner gets no webhooks (not an error to retry).
      runtime.log.info(
        'webhook skipped: no URL configured',
        { orderId: order.id, status, partner, correlationId, setting: `${partner.toUpperCase()}_WEBHOOK_URL` }
      )
      runtime.metrics.add('WebhooksSkipped', { Partner: partner })
      skipped.push({ result: 'skipped' })
    } else {
      const call: WebhookCall = {
        partner,
        eventId,
        eventType: event['detail-type'],
        payload: webhookPayload(event, order, eventId, runtime.config.pickupAddress),
        ...(correlationId !== undefined ? { correlationId } : {})
      }
      // Every attempt and pause, and reading the signing key.
      const leaseMs = webhookCallMaxMs(runtime) + sdkCallMs + LEASE_MARGIN_MS
      effects.unshift({ channel: `${partner}-webhook`, leaseMs, run: async () => await postWebhook(runtime, call) })
    }
  }
  const results = [
    ...skipped,
    ...await Promise.all(effects.map(async (e) => await runEffect(runtime, order, sequence, e, correlationId)))
  ]
  const failed = results.filter((r): r is Extract<EffectResult, { reason: string }> =>
    r.result === 'retry' || r.result === 'park')
  if (failed.length === 0) return { result: 'done' }
  const error = failed.map((f) => f.error).join('; ')
  const stack = failed.find((f) => f.stack !== undefined)?.stack
  const withStack = stack === undefined ? {} : { stack }
  // Anything that may pass is retried (the parts already done are skipped then); park only when nothing can.
  if (failed.some((f) => f.result === 'retry')) return { result: 'retry', reason: error, ...withStack }
  return { result: 'park', reason: 'effect refused', error, ...withStack }
}
