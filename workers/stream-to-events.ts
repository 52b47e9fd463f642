// Stream to events: each orders-table stream record whose status is new becomes one event on the
// app's bus. Lambda checkpoints a shard at the lowest record reported failed and delivers
// everything after it again, so the records go out in stream order and publishing stops at the
// first one that fails for a reason that may pass (the bus down, throttling): it and the rest of
// the batch are reported failed and come back, in order, with the retry. Nothing else is
// republished, except entries after a failed one within the same PutEvents call (and those not
// when the retry reaches this container again: runtime.published).
//
// A record that can never be published (unreadable, an event over EventBridge's size limit, an
// entry EventBridge refuses as malformed) is not retried: it is parked with its content in
// OrdersStreamDeadLetterQueue and the shard moves on. So is a record still failing once it is
// config.streamParkAfterSeconds old (6 h): the stream keeps records 24 h, the mapping stops at
// MaximumRecordAgeInSeconds (its on-failure destination, OrdersStreamFailureBucket, keeps the batch
// with its records: the backstop for a worker that cannot park them itself).
//
// Calls: at most 10 entries and 256 KB each (EventBridge's limits), and never two records of one
// order in one call (EventBridge does not order a call's entries).
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda'
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge'
import { eventForStreamRecord, orderIdOfRecord, type OrderEvent } from '../domain/events.js'
import type { WorkerRuntime } from './runtime.js'
import { park } from './park-and-pause.js'
import { streamRetryPauseMs } from './delivery-policy.js'

/** PutEvents takes at most 10 entries and 256 KB per call. */
export const MAX_ENTRIES = 10
export const MAX_CALL_BYTES = 256 * 1024
/** Entry error codes that say the entry itself is wrong: retrying it cannot succeed. */
const REFUSED_ENTRY = new Set(['MalformedDetail', 'InvalidArgument', 'ValidationException'])
/** Sequence numbers remembered as published per container. */
const PUBLISHED_MEMORY = 10_000

export type RecordOutcome = 'published' | 'none' | 'parked' | 'failed'

export class PublishError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'PublishError'
  }
}

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

/** EventBridge's size of an entry: Time (14 bytes), Source, DetailType, Detail and Resources, in UTF-8. */
export function entrySize (entry: PutEventsRequestEntry): number {
  return (entry.Time !== undefined ? 14 : 0) + Buffer.byteLength(entry.Source ?? '') + Buffer.byteLength(
    entry.DetailType ?? ''
  ) +
    Buffer.byteLength(entry.Detail ?? '') + (entry.Resources ?? []).reduce((n, r) => n + Buffer.byteLength(r), 0)
}

const seqOf = (record: DynamoDBRecord): string => record.dynamodb?.SequenceNumber ?? ''

function remember (runtime: WorkerRuntime, seq: string, eventId: string): void {
  runtime.published.set(seq, eventId)
  if (runtime.published.size > PUBLISHED_MEMORY) {
    runtime.published.delete(runtime.published.keys().next().value as string)
  }
}

export interface PublishOptions {
  /** Park records still failing once older than this (ms since their creation); unset: never. */
  parkAfterMs?: number
  /** What the parked message says about where the record came from. */
  source: 'stream' | 'replay'
}

