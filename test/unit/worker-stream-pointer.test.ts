// A redriven pointer (the stream mapping's on-failure record: shard and sequence range) is done only
// when its whole range was read back from the stream, or the shard closed: DynamoDB Streams faked by
// aws-sdk-client-mock (DynamoDB Local does not serve the empty pages the service may answer first).
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import {
  DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record
} from '@aws-sdk/client-dynamodb-streams'
import { PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs'
import { marshall } from '@aws-sdk/util-dynamodb'
import { createHandler } from '../../workers/dispatch.js'
import { order, sqsMessage, testRuntime } from '../helpers/worker-fixtures.js'

const STREAM = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2025-01-01T00:00:00.000'
const pointer = (start: string, end: string) => ({
  requestContext: { condition: 'RetryAttemptsExhausted' },
  DDBStreamBatchInfo: {
    shardId: 'shard-1', startSequenceNumber: start, endSequenceNumber: end, streamArn: STREAM, batchSize: 2
  }
})
const record = (seq: string, id: string): _Record => ({
  eventID: `e-${seq}`,
  eventName: 'INSERT',
  eventSource: 'aws:dynamodb',
  awsRegion: 'us-east-1',
  dynamodb: {
    Keys: { id: { S: id } },
    NewImage: marshall({ ...order({ id }) }, { removeUndefinedValues: true }) as any,
    SequenceNumber: seq,
    StreamViewType: 'NEW_AND_OLD_IMAGES'
  }
})

/** Pages GetRecords answers in turn (`closed`: the last page has no next iterator). */
function setup (pages: _Record[][], closed = false) {
  const credentials = { accessKeyId: 'x', secretAccessKey: 'x' }
  const streams = new DynamoDBStreamsClient({ region: 'us-east-1', credentials })
  const runtime = testRuntime({ streams })
  const s = mockClient(streams)
  s.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' })
  let page = 0
  s.on(GetRecordsCommand).callsFake(() => {
    const records = pages[page] ?? []
    page++
    const last = closed && page >= pages.length
    return { Records: records, ...(last ? {} : { NextShardIterator: `it-${page}` }) }
  })
  const published: string[] = []
  mockClient(runtime.eventbridge).on(PutEventsCommand).callsFake((input: { Entries: Array<{ Detail: string }> }) => {
    published.push(...input.Entries.map((e) => JSON.parse(e.Detail).id as string))
    return { FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'e' })) }
  })
  const sqs = mockClient(runtime.sqs)
  sqs.on(ChangeMessageVisibilityCommand).resolves({})
  sqs.on(SendMessageCommand).resolves({})
  const handle = createHandler(runtime)
  const deliver = async (body: unknown) => {
    const message = sqsMessage(body, 1, 'local-orders-stream-replay')
    const res = await handle({ Records: [message] }) as { batchItemFailures: unknown[] }
    return res.batchItemFailures.length === 0 ? 'done' : 'retry'
  }
  return { runtime, published, deliver, sqs }
}

t.test('empty pages before the records: read past, and the whole range published', async (t) => {
  const run = setup([[], [], [record('100', 'ord-a')], [], [record('200', 'ord-b'), record('300', 'ord-c')]])
  t.equal(await run.deliver(pointer('100', '200')), 'done')
  t.same(run.published, ['ord-a', 'ord-b'], 'the range, not past its end')
})

t.test('only empty pages (the records not served yet): retried, never deleted as done', async (t) => {
  const run = setup([[], [], [], [], [], [], [], [], [], [], [], []])
  t.equal(await run.deliver(pointer('100', '200')), 'retry')
  t.same(run.published, [])
  const retried = run.runtime.log.lines.find((l) => l.message === 'message failed, retried later')
  t.match(retried?.extra?.reason, /IncompleteRangeError/, 'the reason logged')
  t.equal(run.sqs.commandCalls(SendMessageCommand).length, 0, 'not parked either')
})

t.test('part of the range, then empty pages on an open shard: retried, nothing taken as done', async (t) => {
  const run = setup([[record('100', 'ord-a')], [], [], [], [], [], [], [], [], [], [], []])
  t.equal(await run.deliver(pointer('100', '200')), 'retry')
})

t.test('a closed shard read to its end: done with what it held', async (t) => {
  const run = setup([[], [record('100', 'ord-a')]], true)
  t.equal(await run.deliver(pointer('100', '200')), 'done')
  t.same(run.published, ['ord-a'])
})
