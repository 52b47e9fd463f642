// What `q` means, with no Fastify and no SDK: how text becomes words (case and accents folded),
// which words of an item are searchable, and how a query matches them. The token index
// (domain/catalog-index-rows.ts) stores these words; the search (data/items-search.ts) reads it.
//
// Semantics: every word of the query must equal a word of the item's title, brand or description,
// except the last, which only has to start one (`pix` finds Pixel). Words are runs of letters and
// digits: `usb-c` is two words, `6.1-inch` three.
import { Problem } from '../core/problem.js'

export const MAX_QUERY_WORDS = 8
/** Longer words are compared on their first 32 characters (and stored so: a key has a size limit). */
export const MAX_WORD_CHARS = 32
/**
 * Distinct words of an item that are searchable, taken from its title, then brand, then
 * description. Each is a row of the token index written in the item's own transaction, whose 100
 * actions bound them: a replace that changes every word deletes 45 rows and writes 45 (see
 * docs/ARCHITECTURE.md, "Catalog index").
 */
export const MAX_INDEXED_WORDS = 45

// Letters NFKD does not decompose into a base letter and a mark.
const EXTRA_FOLDS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i'
}
const EXTRA_FOLD_RE = /[ßæœøłđðþı]/g
const MARKS = /\p{M}+/gu
const SEPARATORS = /[^\p{L}\p{N}]+/u

/**
 * Compatibility forms, then lower case, and no accents: "Crème BRÛLÉE ﬁne" -> "creme brulee fine".
 * NFKD first: styled letters (𝐁, ℌ) have no lower case of their own until they become B and H.
 */
export function foldText (text: string): string {
  return text.normalize('NFKD').toLowerCase().normalize('NFKD').replace(MARKS, '')
    .replace(EXTRA_FOLD_RE, (c) => EXTRA_FOLDS[c] ?? c)
}

/** The words of a text, folded, in order, repeats included. */
export function wordsOf (text: string): string[] {
  const out: string[] = []
  for (const word of foldText(text).split(SEPARATORS)) {
    if (word === '') continue
    out.push(word.length > MAX_WORD_CHARS ? [...word].slice(0, MAX_WORD_CHARS).join('') : word)
  }
  return out
}

/** An item's searchable words: distinct, title first, then brand, then description, at most MAX_INDEXED_WORDS. */
export function indexedWords (item: { title: string; brand: string; description: string }): string[] {
  const seen = new Set<string>()
  for (const text of [item.title, item.brand, item.description]) {
    for (const word of wordsOf(text)) {
      if (seen.has(word)) continue
      if (seen.size === MAX_INDEXED_WORDS) return [...seen]
      seen.add(word)
    }
  }
  return [...seen]
}

/** The words as one string with a space on each side, so `contains(' w ')` means "has the word w". */
export function wordString (words: readonly string[]): string {
  return words.length === 0 ? ' ' : ` ${words.join(' ')} `
}

/** A parsed `q`: words that must match exactly, and the last word, which must start a word. */
export interface SearchQuery { exact: string[]; prefix?: string }

/** 400s for a `q` with nothing to search for or too many words; the schema already bounds its length. */
export function parseQuery (q: string): SearchQuery {
  const words = wordsOf(q)
  if (words.length === 0) {
    throw new Problem(
      400,
      'empty_query',
      'q has no letters or digits to search for; send words (q=pixel) or leave q out'
    )
  }
  if (words.length > MAX_QUERY_WORDS) {
    throw new Problem(400, 'too_many_words', `q has ${words.length} words; at most ${MAX_QUERY_WORDS} are allowed`)
  }
  const exact = [...new Set(words.slice(0, -1))]
  const last = words[words.length - 1] as string
  // A last word that starts a word the query already requires adds nothing ("pixel pix").
  const prefix = exact.some((w) => w.startsWith(last)) ? undefined : last
  return prefix === undefined ? { exact } : { exact, prefix }
}

/** The query in a canonical form: the same for every spelling of one search (cursors are bound to it). */
export function canonicalQuery (query: SearchQuery): string {
  return `${[...query.exact].sort().join(' ')}|${query.prefix ?? ''}`
}

/** Whether an item's word string (wordString) matches the query. */
export function matchesQuery (words: string, query: SearchQuery): boolean {
  if (!query.exact.every((w) => words.includes(` ${w} `))) return false
  return query.prefix === undefined || words.includes(` ${query.prefix}`)
}

/**
 * The word whose rows the search reads; the other words are checked on those rows. With word
 * statistics (`counts`: items per word, domain/catalog-index.ts), the rarest: an exact word costs
 * its count (a word the statistics don't know is newer than them, so rare), the prefix the count
 * of the word it spells if known, else it is taken only when nothing else can be. Without them
 * (none of the query's words known), the longest word stands for the rarest (short words and
 * numbers are the common ones). An exact word wins a tie, its rows being a subset of a prefix's.
 * A search's later pages take the driver from their cursor, so the statistics may change between
 * pages.
 */
export interface Driver { word: string; prefix: boolean }

export function driverOf (query: SearchQuery, counts?: ReadonlyMap<string, number>): Driver {
  const candidates: Driver[] = query.exact.map((word) => ({ word, prefix: false }))
  if (query.prefix !== undefined) candidates.push({ word: query.prefix, prefix: true })
  const known = counts !== undefined && candidates.some((c) => counts.has(c.word))
  const cost = (c: Driver): number => {
    if (!known) return -[...c.word].length
    const n = counts.get(c.word)
    return n !== undefined ? n : c.prefix ? Number.POSITIVE_INFINITY : 0
  }
  let best: Driver | undefined
  for (const c of candidates) {
    if (best === undefined || cost(c) < cost(best) || (cost(c) === cost(best) && best.prefix && !c.prefix)) best = c
  }
  if (best === undefined) throw new Error('driverOf: a parsed query has at least one word')
  return best
}

/** Compares as DynamoDB orders sort keys: by UTF-8 bytes (code points), not UTF-16 units. */
export function compareUtf8 (a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/**
 * Under a prefix, an item has a row for each of its words that starts with it ("pixel" and
 * "pixels" under "pix"). Only the row of the first such word (in key order) counts, so the item is
 * found once and always at the same place in the order.
 */
export function isFirstUnderPrefix (words: string, word: string, prefix: string): boolean {
  for (const other of words.split(' ')) {
    if (other !== '' && other !== word && other.startsWith(prefix) && compareUtf8(other, word) < 0) return false
  }
  return true
}
