// Order rules with no Fastify and no SDK: the status state machine, the validation of the ordered
// lines against the catalog, the price snapshot, and what a caller may see of an order.
import { Problem, type FieldError, type ProblemCode } from '../core/problem.js'
import type { Color } from './catalog.js'
import { canonicalJson } from './idempotency.js'
import { copyAddress, type ShippingAddress } from './shipping-address.js'

export type OrderStatus = 'placed' | 'packed' | 'delivered' | 'cancelled'
export const ORDER_STATUSES: readonly OrderStatus[] = ['placed', 'packed', 'delivered', 'cancelled']

export interface OrderLine {
  id: string
  title: string
  color?: string
  colorCode?: string
  count: number
  unitPrice: number
}
export interface HistoryEntry {
  status: OrderStatus
  at: string
  by: string
  /**
   * The id of the API request that made this change (its x-request-id): the correlation id the
   * change's event, webhooks, emails and log lines carry (docs/operations.md). Internal: the API's
   * answers leave it out (publicOrder).
   */
  requestId?: string
}

export interface StoredOrder {
  id: string
  userId: string
  userEmail: string
  /** True when the address was verified when the order was placed; the worker mails only those. */
  userEmailVerified?: boolean
  status: OrderStatus
  lines: OrderLine[]
  total: number
  currency: string
  createdAt: string
  updatedAt: string
  history: HistoryEntry[]
  packageId?: string
  trackingNumber?: string
  carrier?: string
  note?: string
  /** Where it goes, as it was when the order was placed (absent on orders placed without one). */
  shippingAddress?: ShippingAddress
}

/** A line as the shopper sends it; `color` is a colorCode, as a string or a number. */
export interface LineInput { id: string; count: number; color?: string | number }

/**
 * The catalog attributes an order needs of an item. `stock` is absent when the item comes from the
 * API's per-container snapshot (data/item-snapshots.ts): the order's transaction checks it then.
 */
export interface OrderableItem {
  id: string
  title: string
  price: number
  currency: string
  stock?: number
  colorPreference?: Color[]
}

/** Whether `current` still has the snapshot's title, price, currency and colours (stock aside). */
export function matchesSnapshot (snapshot: OrderableItem, current: Partial<OrderableItem> | undefined): boolean {
  if (current === undefined) return false
  return snapshot.title === current.title && snapshot.price === current.price &&
    snapshot.currency === current.currency &&
    canonicalJson(snapshot.colorPreference ?? null) === canonicalJson(current.colorPreference ?? null)
}

export const MAX_LINES = 50
export const MAX_COUNT = 99

// ---------------------------------------------------------------------------------------------
// State machine
// ---------------------------------------------------------------------------------------------

/** Each target status and the one status it may be reached from. */
const PREDECESSOR: Record<Exclude<OrderStatus, 'placed'>, OrderStatus> = {
  packed: 'placed',
  delivered: 'packed',
  cancelled: 'placed'
}
export type TargetStatus = keyof typeof PREDECESSOR

export function predecessorOf (target: TargetStatus): OrderStatus {
  return PREDECESSOR[target]
}

export function invalidTransition (current: OrderStatus, target: TargetStatus): Problem {
  return new Problem(409, 'invalid_transition',
    `The order is ${current}; it cannot become ${target} (allowed: placed -> packed -> delivered, placed -> cancelled)`,
    { currentStatus: current })
}

/**
 * 'apply' when the order may move to `target` now; 'noop' when it already made that transition
 * (partners and shoppers retry: the answer is the order as it is); otherwise a 409 naming the
 * current status. Statuses only move forward, so a transition in the history was made for good.
 */
export function decideTransition (
  order: Pick<StoredOrder, 'status' | 'history'>,
  target: TargetStatus
): 'apply' | 'noop' {
  if (order.status === target || order.history.some((h) => h.status === target)) return 'noop'
  if (order.status === PREDECESSOR[target]) return 'apply'
  throw invalidTransition(order.status, target)
}

// ---------------------------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------------------------

export interface ShortItem { id: string; requested: number; available: number }

export function insufficientStock (short: ShortItem[]): Problem {
  const names = short.map((s) => `${s.id} (requested ${s.requested}, available ${s.available})`).join(', ')
  return new Problem(409, 'insufficient_stock', `Not enough stock for: ${names}`, { items: short })
}

interface LineError extends FieldError { code: ProblemCode; line: number }

function fail (errors: LineError[]): never {
  const first = errors[0] as LineError
  throw new Problem(400, first.code, `items[${first.line}]: ${first.message}`, {
    line: first.line,
    errors: errors.map(({ path, message }) => ({ path, message }))
  })
}

/** The distinct item ids of the lines, in order: what to read from the catalog. */
export function orderedItemIds (lines: LineInput[]): string[] {
  return [...new Set(lines.map((l) => l.id))]
}

export interface PricedOrder {
  lines: OrderLine[]
  total: number
  currency: string
  /** Units to take per item id (an item in two colours is one stock decrement). */
  stock: Map<string, number>
}

/**
 * Checks the lines against the catalog and snapshots them. Two lines for the same item and the
 * same colour are REJECTED (400 `duplicate_line`) rather than merged: the client sent something
 * ambiguous, and merging could silently pass the per-line count limit. One item in two colours is
 * two lines. Line shape (1-50 lines, count 1-99) is the route schema's job, checked again here so
 * the function is safe on its own. Stock is checked last, as a 409 naming every short item (where
 * the stock is known: a snapshot's is checked by the transaction).
 */
