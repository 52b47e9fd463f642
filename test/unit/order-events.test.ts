import t from 'tap'
import { DETAIL_TYPES, EVENT_SOURCE, MalformedRecordError, eventForStreamRecord } from '../../domain/events.js'
import { order, statusRecord, streamRecord } from '../helpers/worker-fixtures.js'

t.test('an insert of a placed order is OrderPlaced, with the public order and the sequence number', async (t) => {
  const o = order()
  const record = streamRecord('INSERT', { ...o, typeBrandId: 'internal', gsi1pk: 'internal' })
  const event = eventForStreamRecord(record)
  t.equal(event?.source, EVENT_SOURCE)
  t.equal(event?.detailType, 'OrderPlaced')
  t.same(event?.detail, { ...o, sequenceNumber: record.dynamodb?.SequenceNumber })
  t.notOk('gsi1pk' in (event?.detail ?? {}), 'internal attributes stay off the bus')
})

t.test('a modify that changes the status is the new status event', async (t) => {
  for (const [from, to] of [['placed', 'packed'], ['packed', 'delivered'], ['placed', 'cancelled']] as const) {
    const event = eventForStreamRecord(statusRecord(order({ status: to }), from))
    t.equal(event?.detailType, DETAIL_TYPES[to], `${from} -> ${to}`)
    t.equal(event?.detail.status, to)
  }
})

t.test('other changes publish nothing', async (t) => {
  const o = order({ status: 'packed' })
  t.equal(eventForStreamRecord(streamRecord('MODIFY', { ...o, note: 'changed' }, o)), undefined, 'same status')
  t.equal(eventForStreamRecord(streamRecord('REMOVE', undefined, o)), undefined, 'remove')
  t.equal(eventForStreamRecord(streamRecord('INSERT', { ...o })), undefined, 'insert of a non-placed order')
})

t.test('unreadable records throw', async (t) => {
  t.throws(() => eventForStreamRecord(streamRecord('INSERT', { id: 'x', status: 'placed' })), MalformedRecordError)
  t.throws(
    () => eventForStreamRecord(streamRecord('MODIFY', { ...order(), status: 'lost' }, order())),
    MalformedRecordError,
    'unknown status'
  )
  const noImage = streamRecord('INSERT', order() as any)
  delete noImage.dynamodb!.NewImage
  t.throws(() => eventForStreamRecord(noImage), /new image/)
  const noOld = statusRecord(order({ status: 'packed' }), 'placed')
  delete noOld.dynamodb!.OldImage
  t.throws(() => eventForStreamRecord(noOld), /old image/)
})
