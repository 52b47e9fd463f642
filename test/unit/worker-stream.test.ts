// Stream to events, with PutEvents and SQS faked by aws-sdk-client-mock. Lambda's semantics are
// played by `lambda()`: a batch is retried from its lowest failed record, with everything after it.
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge'
import { SendMessageCommand } from '@aws-sdk/client-sqs'
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda'
import { createHandler } from '../../workers/dispatch.js'
import { entrySize, MAX_CALL_BYTES } from '../../workers/stream-to-events.js'
import { order, statusRecord, streamRecord, testRuntime, TEST_WORKER_ENV } from '../helpers/worker-fixtures.js'

const batch = (...records: DynamoDBStreamEvent['Records']): DynamoDBStreamEvent => ({ Records: records })
const seqOf = (r: DynamoDBStreamEvent['Records'][number]): string => r.dynamodb!.SequenceNumber!
const ok = (n: number) => ({
  FailedEntryCount: 0,
  Entries: Array.from({ length: n }, (_, i) => ({ EventId: `id-${i}` }))
})
const idOf = (e: PutEventsRequestEntry): string => `${JSON.parse(e.Detail!).id as string}:${e.DetailType!}`

function setup (env: Record<string, string> = {}) {
  const pauses: number[] = []
  let now = Date.now()
  const runtime = testRuntime({ sleep: async (ms) => { pauses.push(ms) }, now: () => now }, env)
  const eb = mockClient(runtime.eventbridge)
  const sqs = mockClient(runtime.sqs)
  sqs.on(SendMessageCommand).resolves({ MessageId: 'parked' })
  const sent: PutEventsRequestEntry[][] = []
  // Answers for the next calls, in turn; then every entry succeeds.
  const answers: Array<Record<string, unknown> | Error> = []
  eb.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
    sent.push(input.Entries)
    const answer = answers.shift() ?? ok(input.Entries.length)
    if (answer instanceof Error) throw answer
    return answer
  })
  const handle = createHandler(runtime)
  /** Lambda's event source mapping over one shard: retries from the lowest failed record until none fails. */
  const lambda = async (records: DynamoDBRecord[], maxRetries = 10): Promise<number> => {
    let pending = records
    for (let retries = 0; retries <= maxRetries; retries++) {
      const res = await handle(batch(...pending)) as { batchItemFailures: Array<{ itemIdentifier: string }> }
      const failed = new Set(res.batchItemFailures.map((f) => f.itemIdentifier))
      const from = pending.findIndex((r) => failed.has(seqOf(r)))
      if (from < 0) return retries
      pending = pending.slice(from)
    }
    throw new Error('still failing')
  }
  const parked = () => sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)
  return { runtime, eb, sent, answers, handle, lambda, parked, pauses, setNow: (ms: number) => { now = ms } }
}

t.test('one PutEvents call per batch, each entry a typed event on the bus', async (t) => {
  const { sent, handle } = setup()
  const placed = statusRecord(order({ id: 'a' }))
  const packed = statusRecord(order({ id: 'b', status: 'packed', updatedAt: '2025-02-03T04:05:06.000Z' }), 'placed')
  const res = await handle(batch(placed, packed))
  t.same(res, { batchItemFailures: [] })
  t.equal(sent.length, 1)
  t.same(
    sent[0].map((e) => [e.EventBusName, e.Source, e.DetailType]),
    [
      ['test-bus', 'serverless-commerce.orders', 'OrderPlaced'],
      ['test-bus', 'serverless-commerce.orders', 'OrderPacked']
    ]
  )
  t.same(
    JSON.parse(sent[0][1].Detail!),
    { ...order({ id: 'b', status: 'packed', updatedAt: '2025-02-03T04:05:06.000Z' }), sequenceNumber: seqOf(packed) }
  )
  t.same(sent[0][1].Time, new Date('2025-02-03T04:05:06.000Z'), 'event time is when the status changed')
})

t.test('records that change no status publish nothing', async (t) => {
  const { sent, handle } = setup()
  const o = order({ status: 'packed' })
  const res = await handle(batch(streamRecord('MODIFY', { ...o, note: 'x' }, o), streamRecord('REMOVE', undefined, o)))
  t.same(res, { batchItemFailures: [] })
  t.equal(sent.length, 0)
})

