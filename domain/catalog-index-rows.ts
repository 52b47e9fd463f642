// The catalog index's rows, with no SDK: one row per searchable word of each item (the token
// index `q` reads) and one counter per category, per category and type, and per category and
// brand (what GET /categories answers), each split over shard rows. Both live in the catalog
// index table and change in the same transaction as the item (data/items-repository.ts); this
// module says which rows an item has and what a write changes. Layout and costs: docs/ARCHITECTURE.md, "Catalog index".
import { indexedWords, wordString } from './search.js'
import type { CategorySummary } from './catalog.js'

/** What of an item the index depends on. `words` is its word string (search.wordString). */
export interface IndexState { id: string; category: string; type: string; brand: string; words: string }

/**
 * A token row. Key: `pk` = `w#` + the word's first character (so a prefix of any length is one
 * partition), `sk` = `<word>#<item id>` (a word's rows are one key range, in item id order).
 * `ws`, `c`, `t`, `b` are copies of the item's words, category, type and brand, so the other
 * words of a query and its filters are checked on the rows, before any item is read.
 */
export interface SearchRow { pk: string; sk: string; id: string; ws: string; c: string; t: string; b: string }

export interface IndexKey { pk: string; sk: string }

/**
 * The partition of the word statistics: `sk` a word, `n` how many items have it. Written by the
 * repair (data/catalog-backfill.ts) from the word rows, so as fresh as its last run; the search
 * reads them to pick its rarest word (search.driverOf).
 */
export const WORD_STATS_PARTITION = 'wordstats'

/**
 * The partition of every category counter: GET /categories is one Query of it. Each counter is
 * split over COUNTER_SHARDS rows (see CountRow), so writes into one category meet on a row only
 * when their items share a shard.
 */
export const COUNTS_PARTITION = 'categories'

/**
 * Rows each counter is split over. An item always moves the same shard (counterShard of its id),
 * so each shard is exactly what its items add up to and the repair can recompute it. Changing it
 * keeps every total right (readers add up whatever shards exist; a shard may go below 0), and the
 * next repair run (npm run backfill-index) moves each count to its new shard.
 */
export const COUNTER_SHARDS = 8

/**
 * A counter row: `sk` is `#<shard>#<counter>`, where a counter is `<category>`, `<category>#type#<type>`
 * or `<category>#brand#<brand>`; `n` its shard's item count; `v` the stamp of the last write that
 * moved it (absent on rows written before stamps existed). The shard leads the key, so the rows
 * of all counters interleave by shard: a split of the partition by sort key range divides every
 * category's writes, not one category from another. A row of the layout before shards (`sk` the
 * counter itself: a category never starts with `#`) still counts until the repair folds it into
 * the shards (data/catalog-backfill.ts); readers add it to the shards.
 */
export interface CountRow { pk: string; sk: string; n: number; v?: string }

/** The shard an item's counts go to: FNV-1a of its id, modulo COUNTER_SHARDS. */
export function counterShard (id: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % COUNTER_SHARDS
}

export function shardSortKey (shard: number, counter: string): string {
  return `#${shard}#${counter}`
}

/** The counter a row counts for, and its shard (undefined for a row of the layout before shards). */
export function counterOf (sk: string): { counter: string; shard?: number } {
  const match = /^#(\d+)#/.exec(sk)
  if (match === null) return { counter: sk }
  return { counter: sk.slice(match[0].length), shard: Number(match[1]) }
}

/** The three counters of an item: its category, its category and type, its category and brand. */
export function counterNames (state: Pick<IndexState, 'category' | 'type' | 'brand'>): string[] {
  return [state.category, `${state.category}#type#${state.type}`, `${state.category}#brand#${state.brand}`]
}

/** What the counter rows should hold for these items' stored index states (undefined: not indexed, not counted). */
export function countsOf (
  states: Iterable<Pick<IndexState, 'id' | 'category' | 'type' | 'brand'> | undefined>
): Map<string, number> {
  const counts = new Map<string, number>()
  for (const state of states) {
    if (state === undefined) continue
    for (const sk of countKeys(state)) counts.set(sk, (counts.get(sk) ?? 0) + 1)
  }
  return counts
}

/**
 * How an item's stored rows differ from the rows its index state says: rows to write (missing
 * or with stale copies) and rows to delete.
 */
export function rowRepairs (
  want: SearchRow[], have: Array<Record<string, unknown>>
): { put: SearchRow[]; remove: IndexKey[] } {
  const stored = new Map(have.map((r) => [`${String(r.pk)}\n${String(r.sk)}`, r]))
  const put = want.filter((row) => {
    const was = stored.get(`${row.pk}\n${row.sk}`)
    stored.delete(`${row.pk}\n${row.sk}`)
    return was === undefined || was.id !== row.id || was.ws !== row.ws ||
      was.c !== row.c || was.t !== row.t || was.b !== row.b
  })
  return { put, remove: [...stored.values()].map((r) => ({ pk: String(r.pk), sk: String(r.sk) })) }
}

export function wordPartition (word: string): string {
  return `w#${String.fromCodePoint(word.codePointAt(0) as number)}`
}

export function wordSortKey (word: string, id: string): string {
  return `${word}#${id}`
}

