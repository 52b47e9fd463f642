// `npm test`: starts the emulators once, on free ports and in memory, runs the whole tap suite
// against them, stops them on every exit path, and ends with the line CI counts:
// `N passed, N failed`. Extra arguments go to tap (for example one test file).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startStack, type Stack } from '../local/stack.js'
import { countTap, tapFailures, tapSummary } from './tap-count.js'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
// The SDK's notice about Node 20 support is for AWS's runtime, not for local runs.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
const tapBin = join(dirname(createRequire(import.meta.url).resolve('tap/package.json')), 'dist', 'esm', 'run.mjs')

let stack: Stack | undefined
let stopping = false
const stop = async (): Promise<void> => {
  if (stopping) return
  stopping = true
  await stack?.stop().catch((err: unknown) => console.error('stopping the emulators failed:', err))
}

async function main (): Promise<number> {
  // This run's raw TAP, in a folder of its own, so concurrent runs never count each other's results.
  const outDir = mkdtempSync(join(tmpdir(), 'tap-run-'))
  const rawTap = join(outDir, 'run.tap')
  const started = Date.now()
  stack = await startStack()
  console.log(
    `# Node ${process.version}, emulators ready in ${Date.now() - started} ms: ${Object.values(stack.endpoints).join(
      ' '
    )}`
  )
  // At a terminal, tap's own reporter draws the run and the raw TAP goes to a file; in CI (no
  // terminal) the raw TAP is the report: we print it as it comes and count it.
  const tty = process.stdout.isTTY === true
  const tapArgs = tty ? [`--output-file=${rawTap}`] : ['--reporter=tap']
  const tap = spawn(process.execPath, [tapBin, ...tapArgs, ...process.argv.slice(2)], {
    cwd: root,
    stdio: ['ignore', tty ? 'inherit' : 'pipe', 'inherit'],
    env: { ...process.env, ...stack.env, LOG_LEVEL: 'silent', STAGE: 'test' }
  })
  const piped: string[] = []
  tap.stdout?.on('data', (chunk: Buffer) => { piped.push(chunk.toString()); process.stdout.write(chunk) })
  const forward = (signal: NodeJS.Signals): void => { tap.kill(signal) }
  process.on('SIGINT', forward)
  process.on('SIGTERM', forward)
  const code: number = await new Promise((resolve) => tap.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))))
  await stop()
  let raw = piped.join('')
  if (tty) { try { raw = readFileSync(rawTap, 'utf8') } catch { /* tap wrote nothing */ } }
  rmSync(outDir, { recursive: true, force: true })
  const counts = tapSummary(raw) ?? countTap(raw)
  // A test file that crashed before reporting still fails the run.
  if (code !== 0 && counts.failed === 0) counts.failed = 1
  // A long log is often read from its end: name what failed there, right above the count.
  const failures = tapFailures(raw)
  const commented = failures.map((f) => `#   ${f.replaceAll('\n', '\n#   ')}`)
  if (failures.length > 0) console.log(`# failed:\n${commented.join('\n')}`)
  console.log(
    `${counts.passed} passed, ${counts.failed} failed${counts.skipped > 0 ? `, ${counts.skipped} skipped` : ''}`
  )
  return code !== 0 || counts.failed > 0 ? 1 : 0
}

main().then((code) => process.exit(code), async (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  await stop()
  console.log('0 passed, 1 failed')
  process.exit(1)
})
