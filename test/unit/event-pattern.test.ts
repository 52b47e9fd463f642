// The local bus's EventBridge pattern matcher (local/event-pattern.ts): the operators it supports
// behave as EventBridge documents them, and the ones it does not are refused rather than guessed.
import t from 'tap'
import { matchesPattern, UnsupportedPatternError } from '../../local/event-pattern.js'
import { templateRules } from '../../local/event-rules.js'
import { loadTemplate } from '../../infra/template.js'

const event = {
  source: 'serverless-commerce.orders',
  'detail-type': 'OrderPlaced',
  detail: {
    id: 'ord-1',
    status: 'placed',
    total: 100,
    note: null,
    tags: ['gift', 'express'],
    customer: { country: 'NL' }
  }
}

t.test('exact values, lists of values and nested patterns', async (t) => {
  t.ok(matchesPattern({ source: ['serverless-commerce.orders'] }, event))
  t.ok(matchesPattern({ 'detail-type': ['OrderPacked', 'OrderPlaced'] }, event), 'any value of the list')
  t.notOk(matchesPattern({ 'detail-type': ['OrderPacked'] }, event))
  t.ok(matchesPattern({ detail: { customer: { country: ['NL'] } } }, event), 'nested')
  t.notOk(matchesPattern({ detail: { customer: { country: ['BE'] } } }, event))
  t.ok(matchesPattern({ detail: { total: [100] } }, event), 'numbers match numbers')
  t.notOk(matchesPattern({ detail: { total: ['100'] } }, event), 'and not strings')
  t.ok(matchesPattern({ detail: { note: [null] } }, event), 'null matches a null value')
  t.notOk(matchesPattern({ detail: { missing: [null] } }, event), 'but not a missing field')
  t.ok(matchesPattern({ detail: { tags: ['express'] } }, event), 'an array matches when any element does')
  t.notOk(matchesPattern({ detail: { id: { nested: ['x'] } } }, event), 'a nested pattern needs an object')
  t.ok(matchesPattern({}, event), 'the empty pattern matches everything')
})

t.test('prefix, suffix, exists and anything-but', async (t) => {
  t.ok(matchesPattern({ source: [{ prefix: 'serverless-' }] }, event))
  t.notOk(matchesPattern({ source: [{ prefix: 'aws.' }] }, event))
  t.ok(matchesPattern({ 'detail-type': [{ suffix: 'Placed' }] }, event))
  t.notOk(matchesPattern({ 'detail-type': [{ suffix: 'Packed' }] }, event))
  t.ok(matchesPattern({ detail: { status: [{ exists: true }] } }, event))
  t.notOk(matchesPattern({ detail: { status: [{ exists: false }] } }, event))
  t.ok(matchesPattern({ detail: { packageId: [{ exists: false }] } }, event))
  t.ok(matchesPattern({ detail: { status: [{ 'anything-but': 'cancelled' }] } }, event))
  t.notOk(matchesPattern({ detail: { status: [{ 'anything-but': ['placed', 'packed'] }] } }, event))
  t.notOk(matchesPattern({ detail: { status: [{ 'anything-but': { prefix: 'pl' } }] } }, event))
  t.notOk(matchesPattern({ detail: { packageId: [{ 'anything-but': 'x' }] } }, event), 'anything-but needs the field')
  t.ok(matchesPattern({ detail: { status: ['packed', { prefix: 'pla' }] } }, event), 'a list mixes values and filters')
})

t.test('unsupported operators and shapes throw instead of matching differently from AWS', async (t) => {
  t.throws(() => matchesPattern({ detail: { total: [{ numeric: ['>', 10] }] } }, event), UnsupportedPatternError)
  t.throws(
    () => matchesPattern({ detail: { status: [{ 'equals-ignore-case': 'PLACED' }] } }, event),
    UnsupportedPatternError
  )
  t.throws(() => matchesPattern({ detail: { status: [{ prefix: 'p', suffix: 'd' }] } }, event), UnsupportedPatternError)
  t.throws(
    () => matchesPattern({ source: 'serverless-commerce.orders' }, event),
    UnsupportedPatternError,
    'a bare value is not a pattern'
  )
})

t.test("the template's rule matches every order event type and nothing else", async (t) => {
  const rules = templateRules(loadTemplate())
  for (const type of ['OrderPlaced', 'OrderPacked', 'OrderDelivered', 'OrderCancelled']) {
    t.same(
      rules.filter((r) => matchesPattern(r.pattern, { ...event, 'detail-type': type })).map((r) => r.name),
      ['OrderEventsRule'],
      type
    )
  }
  t.same(
    rules.filter((r) => matchesPattern(r.pattern, { ...event, 'detail-type': 'OrderRefunded' })),
    [],
    'another type matches none'
  )
  t.same(
    rules.filter((r) => matchesPattern(r.pattern, { ...event, source: 'serverless-commerce.items' })),
    [],
    'another source matches none'
  )
})
