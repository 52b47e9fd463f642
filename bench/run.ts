// `npm run bench`: builds what it measures, runs every case interleaved with its baseline, prints
// a table (median, min-max, ratio to the baseline, target) and writes bench/results/latest.json and
// bench/results.md. `npm run bench -- --quick` runs a tiny setting (a smoke run, numbers
// meaningless); `-- --only=<case name part>` runs some cases. Numbers never fail the run: the
// machines are shared and noisy; a broken case does (exit 1).
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { ROOT } from '../scripts/build.js'
import { BUILD_DIR, buildAll } from './lib/build.js'
import { writeEvents } from './lib/events.js'
import { cleanUp } from './lib/processes.js'
import { markdownTable, textTable } from './lib/report.js'
import type { BenchCase, BenchContext, Row } from './lib/types.js'
import { apiColdStart, node22ColdStart, workerColdStart } from './cases/cold-start.js'
import { bundleSizes } from './cases/bundle.js'
import { warmApi } from './cases/warm.js'
import { httpRead, httpWrite } from './cases/http.js'
import { scale } from './cases/scale.js'
import { pipeline } from './cases/pipeline.js'
import { startBenchStack } from './lib/stack.js'

export const CASES: BenchCase[] = [
  bundleSizes,
  apiColdStart,
  workerColdStart,
  node22ColdStart,
  warmApi,
  httpRead,
  httpWrite,
  scale,
  pipeline
]

export interface RunOptions {
  quick: boolean
  only?: string
  resultsDir?: string
  markdownFile?: string
  /** A DynamoDB Local already running (the test runner's) instead of starting one. */
  dynamodbEndpoint?: string
}

export function parseArgs (args: string[]): RunOptions {
  const opts: RunOptions = { quick: false }
  for (const a of args) {
    if (a === '--quick') opts.quick = true
    else if (a.startsWith('--only=')) opts.only = a.slice('--only='.length)
    else throw new Error(`Unknown option ${a}: expected --quick or --only=<case>`)
  }
  return opts
}

export async function runBench (opts: RunOptions, log: (line: string) => void = console.log): Promise<Row[]> {
  const started = performance.now()
  const cases = CASES.filter((c) => opts.only === undefined || c.name.includes(opts.only))
  log(`building bundles and baselines into ${BUILD_DIR}`)
  const built = await buildAll()
  const ctx: BenchContext = { built, events: writeEvents(join(BUILD_DIR, 'events')), quick: opts.quick, log }
  const rows: Row[] = []
  const failures: string[] = []
  if (cases.some((c) => c.needsStack === true)) {
    const t = performance.now()
    ctx.stack = await startBenchStack({ dynamodbEndpoint: opts.dynamodbEndpoint })
    log(
      `stack (DynamoDB Local ${ctx.stack.dynamodbEndpoint}) ready in ${((performance.now() - t) / 1000).toFixed(1)} s`
    )
  }
  try {
    for (const c of cases) {
      const t = performance.now()
      try {
        rows.push(...await c.run(ctx))
      } catch (err) {
        failures.push(`${c.name}: ${(err as Error).message}`)
        log(`case "${c.name}" failed: ${(err as Error).message}`)
      }
      log(`  ${c.name}: ${((performance.now() - t) / 1000).toFixed(1)} s`)
    }
  } finally {
    await ctx.stack?.stop()
  }
  const seconds = (performance.now() - started) / 1000
  log('')
  log(textTable(rows))
  for (const r of rows) if (r.note !== undefined) log(`${r.measured}: ${r.note}`)
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    quick: opts.quick,
    seconds: Math.round(seconds)
  }
  const resultsDir = opts.resultsDir ?? join(ROOT, 'bench', 'results')
  await mkdir(resultsDir, { recursive: true })
  await writeFile(join(resultsDir, 'latest.json'), JSON.stringify({ ...meta, failures, rows }, null, 2))
  const md = [
    `Measured ${meta.date.slice(0, 10)} with \`npm run bench${opts.quick ? ' -- --quick' : ''}\` (Node ` +
      `${meta.node}, ${meta.cpus}, ${meta.seconds} s).`,
    '',
    markdownTable(rows),
    '',
    ...rows.filter((r) => r.note !== undefined).map((r) => `- ${r.measured}: ${r.note as string}`),
    ...(failures.length > 0 ? ['', 'Cases that did not run:', ...failures.map((f) => `- ${f}`)] : []),
    ''
  ].join('\n')
  await writeFile(opts.markdownFile ?? join(ROOT, 'bench', 'results.md'), md)
  log(`\n${rows.length} rows in ${seconds.toFixed(0)} s; wrote ${join(resultsDir, 'latest.json')} and bench/results.md`)
  if (failures.length > 0) throw new Error(`${failures.length} case(s) failed:\n  ${failures.join('\n  ')}`)
  return rows
}

async function main (): Promise<void> {
  const stop = (signal: string): void => {
    console.error(`\n${signal}: stopping`)
    const exit = (): never => process.exit(130)
    cleanUp().then(exit, (err: unknown) => {
      console.error('clean-up failed:', err)
      exit()
    })
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
  try {
    await runBench(parseArgs(process.argv.slice(2)))
  } catch (err) {
    console.error((err as Error).message)
    process.exitCode = 1
  } finally {
    await cleanUp()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
