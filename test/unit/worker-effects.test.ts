// Events to effects, as the effects queue delivers them: SES and SQS faked by aws-sdk-client-mock,
// webhooks by a fake fetch, the effects ledger in memory (same conditions as the DynamoDB one).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { mockClient } from 'aws-sdk-client-mock'
import { SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses'
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs'
import type { SQSRecord } from 'aws-lambda'
import { createHandler } from '../../workers/dispatch.js'
import { EFFECT_RETRY_DELAYS_S } from '../../workers/delivery-policy.js'
import { checkWebhookSignature as verifyWebhook } from '../../clients/typescript/src/webhooks.js'
import { order, orderEvent, sqsMessage, testRuntime, TEST_WORKER_ENV } from '../helpers/worker-fixtures.js'
import type { PublicOrder } from '../../domain/events.js'

interface Call { url: string; headers: Record<string, string>; body: string }

/** A fetch that records each call and answers with the next status (200 when none are left). */
function fakeFetch (statuses: number[] = []) {
  const calls: Call[] = []
  const fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push({ url: String(url), headers: init?.headers as Record<string, string>, body: String(init?.body) })
    const status = statuses.shift() ?? 200
    return new Response(status === 204 ? null : 'ok', { status })
  }
  return { calls, fetch: fetch as typeof globalThis.fetch, statuses }
}

/** The fixtures' orders change status in January 2025: the worker's clock a day later. */
const SOON_AFTER = Date.parse('2025-01-03T03:04:05.000Z')

function setup (statuses: number[] = [], env: Record<string, string> = {}) {
  const web = fakeFetch(statuses)
  const runtime = testRuntime({ fetch: web.fetch, now: () => SOON_AFTER }, env)
  const ses = mockClient(runtime.ses)
  const sqs = mockClient(runtime.sqs)
  sqs.on(SendMessageCommand).resolves({ MessageId: 'parked' })
  sqs.on(ChangeMessageVisibilityCommand).resolves({})
  const emails: SendEmailCommandInput[] = []
  const sesFailures: Error[] = []
  ses.on(SendEmailCommand).callsFake((input: SendEmailCommandInput) => {
    const failure = sesFailures.shift()
    if (failure !== undefined) throw failure
    emails.push(input)
    return { MessageId: `m-${emails.length}` }
  })
  const handle = createHandler(runtime)
  /** Delivers messages as the effects queue does; the ids Lambda would keep for a retry. */
  const deliver = async (...messages: SQSRecord[]): Promise<string[]> => {
    const res = await handle({ Records: messages }) as { batchItemFailures: Array<{ itemIdentifier: string }> }
    return res.batchItemFailures.map((f) => f.itemIdentifier)
  }
  return { runtime, web, emails, sesFailures, sqs, handle, deliver }
}

const subjects = (emails: SendEmailCommandInput[]): string[] => emails.map((e) => e.Message!.Subject!.Data!)
const history = (...statuses: PublicOrder['status'][]) =>
  statuses.map((status, i) => ({ status, at: `2025-01-02T03:0${i}:05.123Z`, by: 'user:user-1' }))
const awsError = (name: string, fault: 'client' | 'server') => Object.assign(
  new Error(name),
  { name, $fault: fault, $metadata: {} }
)