export function priceOrder (input: LineInput[], items: ReadonlyMap<string, OrderableItem>): PricedOrder {
  const errors: LineError[] = []
  const err = (line: number, field: string, code: ProblemCode, message: string): void => {
    errors.push({ line, code, path: `body.items[${line}]${field === '' ? '' : `.${field}`}`, message })
  }
  if (input.length < 1 || input.length > MAX_LINES) {
    throw new Problem(400, 'validation_failed', `An order has 1 to ${MAX_LINES} lines (got ${input.length})`, {
      errors: [{ path: 'body.items', message: `must have 1 to ${MAX_LINES} lines` }]
    })
  }
  const seen = new Map<string, number>()
  const lines: OrderLine[] = []
  const stock = new Map<string, number>()
  let currency: string | undefined
  input.forEach((l, i) => {
    if (!Number.isInteger(l.count) || l.count < 1 || l.count > MAX_COUNT) {
      err(i, 'count', 'validation_failed', `count must be an integer from 1 to ${MAX_COUNT}`)
      return
    }
    const item = items.get(l.id)
    if (item === undefined) {
      err(i, 'id', 'unknown_item', `no item with id ${l.id}`)
      return
    }
    const colors = item.colorPreference ?? []
    let color: Color | undefined
    if (l.color !== undefined) {
      const code = String(l.color).toLowerCase()
      color = colors.find((c) => c.colorCode.toLowerCase() === code)
      if (color === undefined) {
        const allowed = colors.length === 0
          ? 'the item has no colours'
          : `one of ${colors.map((c) => c.colorCode).join(
          ', '
        )}`
        err(i, 'color', 'invalid_color', `color ${String(l.color)} is not a colour of ${l.id}: ${allowed}`)
        return
      }
    } else if (colors.length > 0) {
      err(
        i,
        'color',
        'color_required',
        `${l.id} comes in colours: color must be one of ${colors.map((c) => c.colorCode).join(', ')}`
      )
      return
    }
    const lineKey = `${l.id}\n${color?.colorCode ?? ''}`
    const earlier = seen.get(lineKey)
    if (earlier !== undefined) {
      err(i, '', 'duplicate_line', `repeats items[${earlier}] (same item and colour): put the whole count on one line`)
      return
    }
    seen.set(lineKey, i)
    if (currency === undefined) currency = item.currency
    else if (item.currency !== currency) {
      err(
        i,
        'id',
        'mixed_currency',
        `${l.id} is priced in ${item.currency} but the order is in ${currency}: one currency per order`
      )
      return
    }
    lines.push({
      id: item.id,
      title: item.title,
      ...(color === undefined ? {} : { color: color.displayValue, colorCode: color.colorCode }),
      count: l.count,
      unitPrice: item.price
    })
    stock.set(item.id, (stock.get(item.id) ?? 0) + l.count)
  })
  if (errors.length > 0) fail(errors)

  const short: ShortItem[] = []
  for (const [id, requested] of stock) {
    const available = (items.get(id) as OrderableItem).stock
    if (available !== undefined && available < requested) short.push({ id, requested, available })
  }
  if (short.length > 0) throw insufficientStock(short)
  const total = lines.reduce((sum, l) => sum + l.count * l.unitPrice, 0)
  return { lines, total, currency: currency as string, stock }
}

// ---------------------------------------------------------------------------------------------
// Views and ids
// ---------------------------------------------------------------------------------------------

/**
 * An order without an Idempotency-Key whose transaction failed ambiguously and could not be settled:
 * it may exist. Not `service_busy`: a blind retry could place it twice. GET /orders/{orderId} tells.
 */
export function orderOutcomeUnknown (orderId: string): Problem {
  return new Problem(503, 'order_outcome_unknown',
    `The order may or may not have been placed: GET /orders/${orderId} answers 200 if it was, 404 if it was not ` +
      '(then place it again). ' +
    'Send an Idempotency-Key to retry orders safely.', { orderId }, { 'retry-after': '1' })
}

export function orderNotFound (id: string): Problem {
  return new Problem(404, 'order_not_found', `No order with id ${id}`)
}

/** A shopper sees only their own orders (another user's is a 404, like a missing one); admins see all. */
export function canRead (order: Pick<StoredOrder, 'userId'>, caller: { sub: string; groups: string[] }): boolean {
  return order.userId === caller.sub || caller.groups.includes('admin')
}

/** An order line's documented fields only, whatever else the record holds. */
export const publicLine = (l: OrderLine): OrderLine => ({
  id: l.id,
  title: l.title,
  ...(l.color === undefined ? {} : { color: l.color }),
  ...(l.colorCode === undefined ? {} : { colorCode: l.colorCode }),
  count: l.count,
  unitPrice: l.unitPrice
})

/** The order as the API answers it: the documented fields only, whatever else the record holds. */
export function publicOrder (o: StoredOrder): StoredOrder {
  const view: StoredOrder = {
    id: o.id,
    userId: o.userId,
    userEmail: o.userEmail,
    status: o.status,
    lines: o.lines.map(publicLine),
    total: o.total,
    currency: o.currency,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    history: o.history.map((h) => ({ status: h.status, at: h.at, by: h.by }))
  }
  if (o.userEmailVerified !== undefined) view.userEmailVerified = o.userEmailVerified
  for (const k of ['packageId', 'trackingNumber', 'carrier', 'note'] as const) {
    if (o[k] !== undefined) view[k] = o[k]
  }
  if (o.shippingAddress !== undefined) view.shippingAddress = copyAddress(o.shippingAddress)
  return view
}

/** The cursor context of a user's order list: a cursor only resumes the same user's same query. */
export function ordersCursorContext (userId: string, status?: OrderStatus): string {
  return `orders\nuser=${userId}\nstatus=${status ?? ''}`
}
