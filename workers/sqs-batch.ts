// The worker's two SQS sources (Lambda's SQS event source mapping, or the local queue poller):
// - OrderEffectsQueue: order events the bus's rule put there; each becomes its effects. And SES's
//   bounce and complaint reports (MailFeedbackRule, on the default bus): recorded (mail-feedback.ts).
// - OrdersStreamReplayQueue: what an operator redrove: stream records parked with their content
//   (OrdersStreamDeadLetterQueue) or from a batch the mapping gave up on (OrdersStreamFailureBucket),
//   and pointers to a batch the mapping sent the queue before that bucket, read back from the stream.
// Per message: done (deleted), retried (its visibility set to the next pause of the queue's
// schedule; after the last, SQS moves it to the queue's dead-letter queue with its content), or
// parked at once when retrying cannot help (sent to the dead-letter queue, then deleted).
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda'
import type { DynamoDBRecord } from 'aws-lambda'
import type { WorkerRuntime } from './runtime.js'
import { handleOrderEvent, type EventOutcome, type OrderEventBridgeEvent } from './effects.js'
import { isMailFeedbackEvent, type MailFeedbackEvent } from './mail-feedback-event.js'
import { isStreamBatchPointer, isStreamRecord, readPointer } from './stream-readback.js'
import { publishRecords } from './stream-to-events.js'
import { park, retryLater } from './park-and-pause.js'
import { maxReceiveCount, retryDelaySeconds, STREAM_REPLAY_QUEUE_SUFFIX } from './delivery-policy.js'

const isOrderEvent = (body: unknown): body is OrderEventBridgeEvent =>
  typeof (body as Record<string, unknown> | null)?.['detail-type'] === 'string' &&
    typeof (body as Record<string, unknown>).source === 'string'

/** What one message is, by its body. */
type Message =
  | { kind: 'event'; event: OrderEventBridgeEvent }
  | { kind: 'feedback'; event: MailFeedbackEvent }
  | { kind: 'record'; record: DynamoDBRecord }
  | { kind: 'pointer'; body: unknown }
  | { kind: 'unreadable'; error: string }

function parse (body: string): Message {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    return { kind: 'unreadable', error: 'the body is not JSON' }
  }
  // SES's bounce and complaint reports share the effects queue (MailFeedbackRule).
  if (isMailFeedbackEvent(value)) return { kind: 'feedback', event: value }
  if (isOrderEvent(value)) return { kind: 'event', event: value }
  if (isStreamRecord(value)) return { kind: 'record', record: value }
  if (isStreamBatchPointer(value)) return { kind: 'pointer', body: value }
  return { kind: 'unreadable', error: 'neither an order event, a stream record nor a stream batch pointer' }
}

/** Stream records from a redrive: published like the stream does (refused ones are parked again). */
async function republish (records: DynamoDBRecord[], runtime: WorkerRuntime): Promise<EventOutcome> {
  const outcomes = await publishRecords(records, runtime, { source: 'replay' })
  return outcomes.includes('failed') ? { result: 'retry', reason: 'publishing failed' } : { result: 'done' }
}