t.test('OrderPlaced: a signed warehouse webhook with its sequence and a millisecond time, and the "placed" ' +
  'email', async (t) => {
  const { web, emails, deliver } = setup()
  const o = order()
  t.same(await deliver(sqsMessage(orderEvent(o))), [], 'nothing to retry')
  t.equal(web.calls.length, 1)
  const [call] = web.calls
  t.equal(call.url, 'http://warehouse.test/hooks')
  t.equal(call.headers['content-type'], 'application/json')
  t.equal(call.headers['x-commerce-event-id'], 'ord-1:placed')
  t.equal(call.headers['x-commerce-event-type'], 'OrderPlaced')
  t.ok(
    verifyWebhook(TEST_WORKER_ENV.WAREHOUSE_WEBHOOK_SECRET, call.body, call.headers['x-commerce-signature']).ok,
    'signed with the warehouse key'
  )
  t.notOk(
    verifyWebhook(TEST_WORKER_ENV.DELIVERY_WEBHOOK_SECRET, call.body, call.headers['x-commerce-signature']).ok,
    'not with the delivery key'
  )
  const body = JSON.parse(call.body)
  t.match(body, {
    eventId: 'ord-1:placed',
    type: 'OrderPlaced',
    sequence: 1,
    sequenceNumber: '000000000000000001001',
    occurredAt: '2025-01-02T03:04:05.000Z',
    order: { id: 'ord-1', status: 'placed', lines: [{ id: 'item-1', count: 2 }, { id: 'item-2', count: 1 }] }
  })
  t.match(body.occurredAt, /\.\d{3}Z$/, 'milliseconds')
  t.notOk('customer' in body, 'the warehouse does not get the customer email')
  t.equal(body.order.recipient, null, 'an order placed without an address says so')
  t.notMatch(call.body, /ada@example\.com|user-/, 'no customer email or user id anywhere in the body')
  t.equal(emails.length, 1)
  t.same(emails[0].Destination, { ToAddresses: ['ada@example.com'] })
  t.equal(emails[0].Source, 'shop@example.com')
  t.same(emails[0].ReplyToAddresses, ['help@example.com'])
  t.same(subjects(emails), ['Order placed — #ord-1'])
  t.ok(emails[0].Message!.Body!.Html!.Data!.includes('Phone &lt;b&gt;X&lt;/b&gt;'))
  t.ok(emails[0].Message!.Body!.Text!.Data!.includes('Total: $1,019.97'))
})

/** Records the order's emails up to `upTo` as sent (each email waits for the one before it). */
async function emailsSent (runtime: ReturnType<typeof testRuntime>, orderId: string, upTo: number): Promise<void> {
  const c = await runtime.ledger.claim(orderId, 'email', upTo, 1000)
  if (c.outcome !== 'claimed') throw new Error(`claim: ${c.outcome}`)
  await runtime.ledger.complete(orderId, 'email', upTo, c.token)
}

t.test('OrderPacked: the delivery webhook (sequence 2); OrderDelivered: only the email; OrderCancelled: warehouse ' +
  'and email', async (t) => {
  const { web, emails, deliver, runtime } = setup()
  await emailsSent(runtime, 'ord-1', 1)
  await emailsSent(runtime, 'ord-2', 1)
  await deliver(
    sqsMessage(orderEvent(order({ status: 'packed', packageId: 'PKG-1', history: history('placed', 'packed') })))
  )
  t.equal(web.calls.length, 1)
  t.equal(web.calls[0].url, 'http://delivery.test/hooks')
  t.ok(
    verifyWebhook(
      TEST_WORKER_ENV.DELIVERY_WEBHOOK_SECRET,
      web.calls[0].body,
      web.calls[0].headers['x-commerce-signature']
    ).ok
  )
  t.match(JSON.parse(web.calls[0].body), {
    type: 'OrderPacked',
    sequence: 2,
    pickupAddress: '1 Dock Road',
    shippingAddress: null,
    order: {
      id: 'ord-1',
      packageId: 'PKG-1',
      lines: [{ title: 'Phone <b>X</b>', color: 'Midnight & Blue', count: 2 }, { title: 'Case', count: 1 }]
    }
  })
  t.notOk('customer' in JSON.parse(web.calls[0].body), 'the delivery service does not get the customer email')
  await deliver(
    sqsMessage(orderEvent(order({ status: 'delivered', history: history('placed', 'packed', 'delivered') })))
  )
  t.equal(web.calls.length, 1, 'no webhook for delivered')
  await deliver(
    sqsMessage(orderEvent(order({ id: 'ord-2', status: 'cancelled', history: history('placed', 'cancelled') })))
  )
  t.equal(web.calls.length, 2)
  t.match(JSON.parse(web.calls[1].body), { type: 'OrderCancelled', sequence: 2, order: { id: 'ord-2' } })
  t.same(subjects(emails), ['Order packed — #ord-1', 'Order delivered — #ord-1', 'Order cancelled — #ord-2'])
})

