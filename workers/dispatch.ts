// Dispatches a worker invocation by its shape: a DynamoDB stream batch to stream-to-events.ts, an SQS batch
// (the effects queue, the stream replay queue) to sqs-batch.ts, SES's bounce and complaint reports
// (its rule on the default bus) to mail-feedback.ts, and a bare EventBridge event (`sam local
// invoke -e events/eventbridge-*.json`) to effects.ts. Shared by the Lambda entry point
// (handler.ts) and the local stack (local/worker.ts). The invocation's metrics are written once,
// at its end.
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda'
import type { WorkerRuntime } from './runtime.js'
import { handleStreamBatch } from './stream-to-events.js'
import type { OrderEventBridgeEvent } from './effects.js'
import { isMailFeedbackEvent, type MailFeedbackEvent } from './mail-feedback-event.js'

export type WorkerEvent = DynamoDBStreamEvent | SQSEvent | OrderEventBridgeEvent | MailFeedbackEvent
export type WorkerResponse = DynamoDBBatchResponse | SQSBatchResponse | undefined
export type WorkerHandler = (event: WorkerEvent, context?: Context) => Promise<WorkerResponse>

const recordsOf = (event: unknown): Array<{ eventSource?: string }> | undefined => {
  const records = (event as { Records?: unknown }).Records
  return Array.isArray(records) ? records as Array<{ eventSource?: string }> : undefined
}

export const isStreamEvent = (event: unknown): event is DynamoDBStreamEvent =>
  recordsOf(event)?.every((r) => r.eventSource === 'aws:dynamodb') === true

export const isQueueEvent = (event: unknown): event is SQSEvent =>
  recordsOf(event)?.every((r) => r.eventSource === 'aws:sqs') === true

export const isEventBridgeEvent = (event: unknown): event is OrderEventBridgeEvent =>
  typeof (event as Record<string, unknown>)['detail-type'] === 'string' &&
    typeof (event as Record<string, unknown>).source === 'string'

export class EventFailedError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'EventFailedError'
  }
}

/** The worker's logic over a given runtime (tests and the local stack call this directly). */
export function createHandler (runtime: WorkerRuntime): WorkerHandler {
  return async function handle (event: WorkerEvent, context?: Context): Promise<WorkerResponse> {
    try {
      return await dispatch(event, context)
    } finally {
      runtime.metrics.flush()
    }
  }

  async function dispatch (event: WorkerEvent, context?: Context): Promise<WorkerResponse> {
    if (isStreamEvent(event)) return await handleStreamBatch(event, runtime, context)
    if (isMailFeedbackEvent(event)) {
      // Thrown failures make EventBridge retry the report.
      await (await import('./mail-feedback.js')).handleMailFeedback(event, runtime)
      return undefined
    }
    // Loaded on the first message: effects, SES and the ledger stay off the stream path.
    if (isQueueEvent(event)) return await (await import('./sqs-batch.js')).handleQueueBatch(event, runtime)
    if (isEventBridgeEvent(event)) {
      const outcome = await (await import('./effects.js')).handleOrderEvent(event, runtime)
      if (outcome.result !== 'done') {
        runtime.log.error(
          'order event failed',
          {
            id: event.id,
            detailType: event['detail-type'],
            orderId: event.detail?.id,
            correlationId: event.detail?.correlationId,
            outcome: outcome.result,
            reason: outcome.reason,
            ...(outcome.stack !== undefined ? { stack: outcome.stack } : {})
          }
        )
        throw new EventFailedError(`order event ${outcome.result === 'park' ? 'refused' : 'failed'}: ${outcome.reason}`)
      }
      return undefined
    }
    throw new Error('unrecognised event: neither a DynamoDB stream batch, an SQS batch nor an EventBridge event')
  }
}
