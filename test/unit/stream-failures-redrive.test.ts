// `npm run redrive -- orders-stream`, its bucket part (scripts/ops/stream-failures.ts), over mocked
// S3 and SQS clients for the faults the local stack cannot produce: a GetObject that fails, a send
// that fails half-way through an object, an object that holds no records. An object is deleted only
// once all its records are in the replay queue; what is left is reported and picked up next run.
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import {
  DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client
} from '@aws-sdk/client-s3'
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs'
import type { DynamoDBRecord } from 'aws-lambda'
import { redriveStreamFailures } from '../../scripts/ops/stream-failures.js'
import type { Target } from '../../scripts/ops/targets.js'
import {
  recordsOfStreamFailure, streamFailureKey, streamFailureRecord, UnreadableFailureRecordError
} from '../../workers/stream-failure-record.js'
import { order, statusRecord } from '../helpers/worker-fixtures.js'

const REPLAY_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/shop-orders-stream-replay'
const target: Target = {
  where: 'a test stack',
  region: 'us-east-1',
  physicalId: async (id) => id === 'OrdersStreamFailureBucket' ? 'shop-streamfailures-abc' : REPLAY_URL
}
const STREAM = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-12-01T00:00:00.000'

function failureBody (records: DynamoDBRecord[]): string {
  return JSON.stringify(streamFailureRecord(
    records,
    { shardId: 'shardId-1', streamArn: STREAM, condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 }
  ))
}

/** Mocked clients over a bucket of `objects` (key -> body): GetObject and DeleteObject act on it. */
function fixture (objects: Map<string, string>, pageSize = 1000) {
  const s3 = new S3Client({ region: 'us-east-1' })
  const sqs = new SQSClient({ region: 'us-east-1' })
  const s3Mock = mockClient(s3)
  const sqsMock = mockClient(sqs)
  s3Mock.on(ListObjectsV2Command).callsFake((input: { ContinuationToken?: string }) => {
    const keys = [...objects.keys()].sort()
    const from = input.ContinuationToken === undefined ? 0 : keys.indexOf(input.ContinuationToken)
    const page = keys.slice(from, from + pageSize)
    const next = keys[from + pageSize]
    return { Contents: page.map((Key) => ({ Key })), IsTruncated: next !== undefined, NextContinuationToken: next }
  })
  s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const body = objects.get(input.Key)
    if (body === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' })
    return { Body: { transformToString: async () => body } }
  })
  s3Mock.on(DeleteObjectCommand).callsFake((input: { Key: string }) => { objects.delete(input.Key); return {} })
  sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: 'arn:aws:sqs:us-east-1:1:replay' } })
  const sent: string[] = []
  sqsMock.on(SendMessageCommand).callsFake((input: { QueueUrl: string; MessageBody: string }) => {
    t.equal(input.QueueUrl, REPLAY_URL, 'to the replay queue')
    sent.push(JSON.parse(input.MessageBody).dynamodb.SequenceNumber)
    return { MessageId: `m-${sent.length}` }
  })
  t.teardown(() => { s3.destroy(); sqs.destroy() })
  return { s3, sqs, s3Mock, sqsMock, sent }
}

const seqs = (records: DynamoDBRecord[]): string[] => records.map((r) => r.dynamodb?.SequenceNumber as string)

