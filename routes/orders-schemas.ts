// TypeBox schemas of the order and partner routes (routes/orders.ts, routes/partners.ts). Inputs
// reject unknown properties; the Order response lists every field, so nothing internal is emitted.
import { Type, type Static } from '@sinclair/typebox'
import { IDEMPOTENCY_KEY_PATTERN } from '../domain/idempotency.js'
import { MAX_COUNT, MAX_LINES, ORDER_STATUSES } from '../domain/orders.js'
import {
  ADDRESS_LIMITS, COUNTRY_PATTERN, E164_PATTERN, POSTAL_CODE_FORMATS, POSTAL_CODE_PATTERN, TEXT_PATTERN
} from '../domain/shipping-address.js'
import { ItemId } from './items-schemas.js'
import { ref } from '../core/http-schemas.js'
import type { ProblemCode } from '../core/problem.js'

const statuses = (options: { $id?: string } = {}) => Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s)), {
  ...options, description: 'placed -> packed -> delivered, or placed -> cancelled'
})
export const OrderStatus = statuses({ $id: 'OrderStatus' })

const OrderId = Type.String({
  pattern: '^[A-Za-z0-9-]{1,64}$',
  description: 'Order id',
  examples: ['3f0c9b1e-6a2d-4c1b-9e7a-2b8d5f4c1a90']
})
export const OrderParams = Type.Object({ orderId: OrderId }, { additionalProperties: false })

const text = (maxLength: number, extra: Record<string, unknown> = {}): ReturnType<typeof Type.String> =>
  Type.String({ minLength: 1, maxLength, pattern: TEXT_PATTERN, ...extra })

const EXAMPLE_ADDRESS = {
  name: 'Ada Lovelace',
  line1: '12 St James\'s Square',
  city: 'London',
  postalCode: 'SW1Y 4JH',
  country: 'GB',
  phone: '+442079460958'
}

export const ShippingAddress = Type.Object({
  name: text(ADDRESS_LIMITS.name, {
    description: 'The recipient, as the label shows it (any script)', examples: ['Zoë Ólafsdóttir']
  }),
  line1: text(ADDRESS_LIMITS.line, { description: 'Street and number, or PO box' }),
  line2: Type.Optional(text(ADDRESS_LIMITS.line, { description: 'Flat, floor, building, c/o' })),
  city: text(ADDRESS_LIMITS.city),
  region: Type.Optional(text(ADDRESS_LIMITS.region, {
    description: 'State, province or prefecture, where the country uses one'
  })),
  postalCode: Type.Optional(Type.String({
    minLength: 1,
    maxLength: ADDRESS_LIMITS.postalCode,
    pattern: POSTAL_CODE_PATTERN,
    description: `Required, in the national format, for ${Object.keys(POSTAL_CODE_FORMATS).join(', ')} ` +
      '(400 `invalid_postal_code` otherwise); kept in upper case'
  })),
  country: Type.String({
    minLength: 2,
    maxLength: 2,
    pattern: COUNTRY_PATTERN,
    description: 'ISO 3166-1 alpha-2, upper case (400 `invalid_country` otherwise)',
    examples: ['GB']
  }),
  phone: Type.String({
    minLength: 8,
    maxLength: ADDRESS_LIMITS.phone,
    pattern: E164_PATTERN,
    description: 'For the courier: E.164, `+` and 7 to 15 digits, no spaces (400 `invalid_phone` otherwise)',
    examples: ['+442079460958']
  })
}, {
  $id: 'ShippingAddress',
  additionalProperties: false,
  description: 'Where the order goes. Names and lines take any script; every value is trimmed and kept as sent ' +
    '(Unicode NFC), without control characters or line breaks.',
  examples: [EXAMPLE_ADDRESS]
})
export type ShippingAddressBody = Static<typeof ShippingAddress>

