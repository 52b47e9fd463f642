// The worker's metrics, correlation id and mail suppression, with SES faked by aws-sdk-client-mock,
// webhooks by a fake fetch, the idempotency records and the suppression list in memory, and the
// metrics read from the EMF lines the worker writes at the end of each invocation.
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import { SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses'
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge'
import { createHandler } from '../../workers/dispatch.js'
import type { MailFeedbackEvent } from '../../workers/mail-feedback-event.js'
import { memoryLog, order, orderEvent, statusRecord, testRuntime } from '../helpers/worker-fixtures.js'
import { capturedMetrics } from '../helpers/metrics.js'

interface Call { url: string; headers: Record<string, string> }

function setup (statuses: number[] = [], env: Record<string, string> = {}) {
  const calls: Call[] = []
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), headers: init?.headers as Record<string, string> })
    return new Response('ok', { status: statuses.shift() ?? 200 })
  }) as typeof globalThis.fetch
  const captured = capturedMetrics('shop-worker')
  const runtime = testRuntime({ fetch, metrics: captured.sink, log: memoryLog() }, env)
  const emails: SendEmailCommandInput[] = []
  const sesFailures: Error[] = []
  mockClient(runtime.ses).on(SendEmailCommand).callsFake((input: SendEmailCommandInput) => {
    const failure = sesFailures.shift()
    if (failure !== undefined) throw failure
    emails.push(input)
    return { MessageId: `ses-${emails.length}` }
  })
  const count = (name: string, dims: Record<string, string> = {}): number => captured.named(name)
    .filter((m) => Object.entries(dims).every(([k, v]) => m.dimensions[k] === v))
    .reduce((sum, m) => sum + [m.value].flat().reduce<number>((a, v) => a + Number(v), 0), 0)
  return { runtime, calls, emails, sesFailures, captured, count, handle: createHandler(runtime) }
}

const withCorrelation = (o: ReturnType<typeof order>, correlationId: string) => ({
  ...orderEvent(o),
  detail: { ...orderEvent(o).detail, correlationId }
})

t.test('an order event: x-correlation-id on the webhook, the id on every log line, the email logged; ' +
  'metrics', async (t) => {
  const { runtime, calls, emails, captured, count, handle } = setup()
  await handle(withCorrelation(order(), 'req-abc-123'))
  t.equal(calls.length, 1)
  t.equal(calls[0]!.headers['x-correlation-id'], 'req-abc-123', 'the webhook carries the request id')
  t.equal(emails.length, 1)
  t.equal(emails[0]!.ConfigurationSetName, undefined, 'no configuration set configured, none sent')
  const lines = runtime.log.lines.filter((l) => l.extra?.orderId === 'ord-1')
  t.ok(lines.length >= 3, `${lines.length} log lines about the order`)
  for (const line of lines) {
    t.equal(
      line.extra?.correlationId,
      'req-abc-123',
    `"${line.message}" carries the correlation id`
    )
  }
  t.match(
    runtime.log.lines.find((l) => l.message === 'order email sent')?.extra,
    { orderId: 'ord-1', status: 'placed', correlationId: 'req-abc-123', messageId: 'ses-1' }
  )

  t.equal(count('WebhooksDelivered', { Partner: 'warehouse' }), 1)
  t.equal(count('EmailsSent'), 1)
  const latency = captured.named('WebhookLatency')
  t.equal(latency.length, 1)
  t.match(latency[0], { unit: 'Milliseconds', dimensions: { service: 'shop-worker', Partner: 'warehouse' } })
  t.ok(Number(latency[0]!.value) >= 0)
  t.equal(captured.named('DuplicateEffectsSkipped').length, 0)

  // A redelivery: nothing is sent again, both effects are counted as skipped duplicates.
  await handle(withCorrelation(order(), 'req-abc-123'))
  t.equal(calls.length, 1)
  t.equal(emails.length, 1)
  t.equal(count('DuplicateEffectsSkipped', { Effect: 'email' }), 1)
  t.equal(count('DuplicateEffectsSkipped', { Effect: 'warehouse-webhook' }), 1)
})

t.test('failures are counted: a webhook that fails every attempt, an email SES refuses', async (t) => {
  const { count, sesFailures, handle } = setup([503, 503, 503])
  sesFailures.push(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }))
  await t.rejects(handle(orderEvent(order())))
  t.equal(count('WebhooksFailed', { Partner: 'warehouse' }), 1, 'one failed delivery (three attempts)')
  t.equal(count('WebhooksDelivered'), 0)
  t.equal(count('EmailsFailed'), 1)
  t.equal(count('EmailsSent'), 0)
})

