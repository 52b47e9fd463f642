// The document's `webhooks` section says what the worker really sends: each webhook the effects
// handler sends (a fake fetch records it) has a body valid against its named schema, every header
// the document declares (the signature included, in the documented form), and the client's
// verifyWebhook hands the partner that body, typed.
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import { SendEmailCommand } from '@aws-sdk/client-ses'
import { createHandler } from '../../workers/dispatch.js'
import { verifyWebhook } from '../../clients/typescript/src/webhooks.js'
import { order, orderEvent, sqsMessage, testRuntime, TEST_WORKER_ENV } from '../helpers/worker-fixtures.js'
import type { OrderStatus } from '../../domain/events.js'
import { createContractChecker } from '../helpers/contract.js'
import { build } from '../helpers/app.js'

type Json = Record<string, any>
interface Call { url: string, headers: Record<string, string>, body: string }

const KEY_OF: Record<string, string> = {
  OrderPlaced: TEST_WORKER_ENV.WAREHOUSE_WEBHOOK_SECRET!,
  OrderCancelled: TEST_WORKER_ENV.WAREHOUSE_WEBHOOK_SECRET!,
  OrderPacked: TEST_WORKER_ENV.DELIVERY_WEBHOOK_SECRET!
}

const at = (status: OrderStatus, i: number) => ({ status, at: `2025-01-02T03:0${i}:05.123Z`, by: 'user:user-1' })

async function sentWebhooks (): Promise<Call[]> {
  const calls: Call[] = []
  const fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push({ url: String(url), headers: init?.headers as Record<string, string>, body: String(init?.body) })
    return new Response('ok', { status: 200 })
  }
  const runtime = testRuntime({ fetch: fetch as typeof globalThis.fetch })
  mockClient(runtime.ses).on(SendEmailCommand).resolves({ MessageId: 'm-1' })
  const handle = createHandler(runtime)
  const placed = order({ note: 'Leave at the door' })
  const packed = order({
    id: 'ord-2', status: 'packed', packageId: 'PKG-1', history: [at('placed', 0), at('packed', 1)]
  })
  const cancelled = order({ id: 'ord-3', status: 'cancelled', history: [at('placed', 0), at('cancelled', 1)] })
  const replayed = order({ id: 'ord-4', lines: [{ id: 'item-2', title: 'Case', count: 1, unitPrice: 1999 }] })
  const replayedEvent = orderEvent(replayed, 'evt-4')
  delete replayedEvent.detail.sequenceNumber
  const events = [
    orderEvent(placed, 'evt-1'), orderEvent(packed, 'evt-2'), orderEvent(cancelled, 'evt-3'), replayedEvent
  ]
  events[1]!.detail.correlationId = 'req-packed'
  await handle({ Records: events.map((e) => sqsMessage(e)) })
  return calls
}

t.test('every webhook the worker sends matches the document', async (t) => {
  const app = await build(t)
  const doc: Json = (await app.inject({ url: '/openapi.json' })).json()
  const checker = createContractChecker(doc)
  t.same(Object.keys(doc.webhooks).sort(), ['OrderCancelled', 'OrderPacked', 'OrderPlaced'])

  const calls = await sentWebhooks()
  t.same(calls.map((c) => c.headers['x-commerce-event-type']).sort(),
    ['OrderCancelled', 'OrderPacked', 'OrderPlaced', 'OrderPlaced'])
  for (const call of calls) {
    const type = call.headers['x-commerce-event-type']!
    const op = doc.webhooks[type].post
    const media = op.requestBody.content['application/json']
    t.equal(media.schema.$ref, `#/components/schemas/${type}Webhook`, `${type}: a named payload`)
    const body = JSON.parse(call.body)
    const schema = `/components/schemas/${type}Webhook`
    t.same(checker.validate(schema, body), [], `${type}: the body sent matches its schema`)
    t.same(checker.validate(schema, media.example), [], `${type}: the example too`)
    for (const [i, header] of (op.parameters as Json[]).entries()) {
      t.equal(header.in, 'header')
      const value = call.headers[header.name]
      if (header.required !== true && value === undefined) continue
      t.type(value, 'string', `${type}: sends ${header.name}`)
      t.same(checker.validate(`/webhooks/${type}/post/parameters/${i}/schema`, value), [],
        `${type}: ${header.name} as documented`)
    }
    const event = verifyWebhook(KEY_OF[type]!, call.body, call.headers['x-commerce-signature'])
    t.same(event, body, `${type}: verifyWebhook returns the payload`)
    // Typed by its `type`: only a packed event has the pickup address, only the others a status.
    if (event?.type === 'OrderPacked') t.type(event.pickupAddress, 'string')
    else if (event !== undefined) t.match(event.order.status, /^(placed|cancelled)$/)
  }
  t.ok(calls.some((c) => c.headers['x-correlation-id'] === 'req-packed'), 'the correlation id when the event has one')
  t.equal(verifyWebhook('another-key-0123456789', calls[0]!.body, calls[0]!.headers['x-commerce-signature']), undefined,
    'a wrong key gives nothing')

  const checkSchema = (name: string, value: unknown): string[] => checker.validate(`/components/schemas/${name}`, value)
  const extra = { ...JSON.parse(calls[0]!.body), extra: 1 }
  t.not(checkSchema('OrderPlacedWebhook', extra).length, 0, 'the schemas are strict')
})
