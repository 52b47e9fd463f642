// The local bus (local/event-bus.ts) through the real SDK client: PutEvents' protocol, routing by
// infra/template.yaml's rules, failed entries, retries and dead letters, errors in AWS's format.
import t from 'tap'
import { EventBridgeClient, ListRulesCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { startEventBus, type BusEvent } from '../../local/event-bus.js'
import { workerRules } from '../../local/event-rules.js'
import { memoryLog } from '../helpers/worker-fixtures.js'

const BUS = 'test-bus'
const detail = (status: string): string => JSON.stringify({ id: 'ord-1', status })

async function bus (t: { teardown: (fn: () => unknown) => void }, target: (e: BusEvent) => Promise<unknown>, retryDelaysMs = [1, 1]) {
  const log = memoryLog()
  const b = await startEventBus({ target, busName: BUS, log, retryDelaysMs, region: 'eu-west-1' })
  const client = new EventBridgeClient({ endpoint: b.url, region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 })
  t.teardown(async () => { client.destroy(); await b.stop() })
  return { b, client, log }
}

t.test('PutEvents through the SDK: each entry routed to the one rule of its detail-type', async (t) => {
  const got: BusEvent[] = []
  const { b, client } = await bus(t, async (e) => { got.push(e) })
  const time = new Date('2025-01-02T03:04:05.678Z')
  const res = await client.send(new PutEventsCommand({
    Entries: [
      { EventBusName: BUS, Source: 'serverless-commerce.orders', DetailType: 'OrderPlaced', Detail: detail('placed'), Time: time },
      { EventBusName: `arn:aws:events:eu-west-1:123456789012:event-bus/${BUS}`, Source: 'serverless-commerce.orders', DetailType: 'OrderPacked', Detail: detail('packed') }
    ]
  }))
  t.equal(res.FailedEntryCount, 0)
  t.equal(res.Entries?.length, 2)
  t.ok(res.Entries?.every((e) => typeof e.EventId === 'string' && e.ErrorCode === undefined), 'an EventId per entry')
  await b.idle()
  t.same(got.map((e) => e['detail-type']).sort(), ['OrderPacked', 'OrderPlaced'], 'each event delivered once (one rule each)')
  const placed = got.find((e) => e['detail-type'] === 'OrderPlaced')
  t.match(placed, {
    version: '0', id: res.Entries?.[0].EventId, source: 'serverless-commerce.orders', account: '000000000000',
    time: '2025-01-02T03:04:05Z', region: 'eu-west-1', resources: [], detail: { id: 'ord-1', status: 'placed' }
  }, 'wrapped as an EventBridge event, with the entry\'s time (no milliseconds)')
  t.same(b.events.map((e) => e.id).sort(), got.map((e) => e.id).sort())
})

t.test('an event no rule matches is accepted and routed nowhere', async (t) => {
  const got: BusEvent[] = []
  const { b, client } = await bus(t, async (e) => { got.push(e) })
  const res = await client.send(new PutEventsCommand({
    Entries: [
      { EventBusName: BUS, Source: 'someone-else', DetailType: 'OrderPlaced', Detail: detail('placed') },
      { EventBusName: BUS, Source: 'serverless-commerce.orders', DetailType: 'OrderRefunded', Detail: detail('refunded') }
    ]
  }))
  t.equal(res.FailedEntryCount, 0)
  await b.idle()
  t.equal(b.events.length, 2, 'both accepted')
  t.same(got, [], 'neither delivered')
})

t.test("the rules come from the template: one per order detail-type, and SES's mail feedback", async (t) => {
  const names = workerRules().map((r) => r.name).sort()
  t.same(names, ['WorkerFunction.MailFeedback', 'WorkerFunction.OrderCancelled', 'WorkerFunction.OrderDelivered', 'WorkerFunction.OrderPacked', 'WorkerFunction.OrderPlaced'])
})

t.test('bad entries fail alone, in EventBridge\'s per-entry format', async (t) => {
  const got: BusEvent[] = []
  const { b, client } = await bus(t, async (e) => { got.push(e) })
  const res = await client.send(new PutEventsCommand({
    Entries: [
      { EventBusName: BUS, Source: 'serverless-commerce.orders', DetailType: 'OrderPlaced', Detail: '{not json' },
      { EventBusName: 'other-bus', Source: 'serverless-commerce.orders', DetailType: 'OrderPlaced', Detail: detail('placed') },
      { EventBusName: BUS, DetailType: 'OrderPlaced', Detail: detail('placed') },
      { EventBusName: BUS, Source: 'serverless-commerce.orders', DetailType: 'OrderCancelled', Detail: detail('cancelled') }
    ]
  }))
  t.equal(res.FailedEntryCount, 3)
  t.match(res.Entries, [{ ErrorCode: 'MalformedDetail' }, { ErrorCode: 'InvalidArgument', ErrorMessage: /other-bus/ }, { ErrorCode: 'InvalidArgument', ErrorMessage: /Source/ }, { EventId: String }])
  await b.idle()
  t.same(got.map((e) => e['detail-type']), ['OrderCancelled'], 'only the good entry is delivered')
})

t.test('other operations and malformed requests get AWS-style errors', async (t) => {
  const { b, client } = await bus(t, async () => {})
  await t.rejects(client.send(new ListRulesCommand({})), { name: 'UnknownOperationException' }, 'the SDK sees a typed error')
  const post = (headers: Record<string, string>, body: string): Promise<Response> => fetch(b.url, { method: 'POST', headers, body })
  const json = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' }
  let res = await post(json, JSON.stringify({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}', Surprise: 1 }] }))
  t.equal(res.status, 400)
  t.equal(res.headers.get('x-amzn-errortype'), 'ValidationException')
  t.match(await res.json(), { __type: 'ValidationException', message: /Surprise|additional/i }, 'unknown members are refused')
  res = await post(json, JSON.stringify({ Entries: [] }))
  t.match(await res.json(), { __type: 'ValidationException' }, 'at least one entry')
  res = await post(json, '{oops')
  t.match(await res.json(), { __type: 'SerializationException' })
  res = await post({ ...json, 'content-type': 'text/plain' }, '{}')
  t.match(await res.json(), { __type: 'SerializationException' })
  t.equal(b.events.length, 0)
})

t.test('a failing target is retried, then dead-lettered', async (t) => {
  let calls = 0
  const { b, client, log } = await bus(t, async () => {
    calls++
    if (calls < 3) throw new Error(`down (${calls})`)
  })
  await client.send(new PutEventsCommand({ Entries: [{ EventBusName: BUS, Source: 'serverless-commerce.orders', DetailType: 'OrderPlaced', Detail: detail('placed') }] }))
  await b.idle()
  t.equal(calls, 3, 'delivered on the third attempt (two retries)')
  t.equal(log.lines.filter((l) => l.message === 'event delivery failed, retrying').length, 2)
  t.notOk(log.lines.some((l) => l.level === 'error'), 'no dead letter')

  calls = -100
  await client.send(new PutEventsCommand({ Entries: [{ EventBusName: BUS, Source: 'serverless-commerce.orders', DetailType: 'OrderPacked', Detail: detail('packed') }] }))
  await b.idle()
  t.equal(calls, -97, 'one attempt and two retries')
  const dead = log.lines.filter((l) => l.message === 'event given up on (dead letter)')
  t.equal(dead.length, 1)
  t.match(dead[0].extra, { rule: 'WorkerFunction.OrderPacked', detailType: 'OrderPacked', attempt: 3, reason: 'down (-97)', detail: { id: 'ord-1' } })
})
