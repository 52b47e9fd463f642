// Events to effects: each order event becomes the partner webhook and the customer email its
// status calls for. Each effect goes through the effects ledger (workers/effect-ledger.ts) on its
// channel (the warehouse's webhooks, the delivery service's, the customer's emails), once per
// order and status and one at a time per channel. Emails: every one, in the order's own order (a
// later email waits while an earlier one is not sent). Webhooks: never an older one after a newer
// one of the same order (a superseded webhook is skipped, counted and logged as a warning). The
// outcome says what the caller (workers/queue.ts) does with the event: nothing more (done), deliver
// it again later (retry: something may pass), or park it in the dead-letter queue (park: retrying
// cannot help, e.g. a partner answering 400).
import type { EventBridgeEvent } from 'aws-lambda'
import type { PartnerName } from '../core/config.js'
import {
  EVENT_SOURCE, MalformedRecordError, STATUS_OF_DETAIL_TYPE, statusSequence, toPublicOrder,
  type DetailType, type OrderEventDetail, type OrderStatus, type PublicOrder
} from '../domain/events.js'
import { renderOrderEmail } from '../domain/emails.js'
import { sendEmail } from '../core/ses.js'
import { destinationOf, recipientOf } from '../domain/shipping-address.js'
import type { WorkerRuntime } from './runtime.js'
import { postWebhook, webhookCallMaxMs, WebhookError, type WebhookCall } from './webhooks.js'
import type { Channel, Claim } from './effect-ledger.js'
import { ledgerOf, sesOf, suppressionsOf } from './clients.js'
import { sdkCallMaxMs } from '../core/aws-options.js'
import { EMAIL_ORDER_WAIT_MAX_MS } from './delivery-policy.js'

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

/**
 * SendEmail ended without an answer (a timeout, a broken connection): SES may have sent it. It has
 * no idempotency token, so the email is sent once more at most (runEffect).
 */
export class AmbiguousEmailError extends Error {
  constructor (readonly sesError: Error) {
    super(`SES did not answer (${sesError.name}): the email may have been sent`)
    this.name = 'AmbiguousEmailError'
  }
}

const AMBIGUOUS_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'ECONNRESET', 'EPIPE', 'ECONNABORTED'])
const isAmbiguous = (err: unknown): boolean => {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } }
  if (e.$metadata?.httpStatusCode !== undefined) return false
  return AMBIGUOUS_NAMES.has(e.name ?? '') || AMBIGUOUS_NAMES.has(e.code ?? '')
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
/** Loading a client's module and building it on first use (workers/clients.ts), on a cold and slow start. */
const CLIENT_LOAD_MS = 3000

/**
 * How long a claim on a channel lasts: longer than its effect can run when every SDK attempt and
 * every webhook attempt times out and every pause is its longest, plus a margin; a delivery that
 * died mid-effect (a crash, a timeout) frees the channel for the retry that soon after.
 * test/unit/effect-leases.test.ts checks it against the clients the worker makes.
 */
export function effectLeaseMs (runtime: WorkerRuntime, channel: Channel): number {
  if (channel === 'email') {
    // The suppression check (DynamoDB, retried by the SDK), then one SendEmail (never retried).
    const suppression = sdkCallMaxMs(runtime.config)
    const send = sdkCallMaxMs(runtime.config, 1, runtime.config.awsTimeouts.sesRequestMs)
    return suppression + send + 2 * CLIENT_LOAD_MS + LEASE_MARGIN_MS
  }
  // Reading the signing key (Secrets Manager, retried by the SDK), then every attempt and pause.
  return sdkCallMaxMs(runtime.config) + CLIENT_LOAD_MS + webhookCallMaxMs(runtime) + LEASE_MARGIN_MS
}

/** Polls of a channel another delivery holds, 200 ms apart, before this delivery is retried later. */
const BUSY_POLLS = 15
const BUSY_POLL_MS = 200

/**
 * The webhook body for a partner: only what that partner needs, with the order's status-change
 * `sequence` (compare within an order: higher is newer), the stream's `sequenceNumber` when the
 * event came from the stream, and `occurredAt` with milliseconds. The delivery service gets the
 * shipping address with the phone, the warehouse the recipient's name and country; an order placed
 * without an address says so with `null`. Neither gets the customer's email or user id.
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
      shippingAddress: destinationOf(order.shippingAddress)
    }
  }
  return {
    ...common,
    order: {
      id: order.id,
      status: order.status,
      createdAt: order.createdAt,
      note: order.note,
      lines,
      recipient: recipientOf(order.shippingAddress)
    }
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
    // One attempt (clients.ts: maxAttempts 1): SendEmail has no idempotency token.
    const sent = await sendEmail(
      await sesOf(runtime),
      { from, replyTo, configurationSet, to: order.userEmail, subject, html, text }
    )
    messageId = sent ?? null
  } catch (err) {
    if (isAmbiguous(err)) {
      runtime.metrics.add('EmailsAmbiguous', {})
      throw new AmbiguousEmailError(err as Error)
    }
    runtime.metrics.add('EmailsFailed', {})
    throw err
  }
  runtime.metrics.add('EmailsSent', {})
  runtime.log.info('order email sent', { ...about, messageId })
  return { messageId }
}

/**
 * AWS errors that refuse the request itself, so the same request can never pass: SES rejecting the
 * message or a parameter (SES v1 and v2 names), a request DynamoDB finds invalid. Throttling, access,
 * a missing or paused resource, an unverified sender: a deploy or time mends them, so they are retried.
 */
