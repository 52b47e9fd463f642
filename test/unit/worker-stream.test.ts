// Stream to events, with PutEvents faked by aws-sdk-client-mock.
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge'
import type { DynamoDBStreamEvent } from 'aws-lambda'
import { createHandler } from '../../workers/dispatch.js'
import { order, statusRecord, streamRecord, testRuntime } from '../helpers/worker-fixtures.js'

const batch = (...records: DynamoDBStreamEvent['Records']): DynamoDBStreamEvent => ({ Records: records })
const seqOf = (r: DynamoDBStreamEvent['Records'][number]): string => r.dynamodb!.SequenceNumber!
const ok = (n: number) => ({ FailedEntryCount: 0, Entries: Array.from({ length: n }, (_, i) => ({ EventId: `id-${i}` })) })

function setup () {
  const rt = testRuntime()
  const eb = mockClient(rt.eventbridge)
  const sent: PutEventsRequestEntry[][] = []
  // Answers for the next calls, in turn; then every entry succeeds.
  const answers: Array<Record<string, unknown>> = []
  eb.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
    sent.push(input.Entries)
    return answers.shift() ?? ok(input.Entries.length)
  })
  return { rt, eb, sent, answers, handle: createHandler(rt) }
}

t.test('one PutEvents call per batch, each entry a typed event on the bus', async (t) => {
  const { sent, handle } = setup()
  const placed = statusRecord(order({ id: 'a' }))
  const packed = statusRecord(order({ id: 'b', status: 'packed', updatedAt: '2025-02-03T04:05:06.000Z' }), 'placed')
  const res = await handle(batch(placed, packed))
  t.same(res, { batchItemFailures: [] })
  t.equal(sent.length, 1)
  t.same(sent[0].map((e) => [e.EventBusName, e.Source, e.DetailType]), [['test-bus', 'serverless-commerce.orders', 'OrderPlaced'], ['test-bus', 'serverless-commerce.orders', 'OrderPacked']])
  t.same(JSON.parse(sent[0][1].Detail!), { ...order({ id: 'b', status: 'packed', updatedAt: '2025-02-03T04:05:06.000Z' }), sequenceNumber: seqOf(packed) })
  t.same(sent[0][1].Time, new Date('2025-02-03T04:05:06.000Z'), 'event time is when the status changed')
})

t.test('records that change no status publish nothing', async (t) => {
  const { sent, handle } = setup()
  const o = order({ status: 'packed' })
  const res = await handle(batch(streamRecord('MODIFY', { ...o, note: 'x' }, o), streamRecord('REMOVE', undefined, o)))
  t.same(res, { batchItemFailures: [] })
  t.equal(sent.length, 0)
})

t.test('a failed PutEvents entry reports only its record; the retry publishes only it', async (t) => {
  const { answers, sent, handle } = setup()
  const [a, b, c] = ['a', 'b', 'c'].map((id) => statusRecord(order({ id })))
  answers.push({ FailedEntryCount: 1, Entries: [{ EventId: '1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }, { EventId: '3' }] })
  t.same(await handle(batch(a, b, c)), { batchItemFailures: [{ itemIdentifier: seqOf(b) }] })
  t.same(await handle(batch(b)), { batchItemFailures: [] }, 'the redelivered record succeeds')
  t.same(sent.map((call) => call.map((e) => JSON.parse(e.Detail!).id)), [['a', 'b', 'c'], ['b']])
})

t.test('after a failed record, later records of the same order are held back; other orders go on', async (t) => {
  const { answers, sent, handle } = setup()
  const placed = statusRecord(order({ id: 'o1' }))
  const other = statusRecord(order({ id: 'o2' }))
  const packed = statusRecord(order({ id: 'o1', status: 'packed' }), 'placed')
  const otherPacked = statusRecord(order({ id: 'o2', status: 'packed' }), 'placed')
  answers.push({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }, { EventId: '2' }] })
  const res = await handle(batch(placed, other, packed, otherPacked))
  t.same(res, { batchItemFailures: [{ itemIdentifier: seqOf(placed) }, { itemIdentifier: seqOf(packed) }] })
  t.same(sent.map((call) => call.map((e) => `${JSON.parse(e.Detail!).id}:${e.DetailType}`)), [
    ['o1:OrderPlaced', 'o2:OrderPlaced'],
    ['o2:OrderPacked']
  ], 'o1 packed was never published before o1 placed')
})

t.test('a poison record does not block the records after it', async (t) => {
  const { sent, handle, rt } = setup()
  const poison = streamRecord('INSERT', { id: 'bad', status: 'placed' })
  const b = statusRecord(order({ id: 'b' }))
  const c = statusRecord(order({ id: 'c', status: 'cancelled' }), 'placed')
  t.same(await handle(batch(poison, b, c)), { batchItemFailures: [{ itemIdentifier: seqOf(poison) }] })
  t.same(sent.flat().map((e) => JSON.parse(e.Detail!).id), ['b', 'c'])
  t.ok(rt.log.lines.some((l) => l.level === 'error' && l.extra?.error === 'MalformedRecordError'), 'the poison record is logged')
})

t.test('a thrown PutEvents fails its records; a batch where every record failed throws (Lambda bisects it)', async (t) => {
  const { eb, handle } = setup()
  eb.on(PutEventsCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))
  await t.rejects(handle(batch(statusRecord(order({ id: 'a' })), statusRecord(order({ id: 'b' })))), /All records failed/)
})

t.test('more than 10 events go out in calls of at most 10', async (t) => {
  const { sent, handle } = setup()
  const records = Array.from({ length: 23 }, (_, i) => statusRecord(order({ id: `o${i}` })))
  t.same(await handle(batch(...records)), { batchItemFailures: [] })
  t.same(sent.map((c) => c.length), [10, 10, 3])
})
