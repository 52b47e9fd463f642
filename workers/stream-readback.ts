// DynamoDB stream records as Lambda delivers them, and reading a batch back from the stream by the
// pointer Lambda's event source mapping sends to its on-failure destination (shard and sequence
// range, not the records): a pointer redriven into the replay queue is turned back into records
// here, while the stream still holds them (24 hours).
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

/**
 * The records a pointer names, read from the stream. Throws the stream's own error when they are
 * gone (TrimmedDataAccessException: older than 24 hours; ResourceNotFoundException: the table's
 * stream was replaced).
 */
export async function readPointer (runtime: WorkerRuntime, pointer: StreamBatchPointer): Promise<DynamoDBRecord[]> {
  const { shardId, startSequenceNumber, endSequenceNumber, streamArn } = pointer.DDBStreamBatchInfo
  const streams = await streamsOf(runtime)
  let iterator = (await streams.send(new GetShardIteratorCommand({
    StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: startSequenceNumber
  }))).ShardIterator
  const out: DynamoDBRecord[] = []
  // A shard's records are in order; an empty page with an iterator is "nothing yet" on an open shard.
  for (let pages = 0; iterator !== undefined && pages < 100; pages++) {
    const res = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }))
    for (const record of res.Records ?? []) {
      const seq = record.dynamodb?.SequenceNumber ?? ''
      if (compareSequence(seq, endSequenceNumber) > 0) return out
      out.push(toLambdaRecord(record, streamArn))
    }
    if ((res.Records ?? []).length === 0) break
    iterator = res.NextShardIterator
  }
  return out
}
