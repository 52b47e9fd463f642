// The local EventBridge and SQS (local/messaging.ts) through the real SDK clients: PutEvents routed
// by infra/template.yaml's rule into the effects queue, SQS's semantics the worker relies on
// (visibility, receive counts, the dead-letter queue past maxReceiveCount, message move tasks),
// errors in AWS's format, and queues kept on disk across a restart.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EventBridgeClient, ListRulesCommand, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import {
  ChangeMessageVisibilityCommand, DeleteMessageCommand, GetQueueAttributesCommand, GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand, SendMessageCommand, SQSClient, StartMessageMoveTaskCommand
} from '@aws-sdk/client-sqs'
import { startLocalMessaging } from '../../local/messaging.js'
import { templateRules } from '../../local/event-rules.js'
import { EFFECT_RETRY_DELAYS_S, maxReceiveCount } from '../../workers/delivery-policy.js'
import { memoryLog } from '../helpers/worker-fixtures.js'

const BUS = 'test-bus'
const detail = (status: string): string => JSON.stringify({ id: 'ord-1', status })
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' }

async function messaging (t: { teardown: (fn: () => unknown) => void }, dir?: string) {
  const log = memoryLog()
  const m = await startLocalMessaging({ busName: BUS, region: 'eu-west-1', log, dir })
  const events = new EventBridgeClient({ endpoint: m.url, region: 'eu-west-1', credentials, maxAttempts: 1 })
  const sqs = new SQSClient({ endpoint: m.url, region: 'eu-west-1', credentials, maxAttempts: 1 })
  t.teardown(async () => { events.destroy(); sqs.destroy(); await m.stop() })
  const url = async (name: string): Promise<string> =>
    (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string
  return { m, events, sqs, log, url }
}

t.test('PutEvents through the SDK: each event lands in the effects queue, as EventBridge\'s SQS target sends ' +
  'it', async (t) => {
  const { m, events, sqs, url } = await messaging(t)
  const time = new Date('2025-01-02T03:04:05.678Z')
  const res = await events.send(new PutEventsCommand({
    Entries: [
      {
        EventBusName: BUS,
        Source: 'serverless-commerce.orders',
        DetailType: 'OrderPlaced',
        Detail: detail('placed'),
        Time: time
      },
      {
        EventBusName: `arn:aws:events:eu-west-1:123456789012:event-bus/${BUS}`,
        Source: 'serverless-commerce.orders',
        DetailType: 'OrderPacked',
        Detail: detail('packed')
      },
      { EventBusName: BUS, Source: 'someone-else', DetailType: 'OrderPlaced', Detail: detail('placed') },
      {
        EventBusName: BUS,
        Source: 'serverless-commerce.orders',
        DetailType: 'OrderRefunded',
        Detail: detail('refunded')
      }
    ]
  }))
  t.equal(res.FailedEntryCount, 0)
  t.ok(res.Entries?.every((e) => typeof e.EventId === 'string'), 'an EventId per entry')
  t.equal(m.bus.events.length, 4, 'all accepted')
  const got = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: await url('local-order-effects'), MaxNumberOfMessages: 10 })
  )
  const bodies = (got.Messages ?? []).map((msg) => JSON.parse(msg.Body ?? '{}'))
  t.same(
    bodies.map((b) => b['detail-type']),
    ['OrderPlaced', 'OrderPacked'],
    "only the template rule's events, in the queue already when PutEvents answered"
  )
  t.match(bodies[0], {
    version: '0',
    id: res.Entries?.[0]?.EventId,
    source: 'serverless-commerce.orders',
    account: '000000000000',
    time: '2025-01-02T03:04:05Z',
    region: 'eu-west-1',
    resources: [],
    detail: { id: 'ord-1', status: 'placed' }
  }, 'the whole event, with the entry\'s time (no milliseconds)')
})

