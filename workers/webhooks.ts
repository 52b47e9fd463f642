// Signed partner webhook calls: JSON body, HMAC signature and event id headers, a timeout per
// attempt, 429 / 5xx / network errors retried after short pauses; then WebhookError without a
// status (the event is retried later from the effects queue). Any other answer is WebhookError with
// its status: retrying cannot change it, so the event is parked (workers/effects.ts).
import type { PartnerName } from '../core/config.js'
import {
  CORRELATION_ID_HEADER,
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  signWebhook
} from '../domain/webhook-signature.js'
import type { WorkerRuntime } from './runtime.js'

export class WebhookError extends Error {
  constructor (message: string, readonly partner: PartnerName, readonly status?: number) {
    super(message)
    this.name = 'WebhookError'
  }
}

export interface WebhookCall {
  partner: PartnerName
  eventId: string
  eventType: string
  payload: unknown
  /** The id of the API request behind the event: sent as x-correlation-id (docs/webhooks.md). */
  correlationId?: string
}

const retryable = (status: number): boolean => status === 429 || status === 408 || status >= 500

/**
 * Delay before the next attempt: the configured pause, or a short Retry-After (at most `maxMs`) when the partner gives
 * one.
 */
function pause (planned: number, retryAfter: string | null, maxMs: number): number {
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : NaN
  return Number.isFinite(seconds) ? Math.max(planned, Math.min(seconds * 1000, maxMs)) : planned
}

/** The longest one call of postWebhook can take: every attempt times out, every pause is its longest. */
export function webhookCallMaxMs (runtime: WorkerRuntime): number {
  const attempts = runtime.webhookRetryDelaysMs.length + 1
  const pauses = runtime.webhookRetryDelaysMs.reduce((n, d) => n + Math.max(d, runtime.webhookMaxPauseMs), 0)
  return attempts * runtime.config.webhookTimeoutMs + pauses
}

export async function postWebhook (
  runtime: WorkerRuntime,
  call: WebhookCall
): Promise<{ status: number; attempts: number }> {
  const url = runtime.config.webhookUrls[call.partner]
  if (url === undefined) {
    throw new WebhookError(
      `no ${call.partner} webhook URL is configured (${call.partner.toUpperCase()}_WEBHOOK_URL)`,
      call.partner
    )
  }
  const key = await runtime.secrets.get(runtime.config.webhookKeys[call.partner])
  const body = JSON.stringify(call.payload)
  const attempts = runtime.webhookRetryDelaysMs.length + 1
  const started = runtime.now()
  // Delivered, or failed every attempt (or refused): counted and timed per partner (core/metrics.ts).
  const outcome = (name: 'WebhooksDelivered' | 'WebhooksFailed'): void => {
    runtime.metrics.add(name, { Partner: call.partner })
    runtime.metrics.add('WebhookLatency', { Partner: call.partner }, Math.max(0, Math.round(runtime.now() - started)))
  }
  let last = ''
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let retryAfter: string | null = null
    // A timer of our own rather than AbortSignal.timeout (whose timer is unref'd): the abort
    // must fire even when nothing else keeps the process busy.
    const controller = new AbortController()
    const timer = setTimeout(
      () => { controller.abort(new DOMException('webhook timed out', 'TimeoutError')) },
      runtime.config.webhookTimeoutMs
    )
    try {
      // Signed per attempt: a retry is a fresh request, its timestamp within the partner's tolerance.
      const res = await runtime.fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(key, body, undefined, call.eventId),
          [EVENT_ID_HEADER]: call.eventId,
          [EVENT_TYPE_HEADER]: call.eventType,
          ...(call.correlationId !== undefined ? { [CORRELATION_ID_HEADER]: call.correlationId } : {}),
          'user-agent': 'serverless-commerce-webhooks/1'
        },
        body,
        signal: controller.signal,
        redirect: 'error'
      })
      // Drain the body so the connection is reused; its content is the partner's business.
      await res.arrayBuffer().catch(() => undefined)
      if (res.ok) {
        outcome('WebhooksDelivered')
        return { status: res.status, attempts: attempt }
      }
      if (!retryable(res.status)) {
        outcome('WebhooksFailed')
        throw new WebhookError(`${call.partner} webhook answered ${res.status}`, call.partner, res.status)
      }
      last = `answered ${res.status}`
      retryAfter = res.headers.get('retry-after')
    } catch (err) {
      if (err instanceof WebhookError) throw err
      // Timeouts and connection errors: the name only (messages may carry the URL's credentials).
      last = `failed (${(err as Error).name})`
    } finally {
      clearTimeout(timer)
    }
    if (attempt < attempts) {
      runtime.log.warn(
        'webhook attempt failed, retrying',
        { partner: call.partner, eventId: call.eventId, correlationId: call.correlationId, attempt, result: last }
      )
      await runtime.sleep(
        pause(runtime.webhookRetryDelaysMs[attempt - 1] as number, retryAfter, runtime.webhookMaxPauseMs)
      )
    }
  }
  outcome('WebhooksFailed')
  throw new WebhookError(`${call.partner} webhook ${last} after ${attempts} attempts`, call.partner)
}
