// Stream to events: each orders-table stream record whose status is new becomes one event on the
// app's bus. One PutEvents call carries up to 10 records; a record that fails (a failed PutEvents
// entry, a thrown call, an unreadable record) is reported alone in batchItemFailures.
//
// Order per order id: EventBridge does not order the entries of one call, and Lambda retries a
// stream batch from the first failed record. So the records of one order go out in "waves" (the
// first record of every order in the batch, then the second, ...), one call per wave, and once a
// record of an order fails, the later records of that order in the batch are not published but
// reported failed too: they come back, in order, with the retry. Records of other orders go on, so
// a poison record blocks only its own order. Powertools' BatchProcessor then turns the outcomes
// into the partial batch response (its FullBatchFailureError when every record failed makes
// Lambda bisect the batch). A record retried after a partial failure may publish its event again;
// effects are idempotent per order and status (effects.ts), so nothing is sent twice.
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda'
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge'
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'
import { eventForStreamRecord, orderIdOfRecord, type OrderEvent } from '../domain/events.js'
import type { WorkerRuntime } from './runtime.js'

/** PutEvents takes at most 10 entries per call. */
const MAX_ENTRIES = 10

export class PublishError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'PublishError'
  }
}

type Outcome = { ok: true; event?: OrderEvent } | { ok: false; error: Error }

function toEntry (event: OrderEvent, busName: string): PutEventsRequestEntry {
  const time = new Date(event.detail.updatedAt)
  return {
    EventBusName: busName,
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    // The moment the status changed, rather than the moment we got round to publishing it.
    ...(Number.isNaN(time.getTime()) ? {} : { Time: time })
  }
}

/** Publishes the batch's events; the outcome of every record, by sequence number. */
export async function publishRecords (records: DynamoDBRecord[], rt: WorkerRuntime): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>()
  const failedOrders = new Set<string>()
  // Waves: the n-th record of each order goes in wave n.
  const seen = new Map<string, number>()
  const waves: DynamoDBRecord[][] = []
  for (const [i, record] of records.entries()) {
    const group = orderIdOfRecord(record) ?? `(no key #${i})`
    const n = seen.get(group) ?? 0
    seen.set(group, n + 1);
    (waves[n] ??= []).push(record)
  }
  const fail = (record: DynamoDBRecord, error: Error): void => {
    outcomes.set(record.dynamodb?.SequenceNumber ?? '', { ok: false, error })
    const orderId = orderIdOfRecord(record)
    if (orderId !== undefined) failedOrders.add(orderId)
  }

  for (const wave of waves) {
    const toPublish: Array<{ record: DynamoDBRecord; event: OrderEvent }> = []
    for (const record of wave) {
      const seq = record.dynamodb?.SequenceNumber ?? ''
      const orderId = orderIdOfRecord(record)
      if (orderId !== undefined && failedOrders.has(orderId)) {
        fail(record, new PublishError(`held back: an earlier record of order ${orderId} failed`))
        continue
      }
      try {
        const event = eventForStreamRecord(record)
        if (event === undefined) outcomes.set(seq, { ok: true })
        else toPublish.push({ record, event })
      } catch (err) {
        fail(record, err as Error)
      }
    }
    for (let i = 0; i < toPublish.length; i += MAX_ENTRIES) {
      const chunk = toPublish.slice(i, i + MAX_ENTRIES)
      try {
        const res = await rt.eventbridge.send(new PutEventsCommand({ Entries: chunk.map((c) => toEntry(c.event, rt.config.eventBusName)) }))
        chunk.forEach(({ record, event }, j) => {
          const entry = res.Entries?.[j]
          if (entry === undefined || entry.ErrorCode !== undefined || entry.EventId === undefined) {
            fail(record, new PublishError(`PutEvents refused the entry: ${entry?.ErrorCode ?? 'no result'} ${entry?.ErrorMessage ?? ''}`.trim()))
          } else {
            outcomes.set(record.dynamodb?.SequenceNumber ?? '', { ok: true, event })
          }
        })
      } catch (err) {
        for (const { record } of chunk) fail(record, err as Error)
      }
    }
  }
  return outcomes
}

export async function handleStreamBatch (streamEvent: DynamoDBStreamEvent, rt: WorkerRuntime): Promise<DynamoDBBatchResponse> {
  const outcomes = await publishRecords(streamEvent.Records, rt)
  const processor = new BatchProcessor(EventType.DynamoDBStreams, { logger: rt.log })
  const recordHandler = async (record: DynamoDBRecord): Promise<string | undefined> => {
    const outcome = outcomes.get(record.dynamodb?.SequenceNumber ?? '')
    if (outcome === undefined) throw new PublishError('record was not processed')
    if (!outcome.ok) {
      rt.log.error('stream record failed', { sequenceNumber: record.dynamodb?.SequenceNumber, orderId: orderIdOfRecord(record), error: outcome.error.name, reason: outcome.error.message })
      throw outcome.error
    }
    if (outcome.event !== undefined) {
      const { detail, detailType } = outcome.event
      rt.log.info('order event published', { orderId: detail.id, detailType, correlationId: detail.correlationId })
      rt.metrics.add('EventsPublished', { EventType: detailType })
    }
    return outcome.event?.detailType
  }
  return processPartialResponse(streamEvent, recordHandler, processor, { processInParallel: false })
}
