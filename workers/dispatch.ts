// Dispatches a worker invocation: a DynamoDB stream batch to stream.ts, an order event to
// effects.ts, SES's bounce and complaint reports to mail-feedback.ts. Shared by the Lambda entry
// point (handler.ts) and the local stack (local/worker.ts). The invocation's metrics are written
// once, at its end.
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda'
import type { WorkerRuntime } from './runtime.js'
import { handleStreamBatch } from './stream.js'
import type { OrderEventBridgeEvent } from './effects.js'
import { isMailFeedbackEvent, type MailFeedbackEvent } from './mail-feedback-event.js'

export type WorkerEvent = DynamoDBStreamEvent | OrderEventBridgeEvent | MailFeedbackEvent
export type WorkerHandler = (event: WorkerEvent, context?: Context) => Promise<DynamoDBBatchResponse | undefined>

export const isStreamEvent = (event: unknown): event is DynamoDBStreamEvent =>
  Array.isArray((event as { Records?: unknown }).Records)

export const isEventBridgeEvent = (event: unknown): event is OrderEventBridgeEvent =>
  typeof (event as Record<string, unknown>)['detail-type'] === 'string' && typeof (event as Record<string, unknown>).source === 'string'

/** The worker's logic over a given runtime (tests and the local stack call this directly). */
export function createHandler (rt: WorkerRuntime): WorkerHandler {
  return async function handle (event: WorkerEvent, context?: Context): Promise<DynamoDBBatchResponse | undefined> {
    try {
      return await dispatch(event, context)
    } finally {
      rt.metrics.flush()
    }
  }

  async function dispatch (event: WorkerEvent, context?: Context): Promise<DynamoDBBatchResponse | undefined> {
    if (isStreamEvent(event)) return handleStreamBatch(event, rt)
    if (isMailFeedbackEvent(event)) {
      const { handleMailFeedback } = await import('./mail-feedback.js')
      await handleMailFeedback(event, rt)
      return undefined
    }
    if (isEventBridgeEvent(event)) {
      try {
        // Loaded on the first event: effects and their idempotency store are off the stream path.
        const { handleOrderEvent } = await import('./effects.js')
        await handleOrderEvent(event, rt, context)
      } catch (err) {
        // Thrown on purpose: EventBridge retries the event, then dead-letters it.
        const detail = event.detail as { id?: unknown; correlationId?: unknown } | undefined
        rt.log.error('order event failed', { id: event.id, detailType: event['detail-type'], orderId: detail?.id, correlationId: detail?.correlationId, error: (err as Error).name, reason: (err as Error).message })
        throw err
      }
      return undefined
    }
    throw new Error('unrecognised event: neither a DynamoDB stream batch nor an EventBridge event')
  }
}
