// DynamoDB stream records as Lambda delivers them, and reading a batch back from the stream by the
// pointer (shard and sequence range, not the records) the event source mapping sent to its
// on-failure queue before its destination was an S3 bucket (which gets the records themselves:
// workers/stream-failure-record.ts). Such a pointer, still in OrdersStreamDeadLetterQueue after an
// upgrade and redriven into the replay queue, is turned back into records here while the stream
// holds them (24 hours).
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord
} from '@aws-sdk/client-dynamodb-streams'
import type { DynamoDBRecord } from 'aws-lambda'
import type { WorkerRuntime } from './runtime.js'
import { streamsOf } from './clients.js'

/** The shard and sequence range Lambda sends to a stream mapping's on-failure destination. */
export interface StreamBatchPointer {
  DDBStreamBatchInfo: {
    shardId: string
    startSequenceNumber: string
    endSequenceNumber: string
    streamArn: string
    batchSize?: number
  }
}

export const isStreamBatchPointer = (body: unknown): body is StreamBatchPointer => {
  const info = (body as Partial<StreamBatchPointer> | null)?.DDBStreamBatchInfo
  return typeof info?.shardId === 'string' && typeof info.startSequenceNumber === 'string' &&
    typeof info.endSequenceNumber === 'string' && typeof info.streamArn === 'string'
}

export const isStreamRecord = (body: unknown): body is DynamoDBRecord =>
  (body as DynamoDBRecord | null)?.eventSource === 'aws:dynamodb' &&
    typeof (body as DynamoDBRecord).dynamodb === 'object'

/** DynamoDB Streams' record as Lambda delivers it: epoch seconds, the stream's ARN. */
export function toLambdaRecord (record: StreamRecord, streamArn: string): DynamoDBRecord {
  const data = record.dynamodb ?? {}
  const created = data.ApproximateCreationDateTime
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion,
    eventSource: record.eventSource ?? 'aws:dynamodb',
    awsRegion: record.awsRegion,
    dynamodb: {
      // The SDK's records already carry AttributeValue maps, the shape Lambda gives.
      ...(data as NonNullable<DynamoDBRecord['dynamodb']>),
      ApproximateCreationDateTime: created instanceof Date
        ? Math.floor(created.getTime() / 1000)
        : (created as number | undefined)
    },
    eventSourceARN: streamArn
  }
}

/** Sequence numbers are decimal strings of varying length: compare them as numbers. */
export const compareSequence = (a: string, b: string): number => (a.length - b.length) || (a < b ? -1 : a > b ? 1 : 0)

/** The pointer's range could not be read to its end (empty pages on an open shard): retried later. */
export class IncompleteRangeError extends Error {
  constructor (readonly read: number, lastSequence: string | undefined, endSequence: string) {
    super(`read ${read} record(s) up to ${lastSequence ?? 'none'}, not yet to ${endSequence}`)
    this.name = 'IncompleteRangeError'
  }
}

/** Empty pages read in a row before the read is given up for now, and the pause after each. */
const EMPTY_PAGES = 10
const EMPTY_PAGE_PAUSE_MS = 250

/**
 * The records a pointer names, read from the stream: the whole range, up to and including its end
 * sequence number (or to the end of a closed shard). DynamoDB Streams may answer empty pages before
 * the records: they are read past, and a range still not read to its end after a few of them throws
 * IncompleteRangeError (retried, never taken as done). Throws the stream's own error when the
 * records are gone (TrimmedDataAccessException: older than 24 hours; ResourceNotFoundException:
 * the table's stream was replaced).
 */
export async function readPointer (runtime: WorkerRuntime, pointer: StreamBatchPointer): Promise<DynamoDBRecord[]> {
  const { shardId, startSequenceNumber, endSequenceNumber, streamArn } = pointer.DDBStreamBatchInfo
  const streams = await streamsOf(runtime)
  let iterator = (await streams.send(new GetShardIteratorCommand({
    StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: startSequenceNumber
  }))).ShardIterator
  const out: DynamoDBRecord[] = []
  let last: string | undefined
  for (let empty = 0; empty < EMPTY_PAGES;) {
    // No next iterator: the shard is closed and everything it holds was read.
    if (iterator === undefined) return out
    const res = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }))
    const records = res.Records ?? []
    for (const record of records) {
      const seq = record.dynamodb?.SequenceNumber ?? ''
      if (compareSequence(seq, endSequenceNumber) > 0) return out
      out.push(toLambdaRecord(record, streamArn))
      last = seq
      if (compareSequence(seq, endSequenceNumber) === 0) return out
    }
    if (records.length === 0) {
      empty++
      await runtime.sleep(EMPTY_PAGE_PAUSE_MS)
    } else {
      empty = 0
    }
    iterator = res.NextShardIterator
  }
  throw new IncompleteRangeError(out.length, last, endSequenceNumber)
}