t.test('a throttled entry: the batch comes back from it; nothing before it, nor after it in the call, is published ' +
  'twice', async (t) => {
  const { answers, sent, lambda } = setup()
  const records = ['a', 'b', 'c', 'd'].map((id) => statusRecord(order({ id })))
  answers.push({
    FailedEntryCount: 1,
    Entries: [
      { EventId: '1' },
      { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' },
      { EventId: '3' },
      { EventId: '4' }
    ]
  })
  t.equal(await lambda(records), 1, 'one retry')
  t.same(sent.map((call) => call.map(idOf)), [
    ['a:OrderPlaced', 'b:OrderPlaced', 'c:OrderPlaced', 'd:OrderPlaced'],
    ['b:OrderPlaced']
  ],
  'the retry publishes only the failed record: c and d went out in the first call and are remembered')
})

t.test('a record of one order never shares a call with an earlier one of that order; the stream order is kept', async (
  t
) => {
  const { sent, handle } = setup()
  const placed = statusRecord(order({ id: 'o1' }))
  const other = statusRecord(order({ id: 'o2' }))
  const packed = statusRecord(order({ id: 'o1', status: 'packed' }), 'placed')
  const otherPacked = statusRecord(order({ id: 'o2', status: 'packed' }), 'placed')
  t.same(await handle(batch(placed, other, packed, otherPacked)), { batchItemFailures: [] })
  t.same(
    sent.map((call) => call.map(idOf)),
    [['o1:OrderPlaced', 'o2:OrderPlaced'], ['o1:OrderPacked', 'o2:OrderPacked']]
  )
})

t.test('a poison record is parked with its content and the shard moves on: no retries, nothing ' +
  'republished', async (t) => {
  const { sent, lambda, parked, runtime } = setup()
  const poison = streamRecord('INSERT', { id: 'bad', status: 'placed' })
  const later = ['b', 'c', 'd', 'e'].map((id) => statusRecord(order({ id })))
  t.equal(await lambda([poison, ...later]), 0, 'no retry at all')
  const published = sent.flat().map(idOf)
  t.same(
    published,
    ['b:OrderPlaced', 'c:OrderPlaced', 'd:OrderPlaced', 'e:OrderPlaced'],
    'every other order published exactly once'
  )
  t.equal(parked().length, 1)
  t.equal(parked()[0]?.QueueUrl, TEST_WORKER_ENV.ORDERS_STREAM_DLQ_URL)
  t.same(
    JSON.parse(parked()[0]?.MessageBody ?? '{}'),
    JSON.parse(JSON.stringify(poison)),
    'the record itself, images included: replayable'
  )
  t.match(
    parked()[0]?.MessageAttributes,
    { reason: { StringValue: 'unreadable record' }, error: { StringValue: /MalformedRecordError/ } }
  )
  t.ok(
    runtime.log.lines.some((l) => l.level === 'error' && l.message === 'stream record parked in the dead-letter queue')
  )
})

t.test('an entry EventBridge refuses as malformed is parked, not retried', async (t) => {
  const { answers, lambda, parked, sent } = setup()
  answers.push({
    FailedEntryCount: 1,
    Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }, { EventId: '2' }]
  })
  t.equal(await lambda([statusRecord(order({ id: 'x' })), statusRecord(order({ id: 'y' }))]), 0)
  t.equal(sent.length, 1)
  t.match(parked()[0]?.MessageAttributes, { reason: { StringValue: 'refused by EventBridge' } })
})

t.test('the bus down: every record kept, the retries paced, and after hours parked with content rather than ' +
  'lost', async (t) => {
  const { eb, handle, parked, pauses, setNow, runtime } = setup()
  eb.on(PutEventsCommand).rejects(
    Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error', code: 'ECONNREFUSED' })
  )
  const created = Math.floor(Date.now() / 1000)
  const records = ['a', 'b'].map((id) => {
    const r = statusRecord(order({ id }))
    r.dynamodb!.ApproximateCreationDateTime = created
    return r
  })
  t.same(
    await handle(batch(...records)),
    { batchItemFailures: records.map((r) => ({ itemIdentifier: seqOf(r) })) },
    'every record kept for the retry'
  )
  t.equal(parked().length, 0, 'nothing parked while young')
  t.ok(
    pauses[0] !== undefined && pauses[0] >= 1000,
    `the answer waits (${pauses[0]} ms) so Lambda's retries do not spin`
  )
  setNow(created * 1000 + 2 * 3600_000)
  await handle(batch(...records))
  t.equal(pauses.at(-1), 30_000, 'after two hours, a retry every 30 s or so')
  setNow(created * 1000 + runtime.config.streamParkAfterSeconds * 1000 + 1000)
  t.same(await handle(batch(...records)), { batchItemFailures: [] }, 'past the limit: the shard moves on')
  t.same(
    parked().map((p) => JSON.parse(p.MessageBody ?? '{}').dynamodb.SequenceNumber),
    records.map(seqOf),
    'both parked, with their content'
  )
  t.match(parked()[0]?.MessageAttributes, { reason: { StringValue: 'retried too long' } })
})

t.test('big orders: calls stay within 256 KB; an event over the limit alone is parked', async (t) => {
  const { sent, handle, parked } = setup()
  // 50 lines with long non-ASCII titles: ~60 KB an event, so 10 of them are far over 256 KB.
  const lines = Array.from(
    { length: 50 },
    (_, i) => ({ id: `item-${i}`, title: `Ünïcödé ☃ ${'ß'.repeat(200)} ${'日本'.repeat(120)}`, count: 1, unitPrice: 100 })
  )
  const records = Array.from({ length: 10 }, (_, i) => statusRecord(order({ id: `big-${i}`, lines })))
  t.same(await handle(batch(...records)), { batchItemFailures: [] })
  t.ok(sent.length > 1, `split into ${sent.length} calls`)
  for (const call of sent) {
    t.ok(
      call.reduce((n, e) => n + entrySize(e), 0) <= MAX_CALL_BYTES,
      'each call within the limit'
    )
  }
  t.equal(sent.flat().length, 10, 'every event published once')
  const huge = statusRecord(
    order({
      id: 'huge',
      lines: Array.from({ length: 50 }, (_, i) => ({ ...lines[0]!, id: `i${i}`, title: '☃'.repeat(2000) }))
    })
  )
  t.same(await handle(batch(huge)), { batchItemFailures: [] })
  t.equal(parked().length, 1, 'parked')
  t.match(parked()[0]?.MessageAttributes, { reason: { StringValue: 'event too large' } })
})

t.test('more than 10 events go out in calls of at most 10', async (t) => {
  const { sent, handle } = setup()
  const records = Array.from({ length: 23 }, (_, i) => statusRecord(order({ id: `o${i}` })))
  t.same(await handle(batch(...records)), { batchItemFailures: [] })
  t.same(sent.map((c) => c.length), [10, 10, 3])
})