t.test('bad entries fail alone, in EventBridge\'s per-entry format; other operations get AWS-style ' +
  'errors', async (t) => {
  const { m, events } = await messaging(t)
  const res = await events.send(new PutEventsCommand({
    Entries: [
      { EventBusName: BUS, Source: 'serverless-commerce.orders', DetailType: 'OrderPlaced', Detail: '{not json' },
      {
        EventBusName: 'other-bus',
        Source: 'serverless-commerce.orders',
        DetailType: 'OrderPlaced',
        Detail: detail('placed')
      },
      { EventBusName: BUS, DetailType: 'OrderPlaced', Detail: detail('placed') },
      {
        EventBusName: BUS,
        Source: 'serverless-commerce.orders',
        DetailType: 'OrderCancelled',
        Detail: detail('cancelled')
      }
    ]
  }))
  t.equal(res.FailedEntryCount, 3)
  t.match(
    res.Entries,
    [
      { ErrorCode: 'MalformedDetail' },
      { ErrorCode: 'InvalidArgument', ErrorMessage: /other-bus/ },
      { ErrorCode: 'InvalidArgument', ErrorMessage: /Source/ },
      { EventId: String }
    ]
  )
  await t.rejects(
    events.send(new ListRulesCommand({})),
    { name: 'UnknownOperationException' },
    'the SDK sees a typed error'
  )
  await t.rejects(events.send(
    new PutEventsCommand({
      Entries: [{
        EventBusName: BUS,
        Source: 's',
        DetailType: 'd',
        Detail: JSON.stringify({ x: 'x'.repeat(300 * 1024) })
      }]
    })
  ),
  { name: 'ValidationException' }, 'a call over 256 KB is refused whole, as EventBridge does')
  const post = (headers: Record<string, string>, body: string): Promise<Response> => fetch(
    m.url,
    { method: 'POST', headers, body }
  )
  const json = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' }
  let raw = await post(json, JSON.stringify({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}', Surprise: 1 }] }))
  t.equal(raw.status, 400)
  t.equal(raw.headers.get('x-amzn-errortype'), 'ValidationException')
  t.match(
    await raw.json(),
    { __type: 'ValidationException', message: /Surprise|additional/i },
    'unknown members are refused'
  )
  raw = await post(json, '{oops')
  t.match(await raw.json(), { __type: 'SerializationException' })
  raw = await post(
    { ...json, 'x-amz-target': 'AmazonSQS.DeleteQueue', 'content-type': 'application/x-amz-json-1.0' },
    '{}'
  )
  t.match(await raw.json(), { __type: 'UnsupportedOperation' })
})

t.test('SQS as the worker uses it: visibility, receive counts, ChangeMessageVisibility, the DLQ past ' +
  'maxReceiveCount', async (t) => {
  const { sqs, url } = await messaging(t)
  const effects = await url('local-order-effects')
  const dlq = await url('local-order-events-dlq')
  const attrs = (await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: effects,
    AttributeNames: ['All']
  }))).Attributes ?? {}
  t.equal(
    JSON.parse(attrs.RedrivePolicy ?? '{}').maxReceiveCount,
    maxReceiveCount(EFFECT_RETRY_DELAYS_S),
    "the template's redrive policy"
  )
  t.equal(attrs.VisibilityTimeout, '720')
  await sqs.send(new SendMessageCommand({ QueueUrl: effects, MessageBody: '{"n":1}' }))
  const first = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: effects }))).Messages?.[0]
  t.equal(first?.Attributes?.ApproximateReceiveCount, '1')
  t.same(
    (await sqs.send(new ReceiveMessageCommand({ QueueUrl: effects }))).Messages ?? [],
    [],
    'invisible while in flight'
  )
  await sqs.send(
    new ChangeMessageVisibilityCommand({ QueueUrl: effects, ReceiptHandle: first?.ReceiptHandle, VisibilityTimeout: 0 })
  )
  const again = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: effects, WaitTimeSeconds: 1 }))).Messages?.[0]
  t.equal(again?.Attributes?.ApproximateReceiveCount, '2', 'back after its pause, counted')
  await t.rejects(sqs.send(new DeleteMessageCommand({ QueueUrl: effects, ReceiptHandle: 'nonsense' })).then(() =>
    sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: effects,
        ReceiptHandle: first?.ReceiptHandle,
        VisibilityTimeout: 1
      })
    )),
  { name: 'ReceiptHandleIsInvalid' }, 'an old receipt handle is refused')
  await sqs.send(
    new ChangeMessageVisibilityCommand({ QueueUrl: effects, ReceiptHandle: again?.ReceiptHandle, VisibilityTimeout: 0 })
  )
  for (let n = 2; n < maxReceiveCount(EFFECT_RETRY_DELAYS_S); n++) {
    const m = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: effects, VisibilityTimeout: 0 }))).Messages?.[0]
    t.equal(m?.Attributes?.ApproximateReceiveCount, String(n + 1))
  }
  t.same(
    (await sqs.send(new ReceiveMessageCommand({ QueueUrl: effects }))).Messages ?? [],
    [],
    'past maxReceiveCount it is not delivered again'
  )
  const parked = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq }))).Messages ?? []
  t.same(parked.map((m) => m.Body), ['{"n":1}'], 'it is in the dead-letter queue, with its content')
})