/**
 * The sort keys starting with `prefix`, as the bounds of a BETWEEN: [prefix, prefix with its last
 * character raised by one]. No key equals the upper bound (every key ends in `#<item id>` after a
 * whole word, and a prefix ending in `#` is raised to `$`). BETWEEN rather than begins_with:
 * DynamoDB Local walks the partition from its start for a begins_with, so a range deep in a big
 * partition took as long as the rows before it; a BETWEEN seeks, as DynamoDB does for both.
 */
export function keyRange (prefix: string): { from: string; to: string } {
  const chars = [...prefix]
  const last = (chars.pop() as string).codePointAt(0) as number
  let next = last + 1
  if (next >= 0xd800 && next <= 0xdfff) next = 0xe000 // not a character: the next one is
  if (next > 0x10ffff) throw new Error('keyRange: the prefix ends in the last code point')
  return { from: prefix, to: chars.join('') + String.fromCodePoint(next) }
}

/** The index state an item should have, computed from its fields. */
export function indexStateOf (
  item: { id: string; category: string; type: string; brand: string; title: string; description: string }
): IndexState {
  return {
    id: item.id,
    category: item.category,
    type: item.type,
    brand: item.brand,
    words: wordString(indexedWords(item))
  }
}

export function searchRows (state: IndexState): SearchRow[] {
  return state.words.split(' ').filter((w) => w !== '').map((word) => ({
    pk: wordPartition(word),
    sk: wordSortKey(word, state.id),
    id: state.id,
    ws: state.words,
    c: state.category,
    t: state.type,
    b: state.brand
  }))
}

/** The sort keys of the counter rows an item moves: its three counters, in its shard. */
export function countKeys (state: Pick<IndexState, 'id' | 'category' | 'type' | 'brand'>): string[] {
  const shard = counterShard(state.id)
  return counterNames(state).map((counter) => shardSortKey(shard, counter))
}

export interface IndexChange {
  /** Rows to write: new ones and those whose copied fields changed. */
  put: SearchRow[]
  /** Rows of words the item no longer has. */
  remove: IndexKey[]
  /** Counter changes, by counter sort key; never a zero. */
  counts: Array<{ sk: string; delta: number }>
}

/** From one state to another; `undefined` is "not in the index" (absent, or not indexed yet). */
export function indexChange (before: IndexState | undefined, after: IndexState | undefined): IndexChange {
  const old = new Map((before === undefined ? [] : searchRows(before)).map((r) => [`${r.pk}\n${r.sk}`, r]))
  const put: SearchRow[] = []
  for (const row of after === undefined ? [] : searchRows(after)) {
    const key = `${row.pk}\n${row.sk}`
    const was = old.get(key)
    old.delete(key)
    if (was === undefined || was.ws !== row.ws || was.c !== row.c || was.t !== row.t || was.b !== row.b) put.push(row)
  }
  const remove = [...old.values()].map(({ pk, sk }) => ({ pk, sk }))
  const deltas = new Map<string, number>()
  if (before !== undefined) for (const sk of countKeys(before)) deltas.set(sk, (deltas.get(sk) ?? 0) - 1)
  if (after !== undefined) for (const sk of countKeys(after)) deltas.set(sk, (deltas.get(sk) ?? 0) + 1)
  const counts = [...deltas.entries()].filter(([, d]) => d !== 0).map(([sk, delta]) => ({ sk, delta }))
  return { put, remove, counts }
}

export function isEmptyChange (change: IndexChange): boolean {
  return change.put.length === 0 && change.remove.length === 0 && change.counts.length === 0
}

/** Each counter's count: its shards added up, with its row of the layout before shards if it still has one. */
export function counterTotals (rows: Iterable<Pick<CountRow, 'sk' | 'n'>>): Map<string, number> {
  const totals = new Map<string, number>()
  for (const { sk, n } of rows) {
    if (typeof n !== 'number' || !Number.isFinite(n)) continue
    const { counter } = counterOf(sk)
    totals.set(counter, (totals.get(counter) ?? 0) + n)
  }
  return totals
}

/**
 * GET /categories from the counter rows (shards added up first: one shard may be below 0 while an
 * old-layout row still holds its items): a type or brand whose count is 0 is gone, and so is an
 * empty category.
 */
export function summariseCounts (rows: Iterable<Pick<CountRow, 'sk' | 'n'>>): CategorySummary[] {
  const byCategory = new Map<string, { count: number; types: string[]; brands: string[] }>()
  const entry = (category: string) => {
    let e = byCategory.get(category)
    if (e === undefined) {
      e = { count: 0, types: [], brands: [] }
      byCategory.set(category, e)
    }
    return e
  }
  // Names in NFC: items written before names were normalised may spell one name two ways; they
  // are one entry (their counts added).
  for (const [counter, n] of counterTotals(rows)) {
    if (!(n > 0)) continue
    const [category, kind, ...rest] = counter.normalize('NFC').split('#')
    if (category === undefined || category === '') continue
    const name = rest.join('#')
    if (kind === undefined) entry(category).count += n
    else if (kind === 'type') entry(category).types.push(name)
    else if (kind === 'brand') entry(category).brands.push(name)
  }
  const sorted = (list: string[]): string[] => [...new Set(list)].sort((a, b) => a.localeCompare(b))
  return [...byCategory.entries()]
    .filter(([, e]) => e.count > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([category, e]) => ({ category, count: e.count, types: sorted(e.types), brands: sorted(e.brands) }))
}