t.test('redelivered and re-published events send nothing twice', async (t) => {
  const { web, emails, deliver, runtime } = setup()
  const o = order()
  await deliver(sqsMessage(orderEvent(o, 'evt-1')))
  await deliver(sqsMessage(orderEvent(o, 'evt-1'), 2))
  await deliver(sqsMessage({ ...orderEvent(o, 'evt-republished'), detail: { ...o, sequenceNumber: '999' } }))
  await deliver(sqsMessage({ ...orderEvent(o, 'evt-replayed'), detail: { ...o, replayed: true } }))
  t.equal(web.calls.length, 1, 'one webhook call')
  t.equal(emails.length, 1, 'one email')
  t.equal(runtime.log.lines.filter((l) => l.message === 'order effect already done').length, 6, 'each skip is logged')
})

t.test('order: the warehouse never gets "placed" after "cancelled"; the customer gets both, in order', async (t) => {
  // The shopper cancels within a second; OrderCancelled reaches the worker first (a standard queue
  // does not keep order, and a failed OrderPlaced comes back minutes later).
  const { web, emails, deliver, runtime } = setup()
  const placed = order({ id: 'ord-c' })
  const cancelled = order({
    id: 'ord-c',
    status: 'cancelled',
    updatedAt: '2025-01-02T03:04:06.000Z',
    history: history('placed', 'cancelled')
  })
  const early = sqsMessage(orderEvent(cancelled))
  t.same(await deliver(early), [early.messageId], 'OrderCancelled is retried: its email waits for the "placed" one')
  t.same(await deliver(sqsMessage(orderEvent(placed))), [], 'the late OrderPlaced is done with, not retried')
  t.same(await deliver({ ...early, attributes: { ...early.attributes, ApproximateReceiveCount: '2' } }), [])
  t.same(
    web.calls.map((c) => JSON.parse(c.body).type),
    ['OrderCancelled'],
    'the warehouse never hears "placed" after "cancelled"'
  )
  t.same(subjects(emails), ['Order placed — #ord-c', 'Order cancelled — #ord-c'], 'every email, in order')
  const skip = runtime.log.lines.filter((l) => l.message === 'order effect skipped: a newer one was sent')
  const about = { orderId: 'ord-c', effect: 'warehouse-webhook', sequence: 1, done: 2 }
  t.match(skip, [{ level: 'warn', extra: about }], 'the superseded webhook is a warning')
  const superseded = runtime.metrics.counts.filter((c) => c.name === 'SupersededEffectsSkipped')
  t.same(superseded, [{ name: 'SupersededEffectsSkipped', dimensions: { Effect: 'warehouse-webhook' }, value: 1 }])

  // Both in one batch (processed concurrently): whichever goes first, never placed after cancelled,
  // and the customer's emails in order once the retried one is delivered again.
  for (let round = 0; round < 10; round++) {
    const run = setup()
    const id = `ord-${round}`
    const messages = [sqsMessage(orderEvent({ ...cancelled, id })), sqsMessage(orderEvent({ ...placed, id }))]
    const retried = await run.deliver(...messages)
    for (const m of messages.filter((m) => retried.includes(m.messageId))) {
      await run.deliver({ ...m, attributes: { ...m.attributes, ApproximateReceiveCount: '2' } })
    }
    const types = run.web.calls.map((c) => JSON.parse(c.body).type)
    t.ok(
      types.join() === 'OrderCancelled' || types.join() === 'OrderPlaced,OrderCancelled',
      `round ${round}: warehouse got ${types.join(', ')}`
    )
    const mails = subjects(run.emails).map((s) => s.split(' — ')[0])
    t.same(mails, ['Order placed', 'Order cancelled'], `round ${round}: both emails, in order`)
  }
})

