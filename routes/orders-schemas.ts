// TypeBox schemas of the order and partner routes (routes/orders.ts, routes/partners.ts). Inputs
// reject unknown properties; the Order response lists every field, so nothing internal is emitted.
import { Type, type Static } from '@sinclair/typebox'
import { IDEMPOTENCY_KEY_PATTERN } from '../domain/idempotency.js'
import { MAX_COUNT, MAX_LINES, ORDER_STATUSES } from '../domain/orders.js'
import { ItemId } from './items-schemas.js'

export const OrderStatus = Type.Union(
  ORDER_STATUSES.map((s) => Type.Literal(s)),
  { description: 'placed -> packed -> delivered, or placed -> cancelled' }
)

const OrderId = Type.String({
  pattern: '^[A-Za-z0-9-]{1,64}$',
  description: 'Order id',
  examples: ['3f0c9b1e-6a2d-4c1b-9e7a-2b8d5f4c1a90']
})
export const OrderParams = Type.Object({ orderId: OrderId }, { additionalProperties: false })

const EXAMPLE_ORDER = {
  id: '3f0c9b1e-6a2d-4c1b-9e7a-2b8d5f4c1a90',
  userId: '8c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f',
  userEmail: 'ada@example.com',
  userEmailVerified: true,
  status: 'placed',
  lines: [
    {
      id: 'phone-apple-iphone-15',
      title: 'iPhone 15 Pro',
      color: 'Black Titanium',
      colorCode: '#1F2020',
      count: 1,
      unitPrice: 99900
    },
    { id: 'accessories-anker-charger-65w', title: 'Anker 65W USB-C charger', count: 2, unitPrice: 3999 }
  ],
  total: 107898,
  currency: 'USD',
  createdAt: '2026-11-25T09:30:00.000Z',
  updatedAt: '2026-11-25T09:30:00.000Z',
  history: [{ status: 'placed', at: '2026-11-25T09:30:00.000Z', by: 'user:8c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f' }]
}

const OrderLine = Type.Object({
  id: Type.String(),
  title: Type.String({ description: 'The item title when the order was placed' }),
  color: Type.Optional(Type.String({ description: 'Colour name (displayValue) when the order was placed' })),
  colorCode: Type.Optional(Type.String()),
  count: Type.Integer(),
  unitPrice: Type.Integer({ description: 'In minor units (cents), when the order was placed' })
}, { additionalProperties: false })

const HistoryEntry = Type.Object({
  status: OrderStatus,
  at: Type.String({ format: 'date-time' }),
  by: Type.String({ description: '`user:<sub>`, `admin:<sub>` or `partner:<warehouse|delivery>`' })
}, { additionalProperties: false })

export const Order = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  userEmail: Type.String(),
  userEmailVerified: Type.Optional(
    Type.Boolean({
      description: 'The address was verified when the order was placed (every order since accounts confirm their ' +
        'email); order mail goes only to such addresses'
    })
  ),
  status: OrderStatus,
  lines: Type.Array(OrderLine),
  total: Type.Integer({ description: 'Sum of count x unitPrice, in minor units' }),
  currency: Type.String({ description: 'ISO 4217 code' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  history: Type.Array(HistoryEntry, { description: 'Every status, oldest first, with its time and who set it' }),
  packageId: Type.Optional(Type.String()),
  trackingNumber: Type.Optional(Type.String()),
  carrier: Type.Optional(Type.String()),
  note: Type.Optional(Type.String())
}, { additionalProperties: false, description: 'An order', examples: [EXAMPLE_ORDER] })

export const PlaceOrderBody = Type.Object({
  items: Type.Array(Type.Object({
    id: ItemId,
    count: Type.Integer({ minimum: 1, maximum: MAX_COUNT, examples: [1] }),
    color: Type.Optional(Type.Union([
      Type.String({ minLength: 1, maxLength: 32 }),
      Type.Number()
    ], { description: "One of the item's colorCodes (required when the item has colours)", examples: ['#1F2020'] }))
  }, { additionalProperties: false }), {
    minItems: 1,
    maxItems: MAX_LINES,
    description: `1 to ${MAX_LINES} lines; one line per item and colour (a repeat is a 400 duplicate_line)`
  })
}, {
  additionalProperties: false,
  examples: [{
    items: [
      { id: 'phone-apple-iphone-15', count: 1, color: '#1F2020' },
      { id: 'accessories-anker-charger-65w', count: 2 }
    ]
  }]
})
export type PlaceOrderBody = Static<typeof PlaceOrderBody>

export const PlaceOrderHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    pattern: IDEMPOTENCY_KEY_PATTERN,
    description: 'Any unique string (a UUID is best), 1-255 printable ASCII characters. Retrying with the same key ' +
      'and body ' +
      'answers the same order; kept 24 hours.',
    examples: ['5d1f8a2c-0b7e-4f3a-9c6d-1e2f3a4b5c6d']
  }))
})

export const OrdersQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Orders per page' }),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 2048, description: 'nextCursor from the previous page of the same query' })
  ),
  status: Type.Optional(OrderStatus)
}, { additionalProperties: false })
export type OrdersQuery = Static<typeof OrdersQuery>

export const OrdersPage = Type.Object({
  orders: Type.Array(Order),
  nextCursor: Type.Optional(Type.String({ description: 'Absent on the last page' }))
}, {
  additionalProperties: false,
  description: 'A page of orders, newest first',
  examples: [{ orders: [EXAMPLE_ORDER] }]
})

const Note = Type.String({ minLength: 1, maxLength: 500, description: 'Free text kept on the order' })

export const PackedBody = Type.Object({
  packageId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, examples: ['PKG-000123'] })),
  note: Type.Optional(Note)
}, { additionalProperties: false, examples: [{ packageId: 'PKG-000123', note: 'Packed in one box' }] })

export const DeliveredBody = Type.Object({
  trackingNumber: Type.Optional(Type.String({ minLength: 1, maxLength: 100, examples: ['1Z999AA10123456784'] })),
  carrier: Type.Optional(Type.String({ minLength: 1, maxLength: 100, examples: ['UPS'] })),
  note: Type.Optional(Note)
}, { additionalProperties: false, examples: [{ trackingNumber: '1Z999AA10123456784', carrier: 'UPS' }] })