/** Publishes the records' events in order; the outcome of each record (same indexes). */
export async function publishRecords (
  records: DynamoDBRecord[],
  runtime: WorkerRuntime,
  opts: PublishOptions
): Promise<RecordOutcome[]> {
  const outcomes: RecordOutcome[] = records.map(() => 'failed')
  let stopAt: number | undefined
  const stop = (i: number): void => { stopAt = Math.min(stopAt ?? i, i) }

  const parkRecord = async (i: number, reason: string, error: string): Promise<void> => {
    const record = records[i] as DynamoDBRecord
    try {
      await park(
        runtime,
        runtime.config.deadLetterQueues.stream,
        JSON.stringify(record),
        { reason, error, detail: `from the ${opts.source}` }
      )
      outcomes[i] = 'parked'
      runtime.metrics.add('DeadLettered', { Queue: 'stream' })
      runtime.log.error(
        'stream record parked in the dead-letter queue',
        { sequenceNumber: seqOf(record), orderId: orderIdOfRecord(record), reason, error }
      )
    } catch (err) {
      runtime.log.error(
        'stream record could not be parked',
        {
          sequenceNumber: seqOf(record),
          orderId: orderIdOfRecord(record),
          error: (err as Error).name,
          reason: (err as Error).message
        }
      )
      stop(i)
    }
  }

  let chunk: Array<{ i: number; event: OrderEvent; entry: PutEventsRequestEntry; orderId: string; size: number }> = []
  const flush = async (): Promise<void> => {
    const call = chunk
    chunk = []
    if (call.length === 0 || stopAt !== undefined) return
    let res
    try {
      res = await runtime.eventbridge.send(new PutEventsCommand({ Entries: call.map((c) => c.entry) }))
    } catch (err) {
      runtime.log.warn(
        'PutEvents failed',
        { records: call.length, error: (err as Error).name, reason: (err as Error).message }
      )
      stop(call[0]!.i)
      return
    }
    for (const [j, c] of call.entries()) {
      const result = res.Entries?.[j]
      if (result !== undefined && result.ErrorCode === undefined && result.EventId !== undefined) {
        outcomes[c.i] = 'published'
        remember(runtime, seqOf(records[c.i] as DynamoDBRecord), result.EventId)
        runtime.log.info(
          'order event published',
          {
            orderId: c.orderId,
            detailType: c.event.detailType,
            sequenceNumber: seqOf(records[c.i] as DynamoDBRecord),
            correlationId: c.event.detail.correlationId
          }
        )
        runtime.metrics.add('EventsPublished', { EventType: c.event.detailType })
      } else if (result?.ErrorCode !== undefined && REFUSED_ENTRY.has(result.ErrorCode)) {
        await parkRecord(c.i, 'refused by EventBridge', `${result.ErrorCode}: ${result.ErrorMessage ?? ''}`)
      } else {
        runtime.log.warn(
          'PutEvents entry failed',
          { orderId: c.orderId, error: result?.ErrorCode ?? 'no result', reason: result?.ErrorMessage }
        )
        stop(c.i)
      }
    }
  }

  for (const [i, record] of records.entries()) {
    if (stopAt !== undefined) break
    if (runtime.published.has(seqOf(record))) {
      outcomes[i] = 'published'
      continue
    }
    let event: OrderEvent | undefined
    try {
      event = eventForStreamRecord(record)
    } catch (err) {
      await flush()
      await parkRecord(i, 'unreadable record', `${(err as Error).name}: ${(err as Error).message}`)
      continue
    }
    if (event === undefined) {
      outcomes[i] = 'none'
      continue
    }
    const entry = toEntry(event, runtime.config.eventBusName)
    const size = entrySize(entry)
    const orderId = event.detail.id
    if (size > MAX_CALL_BYTES) {
      await flush()
      await parkRecord(i, 'event too large', `the event is ${size} bytes; EventBridge takes at most ${MAX_CALL_BYTES}`)
      continue
    }
    const chunkBytes = chunk.reduce((n, c) => n + c.size, 0)
    if (chunk.length >= MAX_ENTRIES || chunkBytes + size > MAX_CALL_BYTES || chunk.some((c) => c.orderId === orderId)) {
      await flush()
    }
    chunk.push({ i, event, entry, orderId, size })
  }
  await flush()

  // Still failing after hours: park, with the content, rather than hold the shard until the records expire.
  if (stopAt !== undefined && opts.parkAfterMs !== undefined) {
    const now = runtime.now()
    const from = stopAt
    stopAt = undefined
    // eslint-disable-next-line no-unmodified-loop-condition -- the loop's body sets stopAt
    for (let i = from; i < records.length && stopAt === undefined; i++) {
      if (outcomes[i] !== 'failed') continue
      const age = now - (records[i]?.dynamodb?.ApproximateCreationDateTime ?? now / 1000) * 1000
      if (age < opts.parkAfterMs) stop(i)
      else await parkRecord(i, 'retried too long', `still failing after ${Math.round(age / 60000)} minutes`)
    }
  }
  return outcomes
}

/** A stream batch (Lambda's DynamoDB event source mapping, or the local poller). */
export async function handleStreamBatch (
  streamEvent: DynamoDBStreamEvent,
  runtime: WorkerRuntime,
  context?: Context
): Promise<DynamoDBBatchResponse> {
  const records = streamEvent.Records
  const outcomes = await publishRecords(
    records,
    runtime,
    { source: 'stream', parkAfterMs: runtime.config.streamParkAfterSeconds * 1000 }
  )
  const failed = records.filter((_, i) => outcomes[i] === 'failed')
  if (failed.length > 0) {
    const first = failed[0] as DynamoDBRecord
    runtime.log.warn(
      'stream batch retried from its first failed record',
      { sequenceNumber: seqOf(first), orderId: orderIdOfRecord(first), failed: failed.length }
    )
    // Nothing moved: Lambda retries a stream batch at once, so wait here rather than spin.
    if (!outcomes.includes('published') && !outcomes.includes('parked')) {
      const created = (first.dynamodb?.ApproximateCreationDateTime ?? runtime.now() / 1000) * 1000
      const budget = context === undefined ? Infinity : context.getRemainingTimeInMillis() - 10_000
      const pause = Math.min(streamRetryPauseMs(runtime.now() - created), budget)
      if (pause > 0) await runtime.sleep(pause)
    }
  }
  return { batchItemFailures: failed.map((r) => ({ itemIdentifier: seqOf(r) })) }
}
