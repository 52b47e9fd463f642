// TypeBox schemas of the catalog routes (routes/items.ts): every input rejects unknown properties,
// every response is declared so fast-json-stringify can never emit an internal attribute.
import { Type, type Static } from '@sinclair/typebox'
import { IDEMPOTENCY_KEY_PATTERN } from '../domain/idempotency.js'
import { ref } from '../core/http-schemas.js'

const Slug = (description: string, example: string) =>
  Type.String({ pattern: '^[a-z][a-z0-9-]{0,39}$', description, examples: [example] })

export const Category = Slug('Lower-case category, for example phone, computer, accessories', 'phone')
export const ItemType = Slug('Lower-case type within the category, for example smart, laptop, charger', 'smart')
export const Brand = Type.String({
  minLength: 1,
  maxLength: 60,
  pattern: '\\S',
  description: 'Brand, matched exactly (case-sensitive); never contains #',
  examples: ['Apple']
})

export const ItemId = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,64}$',
  description: 'Item id',
  examples: ['phone-apple-iphone-15']
})
export const ItemParams = Type.Object({ itemId: ItemId }, { additionalProperties: false })

export const Color = Type.Object({
  colorCode: Type.String({ minLength: 1, maxLength: 32, description: 'Unique within the item', examples: ['#1F2020'] }),
  displayValue: Type.String({ minLength: 1, maxLength: 60, examples: ['Black Titanium'] })
}, { $id: 'Color', additionalProperties: false })

const itemFields = {
  category: Category,
  type: ItemType,
  brand: Brand,
  title: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', examples: ['iPhone 15 Pro'] }),
  description: Type.String({ maxLength: 2000, examples: ['6.1-inch Super Retina XDR display, A17 Pro chip.'] }),
  storage: Type.Optional(Type.String({ minLength: 1, maxLength: 40, examples: ['256GB'] })),
  colorPreference: Type.Array(ref(Color), { maxItems: 20 }),
  price: Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'In minor units (cents)', examples: [99900] }),
  currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code', examples: ['USD'] })
}

// The example body of POST /items and PUT /items/{itemId} (without the stock).
const EXAMPLE_INPUT = {
  category: 'phone',
  type: 'smart',
  brand: 'Apple',
  title: 'iPhone 15 Pro',
  description: '6.1-inch Super Retina XDR display, A17 Pro chip, titanium design.',
  storage: '256GB',
  colorPreference: [{ colorCode: '#1F2020', displayValue: 'Black Titanium' }],
  price: 99900,
  currency: 'USD'
}

export const CreateItemBody = Type.Object({
  ...itemFields,
  stock: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: 'Initial stock' })
}, { $id: 'CreateItemRequest', additionalProperties: false, examples: [{ ...EXAMPLE_INPUT, stock: 25 }] })
export type CreateItemBody = Static<typeof CreateItemBody>

export const CreateItemHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    pattern: IDEMPOTENCY_KEY_PATTERN,
    description: 'Any unique string (a UUID is best), 1-255 printable ASCII characters. Retrying with the same ' +
      'key and body answers the item the first request created.',
    examples: ['0c6f1d2e-8a4b-4c3d-9e5f-6a7b8c9d0e1f']
  }))
})

export const PutItemBody = Type.Object({
  ...itemFields,
  stock: Type.Optional(Type.Integer({
    minimum: 0,
    maximum: 1_000_000,
    description: 'The initial stock of an item this request creates (default 0). An existing item keeps its stock: ' +
      'change it with POST /items/{itemId}/stock, so a repeated import never undoes the orders taken since.'
  }))
}, {
  $id: 'ReplaceItemRequest',
  additionalProperties: false,
  description: 'Every field of the item; `stock` only counts when the item is created',
  examples: [{ ...EXAMPLE_INPUT, stock: 25 }]
})
export type PutItemBody = Static<typeof PutItemBody>

export const StockBody = Type.Object({
  delta: Type.Integer({
    minimum: -1_000_000,
    maximum: 1_000_000,
    not: { const: 0 },
    description: 'Units to add (positive) or remove (negative); not zero',
    examples: [-1, 25]
  })
}, { $id: 'StockAdjustment', additionalProperties: false, examples: [{ delta: 25 }] })

const EXAMPLE_ITEM = {
  id: 'phone-apple-iphone-15-pro',
  category: 'phone',
  type: 'smart',
  brand: 'Apple',
  title: 'iPhone 15 Pro',
  description: '6.1-inch Super Retina XDR display, A17 Pro chip, titanium design.',
  storage: '256GB',
  colorPreference: [{ colorCode: '#1F2020', displayValue: 'Black Titanium' }],
  price: 99900,
  currency: 'USD',
  inStock: true,
  createdAt: '2025-01-15T09:30:00.000Z',
  updatedAt: '2025-01-15T09:30:00.000Z'
}

export const Item = Type.Object({
  id: ItemId,
  ...itemFields,
  inStock: Type.Boolean({ description: 'Whether at least one unit is in stock' }),
  stock: Type.Optional(Type.Integer({ minimum: 0, description: 'The exact stock: only in answers to admins' })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' })
}, { $id: 'Item', title: 'Item', additionalProperties: false, examples: [EXAMPLE_ITEM] })

export const ItemsQuery = Type.Object({
  category: Type.Optional(Category),
  type: Type.Optional(Slug('Needs category: narrows it to one type', 'smart')),
  brand: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 60,
      pattern: '\\S',
      description: 'Needs category; matched exactly (case-sensitive)',
      examples: ['Apple']
    })
  ),
  q: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 100,
    pattern: '\\S',
    description: 'Words searched in the title, brand and description, case- and accent-insensitively: every word ' +
      'must ' +
      'be a word of the item, the last one may be the start of one (`pix` finds Pixel). Words are runs of letters ' +
        'and ' +
      'digits (`usb-c` is two); at most 8 words. Only the first 45 distinct words of an item (title, then brand, ' +
        'then ' +
      'description) are searchable.',
    examples: ['titanium', 'galaxy ultr']
  })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Items per page' }),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 2048, description: 'nextCursor from the previous page of the same query' })
  )
}, { additionalProperties: false })
export type ItemsQuery = Static<typeof ItemsQuery>

export const ItemsPage = Type.Object({
  items: Type.Array(ref(Item)),
  nextCursor: Type.Optional(
    Type.String({
      description: 'Absent on the last page. Pages may hold fewer than limit items when a search is sparse; follow ' +
        'nextCursor while present.'
    })
  )
}, {
  $id: 'ItemsPage',
  additionalProperties: false,
  description: 'A page of items',
  examples: [{ items: [EXAMPLE_ITEM], nextCursor: 'eyJpZCI6InBob25lLTEifQ.4pL0...' }]
})

export const CategorySummary = Type.Object({
  category: Type.String(),
  count: Type.Integer({ minimum: 0, description: 'Items in the category' }),
  types: Type.Array(Type.String()),
  brands: Type.Array(Type.String())
}, { $id: 'CategorySummary', additionalProperties: false })

export const Categories = Type.Object({
  categories: Type.Array(ref(CategorySummary))
}, {
  $id: 'Categories',
  additionalProperties: false,
  description: 'Each category with its types, brands and item count',
  examples: [{
    categories: [{ category: 'phone', count: 14, types: ['feature', 'smart'], brands: ['Apple', 'Nokia', 'Samsung'] }]
  }]
})

/** The catalog's named shapes, registered with app.addSchema (app/registry.ts). */
export const ITEM_SCHEMAS = [
  Color, Item, ItemsPage, CategorySummary, Categories, CreateItemBody, PutItemBody, StockBody
]
