// What Lambda writes to a stream mapping's S3 on-failure destination (OrdersStreamFailureBucket), per
// the Lambda Developer Guide ("Retain discarded records for a DynamoDB event source", example S3
// invocation record): the metadata an SQS or SNS destination gets (requestContext, responseContext,
// DDBStreamBatchInfo) plus `payload`, the original invocation event ({"Records": [...]}) as an escaped
// JSON string. One object per batch given up on, keyed
// aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random UUID>.
// The local stream poller writes the same documents (local/stream-poller.ts); the redrive reads
// them (scripts/ops/stream-failures.ts).
import { randomUUID } from 'node:crypto'
import type { DynamoDBRecord } from 'aws-lambda'
import { isStreamRecord, type StreamBatchPointer } from './stream-readback.js'

export interface StreamFailureRecord {
  DDBStreamBatchInfo: StreamBatchPointer['DDBStreamBatchInfo'] & {
    approximateArrivalOfFirstRecord: string
    approximateArrivalOfLastRecord: string
  }
  version: string
  timestamp: string
  requestContext: { requestId?: string; functionArn?: string; condition: string; approximateInvokeCount: number }
  responseContext?: { statusCode?: number; executedVersion?: string; functionError?: string }
  /** The invocation event, JSON-encoded: `{"Records": [...]}`. */
  payload: string
}

/** The invocation record of a batch given up on, as Lambda writes it to an S3 destination. */
export function streamFailureRecord (
  records: DynamoDBRecord[],
  batch: { shardId: string; streamArn: string; condition: string; approximateInvokeCount: number },
  now = new Date()
): StreamFailureRecord {
  const first = records[0]?.dynamodb
  const last = records[records.length - 1]?.dynamodb
  const arrival = (seconds: number | undefined): string =>
    new Date((seconds ?? now.getTime() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
  return {
    requestContext: { condition: batch.condition, approximateInvokeCount: batch.approximateInvokeCount },
    version: '1.0',
    timestamp: now.toISOString(),
    DDBStreamBatchInfo: {
      shardId: batch.shardId,
      startSequenceNumber: first?.SequenceNumber ?? '',
      endSequenceNumber: last?.SequenceNumber ?? '',
      approximateArrivalOfFirstRecord: arrival(first?.ApproximateCreationDateTime),
      approximateArrivalOfLastRecord: arrival(last?.ApproximateCreationDateTime),
      batchSize: records.length,
      streamArn: batch.streamArn
    },
    payload: JSON.stringify({ Records: records })
  }
}

/** The object key Lambda gives an invocation record: aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/<time>-<UUID>. */
export function streamFailureKey (mappingId: string, shardId: string, now = new Date()): string {
  const iso = now.toISOString()
  const [date] = iso.split('T') as [string]
  const time = iso.slice(0, 19).replace(/:/g, '.')
  return `aws/lambda/${mappingId}/${shardId}/${date.replace(/-/g, '/')}/${time}-${randomUUID()}`
}

/** An object that is not an invocation record with its records: left in the bucket, with the reason. */
export class UnreadableFailureRecordError extends Error {
  constructor (reason: string) {
    super(reason)
    this.name = 'UnreadableFailureRecordError'
  }
}

/** The stream records inside an invocation record (the object's body), in stream order. */
export function recordsOfStreamFailure (body: string): DynamoDBRecord[] {
  let doc: Partial<StreamFailureRecord>
  try {
    doc = JSON.parse(body) as Partial<StreamFailureRecord>
  } catch {
    throw new UnreadableFailureRecordError('the object is not JSON')
  }
  if (typeof doc?.payload !== 'string') {
    // A pointer alone (an SQS or SNS destination's document) has no records to republish.
    throw new UnreadableFailureRecordError('no payload: not an S3 invocation record with the batch\'s records')
  }
  let event: { Records?: unknown }
  try {
    event = JSON.parse(doc.payload) as { Records?: unknown }
  } catch {
    throw new UnreadableFailureRecordError('the payload is not JSON')
  }
  const records = event?.Records
  if (!Array.isArray(records) || records.length === 0 || !records.every(isStreamRecord)) {
    throw new UnreadableFailureRecordError('the payload holds no DynamoDB stream records')
  }
  return records
}
