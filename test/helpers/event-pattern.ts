// EventBridge's event-pattern matching, for the subset our rules use: each pattern field is a list
// of allowed values (or of { prefix } / { exists } filters), or a nested pattern for an object. An
// array in the event matches when any of its elements does.
type Filter = string | number | boolean | null | { prefix?: string; exists?: boolean }

function valueMatches (filters: Filter[], value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value]
  return filters.some((f) => {
    if (f !== null && typeof f === 'object') {
      if ('exists' in f) return (value !== undefined) === f.exists
      if ('prefix' in f) return values.some((v) => typeof v === 'string' && v.startsWith(f.prefix as string))
      throw new Error(`unsupported filter ${JSON.stringify(f)}`)
    }
    return value !== undefined && values.some((v) => v === f)
  })
}

export function matchesPattern (pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, rule]) => {
    const value = event[field]
    if (Array.isArray(rule)) return valueMatches(rule as Filter[], value)
    if (rule !== null && typeof rule === 'object') {
      return value !== null && typeof value === 'object' && matchesPattern(rule as Record<string, unknown>, value as Record<string, unknown>)
    }
    throw new Error(`a pattern field must be a list or an object (${field})`)
  })
}
