// The webhooks the worker sends partners (workers/effects.ts webhookPayload, docs/webhooks.md),
// described in the OpenAPI document's `webhooks` section (OpenAPI 3.1): one operation per event
// type, with its payload (a named schema), its headers and the signature, so Swagger UI shows them
// and generators type them. The payload schemas are registered like the routes' (plugins/openapi.ts).
import { Type, type Static } from '@sinclair/typebox'
import {
  CORRELATION_ID_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER
} from '../domain/webhook-signature.js'

const COMPONENT = '#/components/schemas/'

export const WebhookOrderLine = Type.Object({
  id: Type.String({ description: 'Item id' }),
  title: Type.String({ description: 'The item title when the order was placed' }),
  color: Type.Optional(Type.String({ description: 'Colour name when the order was placed' })),
  colorCode: Type.Optional(Type.String()),
  count: Type.Integer({ minimum: 1 })
}, { $id: 'WebhookOrderLine', additionalProperties: false })

const lines = Type.Array(Type.Unsafe<Static<typeof WebhookOrderLine>>(Type.Ref('WebhookOrderLine')))
// The order's ShippingAddress schema (routes/orders-schemas.ts), by its name: the document lists it once.
const shippingAddress = Type.Union([Type.Unsafe<Record<string, string>>(Type.Ref('ShippingAddress')), Type.Null()], {
  description: 'Where to deliver, with the phone for the courier; null for an order placed without a shipping address'
})
const recipient = Type.Union([
  Type.Object({
    name: Type.String({ description: 'The recipient, as the label shows it' }),
    country: Type.String({ description: 'ISO 3166-1 alpha-2' })
  }, { additionalProperties: false }),
  Type.Null()
], { description: 'For labels and customs papers; null for an order placed without a shipping address' })
const EXAMPLE_ADDRESS = {
  name: 'Zoë Ólafsdóttir',
  line1: 'Unter den Linden 77',
  city: 'Berlin',
  postalCode: '10117',
  country: 'DE',
  phone: '+4930123456789'
}

const common = <T extends string>(type: T) => ({
  eventId: Type.String({
    description: `\`<orderId>:<status>\`, as in the ${EVENT_ID_HEADER} header: deduplicate on it`
  }),
  type: Type.Literal(type),
  occurredAt: Type.String({ format: 'date-time', description: "When the order's status changed (UTC, milliseconds)" }),
  sequence: Type.Integer({
    minimum: 1,
    description: "The order's status-change number (1 placed, 2 packed or cancelled): within an order, higher is newer"
  }),
  sequenceNumber: Type.Optional(Type.String({
    pattern: '^[0-9]+$',
    description: 'The orders-table stream record the event came from; absent when an operator replayed the event'
  }))
})

const EXAMPLE_LINES = [
  { id: 'phone-apple-iphone-15', title: 'iPhone 15', color: 'Black', colorCode: '#000000', count: 1 },
  { id: 'case-apple-iphone-15-clear', title: 'iPhone 15 Clear Case', count: 2 }
]
const ORDER_ID = '3f0c9b1e-6a2d-4c1b-9e7a-2b8d5f4c1a90'

type WarehouseType = 'OrderPlaced' | 'OrderCancelled'
const warehouseEvent = <T extends WarehouseType>(type: T, status: 'placed' | 'cancelled', sequence: number) =>
  Type.Object({
    ...common(type),
    order: Type.Object({
      id: Type.String(),
      status: Type.Literal(status),
      createdAt: Type.String({ format: 'date-time' }),
      note: Type.Optional(Type.String({ description: 'Present when the order has one' })),
      lines,
      recipient
    }, { additionalProperties: false })
  }, {
    $id: `${type}Webhook`,
    additionalProperties: false,
    description: `The body of an ${type} webhook (to the warehouse)`,
    examples: [{
      eventId: `${ORDER_ID}:${status}`,
      type,
      occurredAt: '2024-11-25T06:00:00.123Z',
      sequence,
      sequenceNumber: '1000000000000000000001',
      order: {
        id: ORDER_ID,
        status,
        createdAt: '2024-11-25T06:00:00.000Z',
        lines: EXAMPLE_LINES,
        recipient: { name: EXAMPLE_ADDRESS.name, country: EXAMPLE_ADDRESS.country }
      }
    }]
  })