t.test('a message move task redrives a dead-letter queue, once', async (t) => {
  const { sqs, url, m } = await messaging(t)
  const dlq = await url('local-order-events-dlq')
  for (const n of [1, 2, 3]) await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: `{"n":${n}}` }))
  const source = m.queues.byName('local-order-events-dlq').arn
  const destination = m.queues.byName('local-order-effects').arn
  await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: source, DestinationArn: destination }))
  await m.queues.idle()
  const tasks = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: source }))).Results ?? []
  t.match(tasks[0], { Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3 })
  const moved = (await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: await url('local-order-effects'), MaxNumberOfMessages: 10 })
  )).Messages ?? []
  t.same(moved.map((x) => x.Body).sort(), ['{"n":1}', '{"n":2}', '{"n":3}'])
  t.same(m.queues.byName('local-order-events-dlq').messages.size, 0)
  await t.rejects(
    sqs.send(new StartMessageMoveTaskCommand({ SourceArn: destination })),
    { name: 'InvalidParameterValue' },
    'only from a dead-letter queue, as SQS'
  )
})

t.test('kept on disk: a restart keeps sent messages, and returns in-flight ones at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'local-queues-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const before = await messaging(t, dir)
  const effects = await before.url('local-order-effects')
  await before.events.send(
    new PutEventsCommand({
      Entries: [{
        EventBusName: BUS,
        Source: 'serverless-commerce.orders',
        DetailType: 'OrderPlaced',
        Detail: detail('placed')
      }]
    })
  )
  await before.sqs.send(new SendMessageCommand({ QueueUrl: effects, MessageBody: '{"n":2}' }))
  await before.sqs.send(new ReceiveMessageCommand({ QueueUrl: effects }))
  await before.m.stop()
  const after = await messaging(t, dir)
  const got = (await after.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: await after.url('local-order-effects'), MaxNumberOfMessages: 10 })
  )).Messages ?? []
  t.equal(got.length, 2, 'both messages, the one being handled included')
  t.same(got.map((x) => JSON.parse(x.Body ?? '{}')['detail-type'] ?? 'plain').sort(), ['OrderPlaced', 'plain'])
})

t.test("the rules come from the template: the order events' and SES's mail feedback, both to the effects queue", async (
  t
) => {
  t.same(
    templateRules().map((r) => [r.name, r.targets]).sort(),
    [['MailFeedbackRule', [{ queue: 'OrderEffectsQueue' }]], ['OrderEventsRule', [{ queue: 'OrderEffectsQueue' }]]]
  )
})
