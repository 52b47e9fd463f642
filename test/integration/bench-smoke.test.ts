// `npm run bench -- --quick` end to end: every case runs (the build, cold starts, warm, and the
// stack cases against the test runner's DynamoDB Local), every row has a finite positive median,
// and the results are written where asked, never over the committed bench/results.md. Numbers are
// not checked: benchmarks never fail a test on a number.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from '../../scripts/build.js'
import { CASES, runBench } from '../../bench/run.js'
import { cleanUp } from '../../bench/lib/processes.js'
import { stackEnv } from '../helpers/stack.js'

// The rows of the stack cases, exactly; the other cases' rows change with their variants, so for
// them at least one row each.
const STACK_ROWS: Record<string, RegExp[]> = {
  'HTTP read': [
    /^GET \/items\/\{id\}: requests\/s$/,
    /^GET \/items\/\{id\}: p99$/,
    /^GET \/items\/\{id\}: requests\/s vs the bare HTTP server$/,
    /^bare HTTP server \(node:http, no framework\): requests\/s$/
  ],
  'HTTP write': [
    /^POST \/orders: orders\/s$/,
    /^POST \/orders: p99$/,
    /^POST \/orders: orders\/s vs the bare HTTP server$/,
    /^bare HTTP server \(node:http, no framework\): requests\/s$/
  ],
  scale: [
    /^GET \/items\?category= first page, 1000 items: p50$/, /^GET \/orders first page, 100 orders of the user: p50$/,
    /^GET \/items\?q=camera \(one word\) first page, 1000 items: p50$/,
    /^GET \/items\?q=pixel\+camera \(two words\) first page, 1000 items: p50$/,
    /^GET \/items\?q=pix \(a prefix\) first page, 1000 items: p50$/, /^GET \/categories, 1000 items: p50$/,
    /^GET \/items\?q=camera \(one word\): read capacity per request, 1000 items$/,
    /^GET \/items\?q=pixel\+camera \(two words\): read capacity per request, 1000 items$/,
    /^GET \/items\?q=pix \(a prefix\): read capacity per request, 1000 items$/,
    /^GET \/categories: read capacity per request, 1000 items$/,
    /^GET \/items\?q=7\+camera \(a rare and a common word\): read capacity per request, 1000 items$/,
    /^GET \/categories before the catalog index: read capacity per request, 1000 items$/,
    /^item create: write capacity$/, /^item replace \(new title and description\): write capacity$/,
    /^item replace \(price only\): write capacity$/, /^item delete: write capacity$/
  ],
  pipeline: [/^order 201 to warehouse webhook: p50$/, /^order 201 to warehouse webhook: p95$/]
}

t.test('npm run bench -- --quick runs every case and writes its tables', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'))
  const committed = join(ROOT, 'bench', 'results.md')
  const before = statSync(committed, { throwIfNoEntry: false })?.mtimeMs
  const lines: string[] = []
  t.teardown(async () => {
    await cleanUp()
    rmSync(dir, { recursive: true, force: true })
  })
  const markdownFile = join(dir, 'results.md')
  const rows = await runBench(
    { quick: true, resultsDir: dir, markdownFile, dynamodbEndpoint: stackEnv().DYNAMODB_ENDPOINT },
    (line) => { lines.push(line) }
  )
    .catch((err: Error) => { throw new Error(`${err.message}\n${lines.slice(-30).join('\n')}`) })

  for (const c of CASES) t.ok(rows.some((r) => r.case === c.name), `case "${c.name}" reported rows`)
  for (const [name, expected] of Object.entries(STACK_ROWS)) {
    const mine = rows.filter((r) => r.case === name)
    t.equal(mine.length, expected.length, `${name}: ${expected.length} rows`)
    for (const re of expected) t.ok(mine.some((r) => re.test(r.measured)), `${name}: a row ${re}`)
  }
  for (const r of rows) {
    t.ok(
      Number.isFinite(r.summary.median) && r.summary.median > 0,
      `${r.case} / ${r.measured}: median ${r.summary.median} is finite and positive`
    )
    if (r.baseline !== undefined) {
      t.ok(Number.isFinite(r.ratio) && (r.ratio as number) > 0, `${r.case} / ${r.measured}: ratio ${r.ratio}`)
    }
  }
  const target = rows.find((r) => r.case === 'pipeline' && r.target !== undefined)
  t.equal(target?.pass, (target?.summary.median ?? Infinity) < 1000, 'the pipeline row computes its pass from the p50')

  const md = readFileSync(markdownFile, 'utf8')
  t.match(md, /^Measured \d{4}-\d{2}-\d{2} with `npm run bench -- --quick`/)
  t.match(md, /\| case \| measured \| median \|/)
  for (const r of rows) {
    t.ok(
      md.includes(`| ${r.case.replace(/\|/g, '\\|')} | ${r.measured.replace(/\|/g, '\\|')} |`),
    `markdown row for ${r.measured}`
    )
  }
  const json = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as {
    rows: unknown[]
    failures: unknown[]
    quick: boolean
  }
  t.equal(json.rows.length, rows.length, 'latest.json holds every row')
  t.same(json.failures, [])
  t.equal(json.quick, true)
  t.equal(statSync(committed, { throwIfNoEntry: false })?.mtimeMs, before, 'bench/results.md is left alone')
})