const AWS_REFUSALS = new Set([
  'MessageRejected', 'BadRequestException', 'InvalidParameterValue', 'InvalidParameterValueException',
  'ValidationException'
])

/** Partner answers that refuse the payload itself; 401, 403, 404 (a key or URL being changed) are retried. */
const WEBHOOK_REFUSALS = new Set([400, 409, 410, 413, 415, 422])

/** A failure that retrying cannot mend (park it) or one that may pass (retry it, and park after the schedule). */
export function classify (err: unknown): 'park' | 'retry' {
  if (err instanceof WebhookError) return WEBHOOK_REFUSALS.has(err.status ?? 0) ? 'park' : 'retry'
  const e = err as { name?: string; $fault?: string }
  if (e.$fault === 'client' && AWS_REFUSALS.has(e.name ?? '')) return 'park'
  return 'retry'
}

interface Effect { channel: Channel; leaseMs: number; run: () => Promise<unknown> }

/**
 * The sequence an email waits for: the status change before this one, unless that happened longer
 * ago than any delivery of it can still come (then its email is past waiting for).
 */
function emailAfter (runtime: WorkerRuntime, order: PublicOrder, sequence: number): number {
  if (sequence <= 1) return 0
  const previousAt = Date.parse(String(order.history[sequence - 2]?.at ?? ''))
  return Number.isFinite(previousAt) && runtime.now() - previousAt > EMAIL_ORDER_WAIT_MAX_MS ? 0 : sequence - 1
}

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
  const after = effect.channel === 'email' ? emailAfter(runtime, order, sequence) : 0
  let claimed: Extract<Claim, { outcome: 'claimed' }> | undefined
  for (let poll = 0; claimed === undefined; poll++) {
    const claim = await ledger.claim(order.id, effect.channel, sequence, effect.leaseMs, after)
    if (claim.outcome === 'claimed') claimed = claim
    else if (claim.outcome === 'done') {
      if (claim.done === sequence) {
        // This effect again (a redelivery, a replay of what went out).
        runtime.metrics.add('DuplicateEffectsSkipped', { Effect: effect.channel })
        runtime.log.info('order effect already done', { ...where, done: claim.done })
      } else {
        // A newer one of this order already went out on a channel that never sends older after newer.
        runtime.metrics.add('SupersededEffectsSkipped', { Effect: effect.channel })
        runtime.log.warn('order effect skipped: a newer one was sent', { ...where, done: claim.done })
      }
      return { result: 'skipped' }
    } else if (claim.outcome === 'waiting') {
      runtime.metrics.add('EffectsWaiting', { Effect: effect.channel })
      runtime.log.info('order effect waits for an earlier one', { ...where, done: claim.done, waitsFor: after })
      const error = `${effect.channel} waits for sequence ${after} of this order (done: ${claim.done})`
      return { result: 'retry', reason: 'waiting', error }
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
  const { token } = claimed
  try {
    await effect.run()
  } catch (err) {
    if (err instanceof AmbiguousEmailError && claimed.ambiguous) {
      // The second attempt of this email without an answer: taken as sent rather than risk a third.
      runtime.log.warn('order email outcome unknown twice: taken as sent', { ...where, error: err.sesError.name })
    } else {
      const ambiguous = err instanceof AmbiguousEmailError ? sequence : undefined
      await ledger.release(order.id, effect.channel, token, ambiguous)
      const error = `${effect.channel} (${(err as Error).name}: ${(err as Error).message})`
      return { result: classify(err), reason: 'failed', error, ...unexpectedStack(err) }
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
  const effects: Effect[] = []
  const skipped: EffectResult[] = []
  // Mail only an address verified when the order was placed (orders from before accounts verified
  // their email carry no such mark): our SES sender must not be made to mail anyone's address.
  if (order.userEmailVerified === true) {
    const run = async (): Promise<unknown> => await sendOrderEmail(runtime, status, order, correlationId)
    effects.push({ channel: 'email', leaseMs: effectLeaseMs(runtime, 'email'), run })
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
      const channel = `${partner}-webhook` as const
      effects.unshift({
        channel,
        leaseMs: effectLeaseMs(runtime, channel),
        run: async () => await postWebhook(runtime, call)
      })
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
