// What a bench case is and what it reports. A case runs its variants interleaved with their
// baselines and returns rows; run.ts prints them and writes the results.
import type { Built } from './build.js'
import type { EventName } from './events.js'
import type { Summary } from './stats.js'
import type { BenchStack } from './stack.js'

export interface Row {
  case: string
  /** What was measured, e.g. "api GET /items/{id}: import to response". */
  measured: string
  unit: string
  summary: Summary
  baseline?: { name: string; summary: Summary }
  /** measured / baseline median (or baseline / measured for "higher is better" metrics, see better). */
  ratio?: number
  better?: 'lower' | 'higher'
  /** e.g. "<= 1.15x"; pass is undefined when there is no target (report only). */
  target?: string
  pass?: boolean
  note?: string
}

export interface BenchContext {
  built: Built
  events: Record<EventName, string>
  quick: boolean
  log: (line: string) => void
  /** DynamoDB Local and the token issuer, started once when a selected case sets needsStack. */
  stack?: BenchStack
}

export interface BenchCase {
  name: string
  /** Whether it needs DynamoDB Local (the stack is started once, only if some case needs it). */
  needsStack?: boolean
  run: (ctx: BenchContext) => Promise<Row[]>
}

/** A row comparing a measured summary with a baseline's, with an optional target on the ratio. */
export function compare (base: Omit<Row, 'ratio' | 'pass'>, limit?: number): Row {
  const row: Row = { ...base }
  if (base.baseline !== undefined) {
    row.ratio = base.summary.median / base.baseline.summary.median
    if (limit !== undefined) row.pass = base.better === 'higher' ? row.ratio >= limit : row.ratio <= limit
  }
  return row
}
