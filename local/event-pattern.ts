// EventBridge event-pattern matching for the local bus (local/event-bus.ts), so a rule whose
// pattern would not match in AWS does not match locally either. Supported: lists of exact values,
// { prefix }, { suffix }, { exists }, { 'anything-but': value | [values] | { prefix } }, nested
// patterns for objects. An event field holding an array matches when any element does. Any other
// operator throws, rather than silently matching differently from AWS.
type Json = string | number | boolean | null | Json[] | { [key: string]: Json }

export class UnsupportedPatternError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UnsupportedPatternError'
  }
}

function matchesFilter (filter: Json, value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value]
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) {
    return value !== undefined && values.some((v) => v === filter)
  }
  const [op, ...more] = Object.keys(filter)
  if (op === undefined || more.length > 0) {
    throw new UnsupportedPatternError(`a filter takes one operator (${JSON.stringify(filter)})`)
  }
  const arg = filter[op]
  switch (op) {
    case 'exists':
      return (value !== undefined) === arg
    case 'prefix':
      return values.some((v) => typeof v === 'string' && typeof arg === 'string' && v.startsWith(arg))
    case 'suffix':
      return values.some((v) => typeof v === 'string' && typeof arg === 'string' && v.endsWith(arg))
    case 'anything-but': {
      if (value === undefined) return false
      if (arg !== null && typeof arg === 'object' && !Array.isArray(arg)) {
        if (typeof arg.prefix !== 'string') {
          throw new UnsupportedPatternError(`unsupported anything-but ${JSON.stringify(arg)}`)
        }
        const prefix = arg.prefix
        return values.every((v) => !(typeof v === 'string' && v.startsWith(prefix)))
      }
      const excluded = Array.isArray(arg) ? arg : [arg]
      return values.every((v) => !excluded.includes(v as Json))
    }
    default:
      throw new UnsupportedPatternError(`the local bus does not implement the "${op}" operator`)
  }
}

/** Whether an event (as rules see it: source, detail-type, detail, ...) matches a pattern. */
export function matchesPattern (pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, rule]) => {
    const value = event[field]
    if (Array.isArray(rule)) return rule.some((filter: Json) => matchesFilter(filter, value))
    if (rule !== null && typeof rule === 'object') {
      return value !== null && typeof value === 'object' && !Array.isArray(value) &&
        matchesPattern(rule as Record<string, unknown>, value as Record<string, unknown>)
    }
    throw new UnsupportedPatternError(`pattern field "${field}" must be a list of filters or a nested pattern`)
  })
}
