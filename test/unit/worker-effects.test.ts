// Events to effects, with SES faked by aws-sdk-client-mock, webhooks by a fake fetch and the
// idempotency records in memory.
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import { SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2'
import { createHandler } from '../../workers/dispatch.js'
import { checkWebhookSignature as verifyWebhook } from '../../clients/typescript/src/webhooks.js'
import { order, orderEvent, testRuntime, TEST_WORKER_ENV } from '../helpers/worker-fixtures.js'

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

function setup (statuses: number[] = [], env: Record<string, string> = {}) {
  const web = fakeFetch(statuses)
  const rt = testRuntime({ fetch: web.fetch }, env)
  const ses = mockClient(rt.ses)
  const emails: SendEmailCommandInput[] = []
  const sesFailures: Error[] = []
  ses.on(SendEmailCommand).callsFake((input: SendEmailCommandInput) => {
    const failure = sesFailures.shift()
    if (failure !== undefined) throw failure
    emails.push(input)
    return { MessageId: `m-${emails.length}` }
  })
  return { rt, web, emails, sesFailures, handle: createHandler(rt) }
}

const subjects = (emails: SendEmailCommandInput[]): string[] => emails.map((e) => e.Content!.Simple!.Subject!.Data!)

t.test('OrderPlaced: a signed warehouse webhook and the "placed" email', async (t) => {
  const { web, emails, handle } = setup()
  const o = order()
  await handle(orderEvent(o))
  t.equal(web.calls.length, 1)
  const [call] = web.calls
  t.equal(call.url, 'http://warehouse.test/hooks')
  t.equal(call.headers['content-type'], 'application/json')
  t.equal(call.headers['x-commerce-event-id'], 'ord-1:placed')
  t.equal(call.headers['x-commerce-event-type'], 'OrderPlaced')
  t.ok(verifyWebhook(TEST_WORKER_ENV.WAREHOUSE_WEBHOOK_SECRET, call.body, call.headers['x-commerce-signature']).ok, 'signed with the warehouse key')
  t.notOk(verifyWebhook(TEST_WORKER_ENV.DELIVERY_WEBHOOK_SECRET, call.body, call.headers['x-commerce-signature']).ok, 'not with the delivery key')
  const body = JSON.parse(call.body)
  t.match(body, { eventId: 'ord-1:placed', type: 'OrderPlaced', order: { id: 'ord-1', status: 'placed', lines: [{ id: 'item-1', count: 2 }, { id: 'item-2', count: 1 }] } })
  t.notOk('customer' in body, 'the warehouse does not get the customer email')
  t.equal(emails.length, 1)
  t.same(emails[0].Destination, { ToAddresses: ['ada@example.com'] })
  t.equal(emails[0].FromEmailAddress, 'shop@example.com')
  t.same(emails[0].ReplyToAddresses, ['help@example.com'])
  t.same(subjects(emails), ['Order placed — #ord-1'])
  t.ok(emails[0].Content!.Simple!.Body!.Html!.Data!.includes('Phone &lt;b&gt;X&lt;/b&gt;'))
  t.ok(emails[0].Content!.Simple!.Body!.Text!.Data!.includes('Total: $1,019.97'))
})

t.test('OrderPacked: the delivery webhook with pickup address, customer email and lines; the "packed" email', async (t) => {
  const { web, emails, handle } = setup()
  await handle(orderEvent(order({ status: 'packed', packageId: 'PKG-1' })))
  t.equal(web.calls.length, 1)
  t.equal(web.calls[0].url, 'http://delivery.test/hooks')
  t.ok(verifyWebhook(TEST_WORKER_ENV.DELIVERY_WEBHOOK_SECRET, web.calls[0].body, web.calls[0].headers['x-commerce-signature']).ok)
  t.match(JSON.parse(web.calls[0].body), {
    type: 'OrderPacked', pickupAddress: '1 Dock Road', customer: { email: 'ada@example.com' },
    order: { id: 'ord-1', packageId: 'PKG-1', lines: [{ title: 'Phone <b>X</b>', color: 'Midnight & Blue', count: 2 }, { title: 'Case', count: 1 }] }
  })
  t.same(subjects(emails), ['Order packed — #ord-1'])
})

t.test('OrderDelivered: only the email; OrderCancelled: the warehouse webhook and the email', async (t) => {
  const { web, emails, handle } = setup()
  await handle(orderEvent(order({ status: 'delivered' })))
  t.equal(web.calls.length, 0)
  await handle(orderEvent(order({ id: 'ord-2', status: 'cancelled' })))
  t.equal(web.calls.length, 1)
  t.equal(web.calls[0].url, 'http://warehouse.test/hooks')
  t.equal(JSON.parse(web.calls[0].body).type, 'OrderCancelled')
  t.same(subjects(emails), ['Order delivered — #ord-1', 'Order cancelled — #ord-2'])
})

t.test('a redelivered event sends nothing twice', async (t) => {
  const { web, emails, handle } = setup()
  const o = order()
  await handle(orderEvent(o, 'evt-1'))
  await handle(orderEvent(o, 'evt-1'))
  await handle({ ...orderEvent(o, 'evt-republished'), detail: { ...o, sequenceNumber: '999' } } as any)
  t.equal(web.calls.length, 1, 'one webhook call')
  t.equal(emails.length, 1, 'one email')
})

t.test('webhook 5xx is retried, then fails the event; the retry redoes only the webhook', async (t) => {
  const { web, emails, handle, rt } = setup([503, 500, 502])
  const event = orderEvent(order())
  await t.rejects(handle(event), { name: 'EffectsFailedError', message: /warehouse-webhook \(WebhookError: warehouse webhook answered 502 after 3 attempts\)/ })
  t.equal(web.calls.length, 3, 'three attempts')
  t.equal(emails.length, 1, 'the email went out')
  t.ok(rt.log.lines.some((l) => l.level === 'error' && l.message === 'order event failed'), 'the failure is logged')
  await handle(event)
  t.equal(web.calls.length, 4, 'the retried event calls the webhook again')
  t.equal(emails.length, 1, 'but does not send the email again')
})

t.test('429 is retried, a Retry-After honoured; other 4xx are not retried', async (t) => {
  const ok = setup([429])
  await ok.handle(orderEvent(order()))
  t.equal(ok.web.calls.length, 2)
  const refused = setup([400])
  await t.rejects(refused.handle(orderEvent(order())), /answered 400/)
  t.equal(refused.web.calls.length, 1)
})

t.test('a webhook that does not answer in time is aborted and retried', async (t) => {
  let calls = 0
  const hang = (async (_url: string, init: RequestInit) => {
    calls++
    return new Promise((resolve, reject) => {
      init.signal!.addEventListener('abort', () => reject(init.signal!.reason))
    })
  }) as unknown as typeof fetch
  const rt = testRuntime({ fetch: hang }, { WEBHOOK_TIMEOUT_MS: '100' })
  const ses = mockClient(rt.ses)
  ses.on(SendEmailCommand).resolves({ MessageId: 'm' })
  await t.rejects(createHandler(rt)(orderEvent(order())), /failed \(TimeoutError\) after 3 attempts/)
  t.equal(calls, 3)
})

t.test('SES throttling fails the event; the retry sends only the email', async (t) => {
  const { web, emails, sesFailures, handle } = setup()
  sesFailures.push(Object.assign(new Error('Maximum sending rate exceeded.'), { name: 'TooManyRequestsException', $metadata: {} }))
  const event = orderEvent(order())
  await t.rejects(handle(event), { name: 'EffectsFailedError', message: /email \(TooManyRequestsException/ })
  t.equal(web.calls.length, 1)
  t.equal(emails.length, 0)
  await handle(event)
  t.equal(web.calls.length, 1, 'the webhook is not called again')
  t.same(subjects(emails), ['Order placed — #ord-1'])
})

t.test('an event no rule should have sent, or a missing webhook URL, fails loudly', async (t) => {
  const { handle } = setup()
  await t.rejects(handle({ ...orderEvent(order()), 'detail-type': 'OrderLost' } as any), { name: 'UnexpectedEventError' })
  await t.rejects(handle({ ...orderEvent(order()), 'detail-type': 'OrderPacked' } as any), /carries status placed/)
  await t.rejects(handle({ something: 'else' } as any), /unrecognised event/)
  const noUrl = setup([], { WAREHOUSE_WEBHOOK_URL: '' })
  await t.rejects(noUrl.handle(orderEvent(order())), /no warehouse webhook URL is configured/)
})

// Issue #20, finding 1: the worker mails only addresses verified when the order was placed.
t.test('an order whose address was not verified gets its webhook but no email', async (t) => {
  for (const o of [order({ userEmailVerified: undefined, userEmail: 'victim@example.com' }), order({ userEmailVerified: false, userEmail: 'victim@example.com' })]) {
    const { web, emails, handle } = setup()
    await handle(orderEvent(o))
    t.equal(web.calls.length, 1, 'the warehouse still hears of the order')
    t.same(emails, [], 'no mail to an address nobody proved')
  }
})