/** Schema failures of these fields answer their own codes (plugins/errors.ts reads the route's config). */
export const SHIPPING_ADDRESS_CODES: Record<string, ProblemCode> = {
  'body.shippingAddress.country': 'invalid_country',
  'body.shippingAddress.postalCode': 'invalid_postal_code',
  'body.shippingAddress.phone': 'invalid_phone'
}

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
  history: [{ status: 'placed', at: '2026-11-25T09:30:00.000Z', by: 'user:8c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f' }],
  shippingAddress: EXAMPLE_ADDRESS
}

export const OrderLine = Type.Object({
  id: Type.String(),
  title: Type.String({ description: 'The item title when the order was placed' }),
  color: Type.Optional(Type.String({ description: 'Colour name (displayValue) when the order was placed' })),
  colorCode: Type.Optional(Type.String()),
  count: Type.Integer(),
  unitPrice: Type.Integer({ description: 'In minor units (cents), when the order was placed' })
}, { $id: 'OrderLine', additionalProperties: false })

export const HistoryEntry = Type.Object({
  status: ref(OrderStatus),
  at: Type.String({ format: 'date-time' }),
  by: Type.String({ description: '`user:<sub>`, `admin:<sub>` or `partner:<warehouse|delivery>`' })
}, { $id: 'OrderHistoryEntry', additionalProperties: false })

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
  status: ref(OrderStatus),
  lines: Type.Array(ref(OrderLine)),
  total: Type.Integer({ description: 'Sum of count x unitPrice, in minor units' }),
  currency: Type.String({ description: 'ISO 4217 code' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  history: Type.Array(ref(HistoryEntry), { description: 'Every status, oldest first, with its time and who set it' }),
  packageId: Type.Optional(Type.String()),
  trackingNumber: Type.Optional(Type.String()),
  carrier: Type.Optional(Type.String()),
  note: Type.Optional(Type.String()),
  shippingAddress: Type.Optional(ref(ShippingAddress, {
    description: 'Where the order goes, as it was when the order was placed (a snapshot: nothing changes it later). ' +
      'Absent on orders placed without one.'
  }))
}, { $id: 'Order', additionalProperties: false, description: 'An order', examples: [EXAMPLE_ORDER] })

// `color` is a string; a number (the seed's clients sent some) is read as its digits (Ajv coerces it).
export const PlaceOrderLine = Type.Object({
  id: ItemId,
  count: Type.Integer({ minimum: 1, maximum: MAX_COUNT, examples: [1] }),
  color: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 32,
    description: "One of the item's colorCodes (required when the item has colours)",
    examples: ['#1F2020']
  }))
}, { $id: 'PlaceOrderLine', additionalProperties: false })

const PartnerHistoryEntry = Type.Object({
  status: ref(OrderStatus),
  at: Type.String({ format: 'date-time' }),
  by: Type.String({ description: '`user` (the customer), `admin`, `partner:warehouse` or `partner:delivery`' })
}, { additionalProperties: false })

