// Counts the leaf test points (assertions) of a raw TAP stream, the way tap's own
// summary does: a subtest's closing point (the line right after its nested plan) is not counted.

export interface Counts { passed: number; failed: number; skipped: number }

export function countTap (text: string): Counts {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0 }
  let previous: { plan: boolean; indent: number } | undefined
  let inYaml = false
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length
    const body = line.trim()
    if (inYaml) { if (body === '...') inYaml = false; continue }
    if (body === '---') { inYaml = true; continue }
    if (body === '' || body.startsWith('#')) continue
    const point = /^(not )?ok\b/.exec(body)
    if (point !== null) {
      const closesSubtest = previous?.plan === true && previous.indent > indent
      if (!closesSubtest) {
        if (/#\s*(skip|todo)\b/i.test(body)) counts.skipped++
        else if (point[1] !== undefined) counts.failed++
        else counts.passed++
      }
    }
    previous = { plan: /^1\.\.\d+/.test(body), indent }
  }
  return counts
}

/**
 * tap's own closing tally (`# { total: 12, pass: 10, fail: 1, skip: 1 }`), which the runner prints
 * at the end of its raw stream; preferred over counting when present.
 */
export function tapSummary (text: string): Counts | undefined {
  const lines = text.trimEnd().split('\n').reverse()
  for (const line of lines) {
    const m = /^#\s*\{\s*total:\s*(\d+)(.*)\}\s*$/.exec(line.trim())
    if (m === null) continue
    const field = (name: string): number => Number(new RegExp(`${name}:\\s*(\\d+)`).exec(m[2] ?? '')?.[1] ?? 0)
    return { passed: field('pass'), failed: field('fail'), skipped: field('skip') + field('todo') }
  }
  return undefined
}