export const OrderPlacedWebhook = warehouseEvent('OrderPlaced', 'placed', 1)
export const OrderCancelledWebhook = warehouseEvent('OrderCancelled', 'cancelled', 2)

export const OrderPackedWebhook = Type.Object({
  ...common('OrderPacked'),
  order: Type.Object({
    id: Type.String(),
    packageId: Type.Optional(Type.String({ description: "The warehouse's package id, when it gave one" })),
    lines
  }, { additionalProperties: false }),
  pickupAddress: Type.String({ description: 'Where the delivery service picks the package up' }),
  shippingAddress
}, {
  $id: 'OrderPackedWebhook',
  additionalProperties: false,
  description: 'The body of an OrderPacked webhook (to the delivery service)',
  examples: [{
    eventId: `${ORDER_ID}:packed`,
    type: 'OrderPacked',
    occurredAt: '2024-11-25T07:30:00.456Z',
    sequence: 2,
    sequenceNumber: '1000000000000000000002',
    order: { id: ORDER_ID, packageId: 'PKG-20241125-0042', lines: EXAMPLE_LINES },
    pickupAddress: 'Serverless Commerce Warehouse, 1 Dock Road, Springfield',
    shippingAddress: EXAMPLE_ADDRESS
  }]
})

/** The payload schemas, registered with app.addSchema so the document lists them by name. */
export const WEBHOOK_SCHEMAS = [WebhookOrderLine, OrderPlacedWebhook, OrderCancelledWebhook, OrderPackedWebhook]

type Json = Record<string, unknown>
const header = (name: string, description: string, schema: Json, required = true): Json =>
  ({ name, in: 'header', required, description, schema })

const SIGNATURE = 'HMAC-SHA256, keyed by your webhook key, as hex (`t`: the header\'s unix seconds): `v2` over ' +
  '`<t>.<x-commerce-event-id>.<raw body>` (verify this one: it signs the id you deduplicate on), `v1` over ' +
  '`<t>.<raw body>` (kept for receivers written before v2). Check against the raw body bytes, in constant time, ' +
  'and refuse a `t` more than 5 minutes from your clock (`verifyWebhook` in our client package does all three). ' +
  'See docs/webhooks.md.'

const ANSWERS = {
  '2XX': { description: 'Stored. Answer within 5 s; the body is ignored' },
  default: {
    description: '408, 429, 5xx, a timeout or a refused connection: retried (up to 12 deliveries over about 94 ' +
      'minutes, then parked for an operator); any other status parks the event at once'
  }
}

type WebhookType = WarehouseType | 'OrderPacked'

function webhook (type: WebhookType, partner: string, summary: string, example: unknown): Json {
  return {
    post: {
      operationId: `on${type}`,
      summary,
      description: `Sent to the ${partner}'s webhook URL when ${summary.toLowerCase().replace(/\.$/, '')}. ` +
        `Deduplicate on \`${EVENT_ID_HEADER}\`: a webhook may arrive more than once.`,
      parameters: [
        header(SIGNATURE_HEADER, SIGNATURE, {
          type: 'string',
          pattern: '^t=[0-9]+(,v1=[0-9a-f]{64})+(,v2=[0-9a-f]{64})*$',
          examples: [`t=1732518000,v1=${'5d'.repeat(32)},v2=${'a7'.repeat(32)}`]
        }),
        header(EVENT_ID_HEADER, '`<orderId>:<status>`, the same on every retry, redelivery and replay', {
          type: 'string'
        }),
        header(EVENT_TYPE_HEADER, 'The event type, as the body\'s `type`', { type: 'string', const: type }),
        header(CORRELATION_ID_HEADER, 'The id of our API request that made this change, when known: quote it ' +
          'when you ask us about a webhook', { type: 'string' }, false)
      ],
      // No security scheme: the partner authenticates us by the signature header.
      security: [],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: `${COMPONENT}${type}Webhook` }, example } }
      },
      responses: ANSWERS
    }
  }
}

/** The document's `webhooks` section. */
export function webhooksSection (): Json {
  const [placed, cancelled, packed] = WEBHOOK_SCHEMAS.slice(1).map((s) => (s.examples as unknown[])[0])
  return {
    OrderPlaced: webhook('OrderPlaced', 'warehouse', 'An order was placed.', placed),
    OrderCancelled: webhook('OrderCancelled', 'warehouse', 'An order was cancelled.', cancelled),
    OrderPacked: webhook('OrderPacked', 'delivery service', 'An order was packed.', packed)
  }
}