t.test('a partner answering 5xx: retried later on the queue\'s schedule; the retry redoes only the ' +
  'webhook', async (t) => {
  const { web, emails, deliver, sqs, runtime } = setup([503, 500, 502])
  const message = sqsMessage(orderEvent(order()))
  t.same(await deliver(message), [message.messageId], 'kept for a retry')
  t.equal(web.calls.length, 3, 'three attempts in this delivery')
  t.equal(emails.length, 1, 'the email went out')
  const pause = sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input
  t.match(pause, { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/order-effects', ReceiptHandle: message.receiptHandle, VisibilityTimeout: EFFECT_RETRY_DELAYS_S[0] })
  t.ok(runtime.log.lines.some((l) => l.level === 'warn' && l.message === 'message failed, retried later'))

  t.same(await deliver({ ...message, attributes: { ...message.attributes, ApproximateReceiveCount: '2' } }), [])
  t.equal(web.calls.length, 4, 'the retried event calls the webhook again')
  t.equal(emails.length, 1, 'but does not send the email again')

  const last = setup([500, 500, 500])
  await last.deliver(sqsMessage(orderEvent(order()), EFFECT_RETRY_DELAYS_S.length + 1))
  t.ok(
    last.runtime.log.lines.some((l) => l.level === 'error' && /last attempt/.test(l.message)),
    'the last attempt says the queue parks it next'
  )
})

t.test('a partner answering 400, or SES rejecting the address: parked at once with the event, not ' +
  'retried', async (t) => {
  const refused = setup([400])
  const message = sqsMessage(orderEvent(order()))
  t.same(await refused.deliver(message), [], 'done with: not retried')
  t.equal(refused.web.calls.length, 1, 'one attempt')
  const parked = refused.sqs.commandCalls(SendMessageCommand)[0]?.args[0].input
  t.equal(parked?.QueueUrl, TEST_WORKER_ENV.EVENTS_DLQ_URL)
  t.equal(parked?.MessageBody, message.body, 'the event itself, replayable')
  t.match(
    parked?.MessageAttributes,
    {
      parkedBy: { StringValue: 'worker' },
      error: { StringValue: /warehouse-webhook \(WebhookError: warehouse webhook answered 400\)/ }
    }
  )
  t.equal(refused.emails.length, 1, 'the email still went out')

  const rejected = setup()
  rejected.sesFailures.push(awsError('MessageRejected', 'client'))
  t.same(await rejected.deliver(sqsMessage(orderEvent(order()))), [])
  t.equal(rejected.sqs.commandCalls(SendMessageCommand).length, 1, 'parked')

  const throttled = setup()
  throttled.sesFailures.push(awsError('TooManyRequestsException', 'client'))
  const m = sqsMessage(orderEvent(order()))
  t.same(await throttled.deliver(m), [m.messageId], 'SES throttling is retried')
  t.equal(throttled.web.calls.length, 1)
  t.same(await throttled.deliver(m), [])
  t.equal(throttled.web.calls.length, 1, 'the webhook is not called again')
  t.same(subjects(throttled.emails), ['Order placed — #ord-1'])

  // Parking itself failing: kept for a retry, never lost.
  const cannotPark = setup([400])
  cannotPark.sqs.on(SendMessageCommand).rejects(awsError('QueueDoesNotExist', 'client'))
  const kept = sqsMessage(orderEvent(order()))
  t.same(await cannotPark.deliver(kept), [kept.messageId])
})

t.test('no webhook URL (the template\'s default): that webhook is skipped with a log line and a metric, the rest ' +
  'goes on', async (t) => {
  const { web, emails, deliver, runtime } = setup([], { WAREHOUSE_WEBHOOK_URL: '' })
  t.same(await deliver(sqsMessage(orderEvent(order()))), [], 'not a failure')
  t.equal(web.calls.length, 0)
  t.same(subjects(emails), ['Order placed — #ord-1'])
  t.match(
    runtime.log.lines.find((l) => l.message === 'webhook skipped: no URL configured'),
    { level: 'info', extra: { partner: 'warehouse', setting: 'WAREHOUSE_WEBHOOK_URL' } }
  )
  t.same(
    runtime.metrics.counts.filter((c) => c.name === 'WebhooksSkipped'),
    [{ name: 'WebhooksSkipped', dimensions: { Partner: 'warehouse' }, value: 1 }]
  )
})

t.test('a delivery of an effect another delivery is doing waits for it, then skips it (no failure)', async (t) => {
  const { web, emails, deliver, runtime } = setup()
  const o = order()
  const claim = await runtime.ledger.claim(o.id, 'warehouse-webhook', 1, 60_000)
  if (claim.outcome !== 'claimed') throw new Error('claim')
  let polls = 0
  runtime.sleep = async () => {
    if (++polls === 3) await runtime.ledger.complete(o.id, 'warehouse-webhook', 1, claim.token)
  }
  t.same(await deliver(sqsMessage(orderEvent(o))), [])
  t.equal(web.calls.length, 0, 'the other delivery sent it')
  t.equal(emails.length, 1)
  // One that stays busy: retried later, not an error.
  const other = order({ id: 'ord-busy' })
  await runtime.ledger.claim(other.id, 'warehouse-webhook', 1, 60_000)
  const m = sqsMessage(orderEvent(other))
  t.same(await deliver(m), [m.messageId])
  t.notOk(runtime.log.lines.some((l) => l.level === 'error'), 'nothing logged as an error')
})

t.test('events no rule should have sent are parked; a bare EventBridge event still works and throws on failure', async (
  t
) => {
  const { deliver, sqs, handle } = setup()
  t.same(await deliver(sqsMessage({ ...orderEvent(order()), 'detail-type': 'OrderLost' })), [])
  t.same(await deliver(sqsMessage({ ...orderEvent(order()), 'detail-type': 'OrderPacked' })), [])
  t.same(await deliver(sqsMessage('not json')), [])
  t.equal(sqs.commandCalls(SendMessageCommand).length, 3, 'each parked')
  await t.rejects(handle({ something: 'else' } as any), /unrecognised event/)
  await handle(orderEvent(order({ id: 'bare' })))
  const failing = setup([500, 500, 500])
  await t.rejects(failing.handle(orderEvent(order())), { name: 'EventFailedError' })
})

t.test('the sample SQS event (events/sqs-order-placed.json) is handled as the effects queue delivers it', async (t) => {
  const { web, emails, handle } = setup()
  const sample = JSON.parse(readFileSync(new URL('../../events/sqs-order-placed.json', import.meta.url), 'utf8'))
  t.same(await handle(sample), { batchItemFailures: [] })
  t.equal(web.calls.length, 1)
  t.equal(emails.length, 1)
})

t.test('an error nobody expects (a bug) is logged with its stack; a partner\'s or an AWS service\'s answer ' +
  'without', async (t) => {
  const bug = setup()
  bug.sesFailures.push(new TypeError('cannot read properties of undefined'))
  t.equal((await bug.deliver(sqsMessage(orderEvent(order())))).length, 1, 'retried later')
  const bugLine = bug.runtime.log.lines.find((l) => l.message === 'message failed, retried later')
  t.match(
    bugLine?.extra,
    {
      reason: /email \(TypeError: cannot read properties of undefined\)/,
      stack: /^TypeError: cannot read properties of undefined\n {4}at /
    }
  )

  // Thrown past the effects (the ledger is below them): sqs-batch.ts's catch-all logs the stack too.
  const ledger = setup()
  ledger.runtime.ledger.claim = async () => { throw new Error('ledger down') }
  await ledger.deliver(sqsMessage(orderEvent(order())))
  t.match(
    ledger.runtime.log.lines.find((l) => l.message === 'message failed, retried later')?.extra,
    { reason: 'Error: ledger down', stack: /^Error: ledger down\n {4}at / }
  )

  const expected = setup([503, 503, 503])
  expected.sesFailures.push(awsError('TooManyRequestsException', 'client'))
  await expected.deliver(sqsMessage(orderEvent(order())))
  const line = expected.runtime.log.lines.find((l) => l.message === 'message failed, retried later')
  t.match(line?.extra, { reason: /TooManyRequestsException/ })
  t.notOk('stack' in (line?.extra ?? {}), 'answers the code expects carry no stack')
})

// The worker mails only addresses verified when the order was placed.
t.test('an order whose address was not verified gets its webhook but no email', async (t) => {
  for (const o of [
    order({ userEmailVerified: undefined, userEmail: 'victim@example.com' }),
    order({ userEmailVerified: false, userEmail: 'victim@example.com' })
  ]) {
    const { web, emails, handle } = setup()
    await handle(orderEvent(o))
    t.equal(web.calls.length, 1, 'the warehouse still hears of the order')
    t.same(emails, [], 'no mail to an address nobody proved')
  }
})