// What a partner's answer carries: the order's id, lines, status and times; never the customer's
// email or user id (domain/partner-views.ts).
const partnerOrderFields = {
  id: Type.String(),
  status: ref(OrderStatus),
  lines: Type.Array(ref(OrderLine)),
  total: Type.Integer({ description: 'Sum of count x unitPrice, in minor units (for customs papers)' }),
  currency: Type.String({ description: 'ISO 4217 code' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  history: Type.Array(PartnerHistoryEntry, { description: 'Every status, oldest first, with its time and who set it' }),
  packageId: Type.Optional(Type.String()),
  trackingNumber: Type.Optional(Type.String()),
  carrier: Type.Optional(Type.String()),
  note: Type.Optional(Type.String())
}
const EXAMPLE_PARTNER_ORDER = {
  id: EXAMPLE_ORDER.id,
  status: 'packed',
  lines: EXAMPLE_ORDER.lines,
  total: EXAMPLE_ORDER.total,
  currency: EXAMPLE_ORDER.currency,
  createdAt: EXAMPLE_ORDER.createdAt,
  updatedAt: '2026-11-25T10:02:11.000Z',
  history: [
    { status: 'placed', at: '2026-11-25T09:30:00.000Z', by: 'user' },
    { status: 'packed', at: '2026-11-25T10:02:11.000Z', by: 'partner:warehouse' }
  ],
  packageId: 'PKG-000123'
}

export const WarehouseOrder = Type.Object({
  ...partnerOrderFields,
  recipient: Type.Union([
    Type.Object({
      name: Type.String({ description: 'The recipient, as the label shows it' }),
      country: Type.String({ description: 'ISO 3166-1 alpha-2' })
    }, { additionalProperties: false }),
    Type.Null()
  ], { description: 'For labels and customs papers; null for an order placed without a shipping address' })
}, {
  $id: 'WarehouseOrder',
  additionalProperties: false,
  description: "An order as the warehouse sees it (no customer's email or user id)",
  examples: [{ ...EXAMPLE_PARTNER_ORDER, recipient: { name: EXAMPLE_ADDRESS.name, country: EXAMPLE_ADDRESS.country } }]
})

export const DeliveryOrder = Type.Object({
  ...partnerOrderFields,
  shippingAddress: Type.Union([ref(ShippingAddress), Type.Null()], {
    description: 'Where to deliver, with the phone for the courier; null for an order placed without one'
  })
}, {
  $id: 'DeliveryOrder',
  additionalProperties: false,
  description: "An order as the delivery service sees it (no customer's email or user id)",
  examples: [{ ...EXAMPLE_PARTNER_ORDER, status: 'delivered', shippingAddress: EXAMPLE_ADDRESS }]
})

export const PlaceOrderBody = Type.Object({
  items: Type.Array(ref(PlaceOrderLine), {
    minItems: 1,
    maxItems: MAX_LINES,
    description: `1 to ${MAX_LINES} lines; one line per item and colour (a repeat is a 400 duplicate_line)`
  }),
  shippingAddress: Type.Optional(ref(ShippingAddress))
}, {
  $id: 'PlaceOrderRequest',
  additionalProperties: false,
  examples: [{
    items: [
      { id: 'phone-apple-iphone-15', count: 1, color: '#1F2020' },
      { id: 'accessories-anker-charger-65w', count: 2 }
    ],
    shippingAddress: EXAMPLE_ADDRESS
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
  status: Type.Optional(statuses())
}, { additionalProperties: false })
export type OrdersQuery = Static<typeof OrdersQuery>

export const OrdersPage = Type.Object({
  orders: Type.Array(ref(Order)),
  nextCursor: Type.Optional(Type.String({ description: 'Absent on the last page' }))
}, {
  $id: 'OrdersPage',
  additionalProperties: false,
  description: 'A page of orders, newest first',
  examples: [{ orders: [EXAMPLE_ORDER] }]
})

const Note = Type.String({ minLength: 1, maxLength: 500, description: 'Free text kept on the order' })

export const PackedBody = Type.Object({
  packageId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, examples: ['PKG-000123'] })),
  note: Type.Optional(Note)
}, {
  $id: 'PackedRequest',
  additionalProperties: false,
  examples: [{ packageId: 'PKG-000123', note: 'Packed in one box' }]
})

export const DeliveredBody = Type.Object({
  trackingNumber: Type.Optional(Type.String({ minLength: 1, maxLength: 100, examples: ['1Z999AA10123456784'] })),
  carrier: Type.Optional(Type.String({ minLength: 1, maxLength: 100, examples: ['UPS'] })),
  note: Type.Optional(Note)
}, {
  $id: 'DeliveredRequest',
  additionalProperties: false,
  examples: [{ trackingNumber: '1Z999AA10123456784', carrier: 'UPS' }]
})

/** The orders' named shapes, registered with app.addSchema (app/registry.ts). */
export const ORDER_SCHEMAS = [
  OrderStatus, OrderLine, HistoryEntry, ShippingAddress, Order, OrdersPage, PlaceOrderLine, PlaceOrderBody, PackedBody,
  DeliveredBody, WarehouseOrder, DeliveryOrder
]
