// Catalog rules that a JSON schema cannot say: unique colour codes, the GSI sort key, the
// searchable words, and what a shopper or an admin may see of an item. No Fastify, no SDK.
import { Problem, type FieldError } from '../core/problem.js'
import { canonicalQuery, indexedWords, parseQuery, wordString, type SearchQuery } from './search.js'

export interface Color { colorCode: string; displayValue: string }

/** What an admin sends to create (stock included) or replace (stock excluded) an item. */
export interface ItemInput {
  category: string
  type: string
  brand: string
  title: string
  description: string
  storage?: string
  colorPreference: Color[]
  price: number
  currency: string
}

export interface StoredItem extends ItemInput {
  id: string
  stock: number
  createdAt: string
  updatedAt: string
  /** GSI byCategory sort key: `${type}#${brand}#${id}`. Internal. */
  typeBrandId: string
  /**
   * The searchable words the catalog index holds for the item (search.wordString): absent on an
   * item written before the index existed, until the backfill (scripts/backfill-catalog-index.ts)
   * indexes it. Internal.
   */
  searchWords?: string
  /** For an item created with an Idempotency-Key: its request's fingerprint (idempotency.requestHash). Internal. */
  createdBy?: string
}

export type PublicItem = Omit<StoredItem, 'typeBrandId' | 'searchWords' | 'stock' | 'createdBy'> &
  { inStock: boolean; stock?: number }

/** The filters of GET /items, validated by the route schema. */
export interface ItemFilters { category?: string; type?: string; brand?: string; q?: string }

/** Checks beyond the schema; throws a 400 naming every offending field. */
export function validateItemInput (input: ItemInput): void {
  const errors: FieldError[] = []
  // `#` separates the parts of the GSI sort key: one inside a part would make filters ambiguous.
  if (input.type.includes('#')) errors.push({ path: 'body.type', message: 'must not contain #' })
  if (input.brand.includes('#')) errors.push({ path: 'body.brand', message: 'must not contain #' })
  const seen = new Set<string>()
  input.colorPreference.forEach((c, i) => {
    const code = c.colorCode.toLowerCase()
    if (seen.has(code)) {
      errors.push({ path: `body.colorPreference[${i}].colorCode`, message: `repeats colour code "${c.colorCode}"` })
    }
    seen.add(code)
  })
  const first = errors[0]
  if (first !== undefined) throw new Problem(400, 'validation_failed', `${first.path} ${first.message}`, { errors })
}

export function typeBrandId (type: string, brand: string, id: string): string {
  return `${type}#${brand}#${id}`
}

/** The begins_with prefix for a type (and brand) filter; the trailing # stops "App" matching "Apple". */
export function typeBrandPrefix (type: string, brand?: string): string {
  return brand === undefined ? `${type}#` : `${type}#${brand}#`
}

/** The stored record for an input; `createdAt` and `stock` are kept from the existing item on replace. */
export function toStoredItem (
  id: string,
  input: ItemInput,
  stock: number,
  createdAt: string,
  updatedAt: string
): StoredItem {
  const item: StoredItem = {
    id,
    // NFC: one spelling of "Crème" whether the client sent it composed or decomposed.
    category: input.category.normalize('NFC'),
    type: input.type.normalize('NFC'),
    brand: input.brand.normalize('NFC'),
    title: input.title.normalize('NFC'),
    description: input.description.normalize('NFC'),
    colorPreference: input.colorPreference.map((c) => ({ colorCode: c.colorCode, displayValue: c.displayValue })),
    price: input.price,
    currency: input.currency,
    stock,
    createdAt,
    updatedAt,
    typeBrandId: typeBrandId(input.type.normalize('NFC'), input.brand.normalize('NFC'), id),
    searchWords: wordString(indexedWords(input))
  }
  if (input.storage !== undefined) item.storage = input.storage
  return item
}

/** What a caller sees: never the internal attributes; the exact stock only for admins. */
export function publicView (item: StoredItem, opts: { admin: boolean }): PublicItem {
  // An allow-list, field by field (as toStoredItem writes them): an attribute added to the stored
  // record stays internal until it is added here. One object literal also costs ~0.05 us against
  // ~2.4 us for copying the record minus its internal attributes with a rest pattern (measured on
  // Node 20); a page of GET /items makes 20 of them.
  const view: PublicItem = {
    id: item.id,
    category: item.category,
    type: item.type,
    brand: item.brand,
    title: item.title,
    description: item.description,
    colorPreference: item.colorPreference,
    price: item.price,
    currency: item.currency,
    inStock: item.stock > 0,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt
  }
  if (item.storage !== undefined) view.storage = item.storage
  if (opts.admin) view.stock = item.stock
  return view
}

/** GET /items: type or brand narrow a category; alone they would need a Scan. */
export function checkFilters (filters: ItemFilters): void {
  if (filters.category === undefined && (filters.type !== undefined || filters.brand !== undefined)) {
    const given = filters.type !== undefined ? 'type' : 'brand'
    throw new Problem(400, 'category_required',
      `The ${given} filter narrows a category: add category= (for example ` +
        `category=phone&${given}=${given === 'type' ? 'smart' : 'Apple'})`)
  }
}

/** The filters with their names in NFC, as items store them (toStoredItem). */
export function normaliseFilters<T extends ItemFilters> (filters: T): T {
  const out = { ...filters }
  for (const key of ['category', 'type', 'brand'] as const) {
    const value = out[key]
    if (value !== undefined) out[key] = value.normalize('NFC')
  }
  return out
}

/**
 * Binds a cursor to its query, so a cursor from other filters is rejected. `query`: `q` already parsed, if the caller
 * has it.
 */
export function cursorContext (
  filters: ItemFilters,
  query: SearchQuery | undefined = filters.q === undefined ? undefined : parseQuery(filters.q)
): string {
  return JSON.stringify(['items', filters.category ?? null, filters.type ?? null, filters.brand ?? null,
    query === undefined ? null : canonicalQuery(query)])
}

export interface CategorySummary { category: string; count: number; types: string[]; brands: string[] }

/** A stock change: a whole number, not zero. Returns what the item must hold for it to apply. */
export function stockNeeded (delta: number): number {
  if (!Number.isInteger(delta) || delta === 0) {
    throw new Problem(
      400,
      'validation_failed',
      'body.delta must be a non-zero integer',
      { errors: [{ path: 'body.delta', message: 'must be a non-zero integer' }] }
    )
  }
  return delta < 0 ? -delta : 0
}