t.test('the configuration set goes with every email', async (t) => {
  const { emails, handle } = setup([], { SES_CONFIGURATION_SET: 'shop-prod-order-mail' })
  await handle(orderEvent(order()))
  t.equal(emails[0]?.ConfigurationSetName, 'shop-prod-order-mail')
})

t.test('a stream record: its event carries the correlation id from the history, which stays internal', async (t) => {
  const eventbridge = new EventBridgeClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' }
  })
  const sent: PutEventsCommandInput[] = []
  mockClient(eventbridge).on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => {
    sent.push(input)
    return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `e${i}` })) }
  })
  const captured = capturedMetrics()
  const runtime = testRuntime({ eventbridge, metrics: captured.sink })
  const placed = order({
    history: [{ status: 'placed', at: '2025-01-02T03:04:05.000Z', by: 'user:user-1', requestId: 'req-place' }]
  })
  const packed = order({
    status: 'packed',
    history: [
      ...placed.history,
      { status: 'packed', at: '2025-01-02T04:00:00.000Z', by: 'partner:warehouse', requestId: 'req-pack' }
    ]
  })
  await createHandler(runtime)({ Records: [statusRecord(placed), statusRecord(packed, 'placed')] })
  const details = sent.flatMap((s) => s.Entries ?? []).map((e) => JSON.parse(e.Detail!))
  t.same(
    details.map((d) => d.correlationId),
    ['req-place', 'req-pack'],
    "each event carries its own change's request id"
  )
  t.notMatch(
    JSON.stringify(details.map((d) => d.history)),
    /requestId/,
    "the history on the bus is the API's: no request ids"
  )
  t.same(
    captured.named('EventsPublished').map((m) => [m.dimensions.EventType, m.value]),
    [['OrderPlaced', 1], ['OrderPacked', 1]]
  )
})

function feedback (
  type: 'Email Bounced' | 'Email Complaint Received',
  detail: MailFeedbackEvent['detail']
): MailFeedbackEvent {
  return {
    version: '0',
    id: 'fb-1',
    'detail-type': type,
    source: 'aws.ses',
    account: '123456789012',
    time: '2026-11-25T10:30:02Z',
    region: 'us-east-1',
    resources: [],
    detail
  }
}
const mail = (set = 'shop-order-mail') => ({ messageId: 'ses-9', tags: { 'ses:configuration-set': [set] } })

t.test('a hard bounce or a complaint suppresses the address from later order mail; a soft bounce does ' +
  'not', async (t) => {
  const { runtime, emails, count, handle } = setup([], { SES_CONFIGURATION_SET: 'shop-order-mail' })
  await handle(
    feedback(
      'Email Bounced',
      {
        mail: mail(),
        bounce: {
          bounceType: 'Transient',
          bounceSubType: 'MailboxFull',
          bouncedRecipients: [{ emailAddress: 'Ada@Example.com' }]
        }
      }
    )
  )
  t.equal(runtime.suppressions.entries.size, 0, 'a full mailbox is not suppressed')
  await handle(
    feedback(
      'Email Bounced',
      {
        mail: mail('another-stack-order-mail'),
        bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'ada@example.com' }] }
      }
    )
  )
  t.equal(runtime.suppressions.entries.size, 0, "another configuration set's report is ignored")
  await handle(
    feedback(
      'Email Bounced',
      {
        mail: mail(),
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: [{ emailAddress: 'Ada@Example.com' }]
        }
      }
    )
  )
  t.match(
    runtime.suppressions.entries.get('ada@example.com'),
    { reason: 'bounce', detail: 'Permanent/General', messageId: 'ses-9' },
    'suppressed, by its lower-cased address'
  )
  t.equal(count('MailFeedback', { Kind: 'bounce' }), 2, 'both bounces of our set are counted')
  t.notMatch(JSON.stringify(runtime.log.lines), /ada@example\.com/i, 'the address is not logged')

  // The next order email to that address is not sent; the effect is done (not retried).
  await handle(orderEvent(order({ id: 'ord-2' })))
  t.equal(emails.length, 0, 'no email to a suppressed address')
  t.equal(count('EmailsSuppressed'), 1)
  t.ok(runtime.ledger.done().length >= 2, 'the email effect is recorded done, the webhook too')

  await handle(
    feedback(
      'Email Complaint Received',
      {
        mail: mail(),
        complaint: { complaintFeedbackType: 'abuse', complainedRecipients: [{ emailAddress: 'bob@example.com' }] }
      }
    )
  )
  t.match(runtime.suppressions.entries.get('bob@example.com'), { reason: 'complaint', detail: 'abuse' })
  t.equal(count('MailFeedback', { Kind: 'complaint' }), 1)
})
