// Small statistics over samples: the bench reports medians and ranges, never means (one slow
// sample on a shared machine must not move the headline).
export function quantile (values: number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo)
}

export const median = (values: number[]): number => quantile(values, 0.5)

export interface Summary { median: number; min: number; max: number; n: number }

export function summarize (values: number[]): Summary {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length }
}