async function handleMessage (
  record: SQSRecord,
  runtime: WorkerRuntime
): Promise<EventOutcome & { dlq: 'events' | 'stream' }> {
  const message = parse(record.body)
  switch (message.kind) {
    case 'event':
      return { ...await handleOrderEvent(message.event, runtime), dlq: 'events' }
    case 'feedback':
      try {
        await (await import('./mail-feedback.js')).handleMailFeedback(message.event, runtime)
        return { result: 'done', dlq: 'events' }
      } catch (err) {
        return {
          result: 'retry',
          reason: `recording mail feedback failed (${(err as Error).name}: ${(err as Error).message})`,
          dlq: 'events'
        }
      }
    case 'record':
      return { ...await republish([message.record], runtime), dlq: 'stream' }
    case 'pointer': {
      let records: DynamoDBRecord[]
      try {
        records = await readPointer(runtime, message.body as Parameters<typeof readPointer>[1])
      } catch (err) {
        const name = (err as Error).name
        // Gone from the stream (older than 24 h, or the stream was replaced): nothing left to read.
        if (name === 'TrimmedDataAccessException' || name === 'ResourceNotFoundException') {
          return {
            result: 'park',
            reason: 'records no longer in the stream',
            error: `${name}: ${(err as Error).message}`,
            dlq: 'stream'
          }
        }
        // IncompleteRangeError too: the range was not read to its end, so nothing is taken as done.
        const reason = `reading the stream failed (${name}: ${(err as Error).message})`
        return { result: 'retry', reason, dlq: 'stream' }
      }
      return { ...await republish(records, runtime), dlq: 'stream' }
    }
    default:
      return {
        result: 'park',
        reason: 'unreadable message',
        error: message.error,
        dlq: record.eventSourceARN.endsWith(STREAM_REPLAY_QUEUE_SUFFIX) ? 'stream' : 'events'
      }
  }
}

/** The order and correlation id an order event's message is about, for its log lines. */
function aboutOf (body: string): { orderId?: unknown; correlationId?: unknown } {
  try {
    const detail = (JSON.parse(body) as { detail?: { id?: unknown; correlationId?: unknown } } | null)?.detail
    return detail?.id === undefined ? {} : { orderId: detail.id, correlationId: detail.correlationId }
  } catch {
    return {}
  }
}

export async function handleQueueBatch (event: SQSEvent, runtime: WorkerRuntime): Promise<SQSBatchResponse> {
  const failed: string[] = []
  await Promise.all(event.Records.map(async (record) => {
    const where = {
      messageId: record.messageId,
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
      ...aboutOf(record.body)
    }
    let outcome: Awaited<ReturnType<typeof handleMessage>>
    try {
      outcome = await handleMessage(record, runtime)
    } catch (err) {
      // Nothing below handled it (a bug, an AWS error no code expects): its stack says where.
      const { name, message, stack } = err as Error
      outcome = {
        result: 'retry',
        reason: `${name}: ${message}`,
        ...(typeof stack === 'string' ? { stack } : {}),
        dlq: 'events'
      }
    }
    const stack = outcome.result !== 'done' && outcome.stack !== undefined ? { stack: outcome.stack } : {}
    if (outcome.result === 'park') {
      try {
        await park(
          runtime,
          runtime.config.deadLetterQueues[outcome.dlq],
          record.body,
          { reason: outcome.reason, error: outcome.error }
        )
        runtime.metrics.add('DeadLettered', { Queue: outcome.dlq })
        runtime.log.error(
          'message parked in the dead-letter queue',
          { ...where, queue: outcome.dlq, reason: outcome.reason, error: outcome.error, ...stack }
        )
        return
      } catch (err) {
        outcome = {
          result: 'retry',
          reason: `parking failed (${(err as Error).name}: ${(err as Error).message})`,
          dlq: outcome.dlq
        }
      }
    }
    if (outcome.result === 'retry') {
      const delays = outcome.dlq === 'stream' ? runtime.replayRetryDelaysS : runtime.effectRetryDelaysS
      const seconds = retryDelaySeconds(delays, where.receiveCount)
      const last = where.receiveCount >= maxReceiveCount(delays)
      runtime.log[last ? 'error' : 'warn'](
        last
          ? 'message failed its last attempt: the queue moves it to its dead-letter queue'
          : 'message failed, ' +
          'retried later',
        { ...where, inSeconds: seconds, reason: outcome.reason, ...stack }
      )
      if (last) runtime.metrics.add('DeadLettered', { Queue: outcome.dlq })
      await retryLater(runtime, record.eventSourceARN, record.receiptHandle, seconds)
      failed.push(record.messageId)
    }
  }))
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) }
}