t.test('the S3 invocation record as documented: the batch is in `payload`, an escaped JSON string', async (t) => {
  // As JSON carries them (the fixtures' undefined images dropped).
  const fixtures = [statusRecord(order({ id: 'ord-a' })), statusRecord(order({ id: 'ord-b' }))]
  const records = JSON.parse(JSON.stringify(fixtures)) as DynamoDBRecord[]
  // The Lambda Developer Guide's example, with the payload Lambda fills in.
  const documented = JSON.stringify({
    requestContext: {
      requestId: '316aa6d0-8154-xmpl-9af7-85d5f4a6bc81',
      functionArn: 'arn:aws:lambda:us-east-2:123456789012:function:myfunction',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 1
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2019-11-14T00:13:49.717Z',
    DDBStreamBatchInfo: {
      shardId: 'shardId-00000001573689847184-864758bb',
      startSequenceNumber: '800000000003126276362',
      endSequenceNumber: '800000000003126276362',
      approximateArrivalOfFirstRecord: '2019-11-14T00:13:19Z',
      approximateArrivalOfLastRecord: '2019-11-14T00:13:19Z',
      batchSize: 2,
      streamArn: STREAM
    },
    payload: JSON.stringify({ Records: records })
  })
  t.same(recordsOfStreamFailure(documented), records)
  const ours = JSON.parse(failureBody(records))
  t.same(Object.keys(ours).sort(), ['DDBStreamBatchInfo', 'payload', 'requestContext', 'timestamp', 'version'])
  t.match(ours.DDBStreamBatchInfo, {
    startSequenceNumber: records[0]?.dynamodb?.SequenceNumber,
    endSequenceNumber: records[1]?.dynamodb?.SequenceNumber,
    batchSize: 2,
    approximateArrivalOfFirstRecord: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/
  })
  t.same(recordsOfStreamFailure(failureBody(records)), records, 'what the local stand-in writes reads back the same')
  t.match(
    streamFailureKey('esm-uuid', 'shardId-1', new Date('2026-12-04T23:05:09.123Z')),
    /^aws\/lambda\/esm-uuid\/shardId-1\/2026\/12\/04\/2026-12-04T23\.05\.09-[0-9a-f-]{36}$/,
    "Lambda's naming convention"
  )
  const { payload: _payload, ...pointer } = ours
  t.throws(() => recordsOfStreamFailure(JSON.stringify(pointer)), UnreadableFailureRecordError, 'a pointer alone')
  t.throws(() => recordsOfStreamFailure('{'), UnreadableFailureRecordError)
  t.throws(() => recordsOfStreamFailure(JSON.stringify({ ...ours, payload: '{"Records":[]}' })),
    UnreadableFailureRecordError)
})

t.test('a failed GetObject leaves that object for the next run; the others are redriven and deleted', async (t) => {
  const a = [statusRecord(order({ id: 'ord-a' }))]
  const b = [statusRecord(order({ id: 'ord-b' })), statusRecord(order({ id: 'ord-c' }))]
  const objects = new Map([['aws/lambda/m/s/1', failureBody(a)], ['aws/lambda/m/s/2', failureBody(b)]])
  const f = fixture(objects, 1)
  let failed = false
  f.s3Mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    if (input.Key === 'aws/lambda/m/s/1' && !failed) {
      failed = true
      throw Object.assign(new Error('We encountered an internal error.'), { name: 'InternalError' })
    }
    return { Body: { transformToString: async () => objects.get(input.Key) } }
  })
  const lines: string[] = []
  const first = await redriveStreamFailures(target, f.s3, f.sqs, { log: (l) => lines.push(l) })
  t.same(first, {
    redriven: 1,
    records: 2,
    left: [{ key: 'aws/lambda/m/s/1', reason: 'InternalError: We encountered an internal error.' }]
  })
  t.same(f.sent, seqs(b), 'only the readable batch, in order, across two pages of the listing')
  t.same([...objects.keys()], ['aws/lambda/m/s/1'], 'the failed one stays')
  t.match(lines.join('\n'), /aws\/lambda\/m\/s\/1: left in the bucket after 0 record\(s\) sent \(InternalError/)

  const second = await redriveStreamFailures(target, f.s3, f.sqs)
  t.same(second, { redriven: 1, records: 1, left: [] })
  t.same(f.sent, [...seqs(b), ...seqs(a)])
  t.equal(objects.size, 0)
  const third = await redriveStreamFailures(target, f.s3, f.sqs, { log: (l) => lines.push(l) })
  t.same(third, { redriven: 0, records: 0, left: [] }, 'run again: nothing sent')
  t.equal(f.sent.length, 3)
  t.match(lines[lines.length - 1], /OrdersStreamFailureBucket is empty: nothing to redrive/)
})

t.test('a partial run: a send failing half-way keeps the object, and the next run sends it whole', async (t) => {
  const batch = [statusRecord(order({ id: 'ord-a' })), statusRecord(order({ id: 'ord-b' }))]
  const objects = new Map([['aws/lambda/m/s/1', failureBody(batch)]])
  const f = fixture(objects)
  let calls = 0
  f.sqsMock.on(SendMessageCommand).callsFake((input: { MessageBody: string }) => {
    if (++calls === 2) throw Object.assign(new Error('throttled'), { name: 'RequestThrottled' })
    f.sent.push(JSON.parse(input.MessageBody).dynamodb.SequenceNumber)
    return { MessageId: `m-${calls}` }
  })
  const first = await redriveStreamFailures(target, f.s3, f.sqs)
  t.same(first, { redriven: 0, records: 1, left: [{ key: 'aws/lambda/m/s/1', reason: 'RequestThrottled: throttled' }] })
  t.equal(f.s3Mock.commandCalls(DeleteObjectCommand).length, 0, 'not deleted: one of its records is not in the queue')
  t.ok(objects.has('aws/lambda/m/s/1'))

  const second = await redriveStreamFailures(target, f.s3, f.sqs)
  t.same(second, { redriven: 1, records: 2, left: [] })
  t.same(f.sent, [...seqs(batch.slice(0, 1)), ...seqs(batch)],
    'the first record twice (the bus gets it twice; the effects ledger sends its webhooks and emails once)')
  t.equal(objects.size, 0)
})

t.test('an object without records (a pointer, not JSON) is left and reported, nothing sent', async (t) => {
  const objects = new Map([['aws/lambda/m/s/1', '{"DDBStreamBatchInfo":{}}'], ['aws/lambda/m/s/2', 'not json']])
  const f = fixture(objects)
  const result = await redriveStreamFailures(target, f.s3, f.sqs)
  t.equal(result.redriven, 0)
  t.same(result.left.map((l) => l.reason), [
    "UnreadableFailureRecordError: no payload: not an S3 invocation record with the batch's records",
    'UnreadableFailureRecordError: the object is not JSON'
  ])
  t.same(f.sent, [])
  t.equal(objects.size, 2)
})
