// What POST /orders knows of the catalog between requests, per container: each ordered item's
// title, price, currency and colours as last read (never its stock). With every item of an order
// known, the order is priced from here and placed in one call: its transaction requires each item
// to still have exactly these attributes (data/orders-repository.ts place()), so a snapshot that
// went stale can never be written into an order; it costs one failed transaction and a fresh read.
import { expiringCache } from '../core/expiring-cache.js'
import type { OrderableItem } from '../domain/orders.js'

/** Items kept, and for how long: a bound on memory and on how long a deleted item lingers here. */
const MAX_ITEMS = 2_000
const TTL_MS = 5 * 60_000

export interface ItemSnapshots {
  /** Every item of `ids`, or undefined when any is unknown here (the caller reads them all then). */
  lookup: (ids: readonly string[]) => Map<string, OrderableItem> | undefined
  /** Keeps what a read found (stock left out). */
  remember: (items: Iterable<OrderableItem>) => void
  forget: (ids: readonly string[]) => void
}

export function createItemSnapshots (max = MAX_ITEMS, ttlMs = TTL_MS): ItemSnapshots {
  const cache = expiringCache<OrderableItem>(max, ttlMs)
  return {
    lookup (ids) {
      const found = new Map<string, OrderableItem>()
      for (const id of ids) {
        const item = cache.get(id)
        if (item === undefined) return undefined
        found.set(id, item)
      }
      return found
    },
    remember (items) {
      for (const { id, title, price, currency, colorPreference } of items) {
        cache.set(
          id,
          colorPreference === undefined
            ? { id, title, price, currency }
            : {
                id,
                title,
                price,
                currency,
                colorPreference
              }
        )
      }
    },
    forget (ids) {
      for (const id of ids) cache.delete(id)
    }
  }
}
