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

/**
 * Where each failure is in a raw TAP stream: the subtest path of every failing assertion (file first) and
 * the first lines of its diagnostics, so the end of a long CI log names what failed. A subtest that
 * failed with no failing assertion inside (a crash, a timeout) is listed by itself.
 */
/** Diagnostics that say where, not what: the path of the failure names it well enough. */
const WHERE_KEYS = new Set(['at', 'stack', 'source', 'compare', 'fileName', 'lineNumber', 'columnNumber', 'typeName',
  'stdio', 'cwd', 'externalID', 'command', 'args'])

export function tapFailures (text: string, diagnosticLines = 8): string[] {
  const names: string[] = []
  const failures: Array<{ path: string[]; leaf: boolean; diagnostics: string[] }> = []
  let previous: { plan: boolean; indent: number } | undefined
  let yaml: { lines: string[]; indent: number; key: string } | undefined
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length
    const body = line.trim()
    if (yaml !== undefined) {
      if (body === '...') { yaml = undefined; continue }
      const key = indent === yaml.indent ? /^([\w-]+):/.exec(body)?.[1] : undefined
      if (key !== undefined) yaml.key = key
      if (!WHERE_KEYS.has(yaml.key) && yaml.lines.length < diagnosticLines) yaml.lines.push(body.slice(0, 200))
      continue
    }
    if (body === '---') {
      const last = failures.at(-1)
      const ownsBlock = last !== undefined && last.diagnostics.length === 0 && previous?.indent === indent - 2
      yaml = { lines: ownsBlock ? last.diagnostics : [], indent, key: '' }
      continue
    }
    const subtest = /^# Subtest: (.*)$/.exec(body)
    if (subtest !== null) { names[indent / 4] = subtest[1] ?? ''; names.length = indent / 4 + 1 }
    if (body === '' || body.startsWith('#')) continue
    const point = /^not ok \d+ - (.*?)(?:\s+# time=[\d.]+m?s)?$/.exec(body)
    if (point !== null && !/#\s*(skip|todo)\b/i.test(body)) {
      const leaf = !(previous?.plan === true && previous.indent > indent)
      failures.push({ path: [...names.slice(0, indent / 4), point[1] ?? ''], leaf, diagnostics: [] })
    }
    previous = { plan: /^1\.\.\d+/.test(body), indent }
  }
  const listed = failures.filter((f) => f.leaf)
  for (const f of failures) {
    if (f.leaf) continue
    const inside = listed.some((l) => f.path.every((name, i) => l.path[i] === name))
    if (!inside) listed.push(f)
  }
  return listed.map((f) => [f.path.join(' > '), ...f.diagnostics.map((d) => `    ${d}`)].join('\n'))
}
