// The results as a table: printed to the terminal, written as markdown (bench/results.md, shown by
// bench/README.md) and as JSON (bench/results/latest.json, git-ignored).
import type { Row } from './types.js'

const num = (v: number, unit: string): string => {
  if (!Number.isFinite(v)) return '-'
  const digits = unit === 'ms' && v < 10 ? 2 : v >= 100 ? 0 : 1
  return v.toFixed(digits)
}

export function cells (r: Row): string[] {
  const s = r.summary
  return [
    r.case,
    r.measured,
    `${num(s.median, r.unit)} ${r.unit}`,
    `${num(s.min, r.unit)}-${num(s.max, r.unit)}`,
    r.baseline === undefined ? '-' : `${r.baseline.name} ${num(r.baseline.summary.median, r.unit)} ${r.unit}`,
    r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}x`,
    r.target ?? 'report',
    r.pass === undefined ? '' : r.pass ? 'pass' : 'FAIL'
  ]
}

export const HEADER = ['case', 'measured', 'median', 'min-max', 'baseline (median)', 'ratio', 'target', '']

export function textTable (rows: Row[]): string {
  const all = [HEADER, ...rows.map(cells)]
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n')
}

export function markdownTable (rows: Row[]): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|')
  return [
    `| ${HEADER.map(esc).join(' | ')} |`,
    `| ${HEADER.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`)
  ].join('\n')
}
