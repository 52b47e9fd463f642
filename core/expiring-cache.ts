// A per-container cache: a Map whose entries expire after `ttlMs`, holding at most `max` (the
// oldest entry leaves first). Used for values a warm Lambda should not fetch on every request.

export interface ExpiringCache<V> {
  get: (key: string) => V | undefined
  set: (key: string, value: V) => void
  delete: (key: string) => void
}

export function expiringCache<V> (max: number, ttlMs: number): ExpiringCache<V> {
  const entries = new Map<string, { value: V; until: number }>()
  return {
    get: (key) => {
      const hit = entries.get(key)
      return hit !== undefined && hit.until > Date.now() ? hit.value : undefined
    },
    set: (key, value) => {
      // Re-setting a key moves it to the back, so the oldest entry is always first.
      entries.delete(key)
      if (entries.size >= max) entries.delete(entries.keys().next().value as string)
      entries.set(key, { value, until: Date.now() + ttlMs })
    },
    delete: (key) => { entries.delete(key) }
  }
}
