// Runs a built bundle in a process of its own, as Lambda would (test/helpers/lambda-probe.ts), on a
// given Node binary, and returns its log lines and the probe's report.
import { build } from 'esbuild'
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface ProbeResult {
  results: Array<{ answer?: any; thrown?: string; mapsRead: number; undiciLoaded: boolean }>
  /** Every .map file the process read, in order. */
  mapsRead: string[]
  /** The bundle's stdout and stderr, one parsed JSON log line each (other lines are dropped). */
  logs: Array<Record<string, any>>
  /** Every non-empty line the bundle wrote, JSON or not. */
  rawLines: string[]
}

const probes = new Map<string, Promise<string>>()

/** The probe built to JavaScript in `dir` (once per folder). */
async function probeScript (dir: string): Promise<string> {
  let probe = probes.get(dir)
  if (probe === undefined) {
    const outfile = join(dir, 'lambda-probe.mjs')
    probe = build({
      entryPoints: [fileURLToPath(new URL('./lambda-probe.ts', import.meta.url))],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'warning'
    })
      .then(() => outfile)
    probes.set(dir, probe)
  }
  return await probe
}

let runs = 0

/**
 * Gives `events` to the bundle's handler, one after another, in `node` with exactly `env` (and
 * PATH). The probe and the events are written in `dir` (the test's own temporary folder).
 */
export async function runLambdaProbe (
  node: string,
  bundle: string,
  events: unknown[],
  env: Record<string, string>,
  dir: string
): Promise<ProbeResult> {
  const script = await probeScript(dir)
  const eventsFile = join(dir, `probe-events-${++runs}.json`)
  await writeFile(eventsFile, JSON.stringify(events))
  // Through `env -i`: tap's process tracking adds its loader to a child's NODE_OPTIONS, and that
  // loader turns Node's own source maps on, which Lambda's runtime does not.
  const vars = Object.entries({ PATH: process.env.PATH ?? '', ...env }).map(([k, v]) => `${k}=${v}`)
  const child = spawn(
    'env',
    ['-i', ...vars, node, script, bundle, eventsFile],
    { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] }
  )
  let stdout = ''
  let stderr = ''
  let report = ''
  child.stdout?.on('data', (c: Buffer) => { stdout += c.toString('utf8') })
  child.stderr?.on('data', (c: Buffer) => { stderr += c.toString('utf8') })
  child.stdio[3]?.on('data', (c: Buffer) => { report += c.toString('utf8') })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  clearTimeout(timer)
  let parsed: { results?: ProbeResult['results']; mapsRead?: string[]; error?: string } = {}
  try { parsed = JSON.parse(report) as typeof parsed } catch {}
  if (code !== 0 || parsed.results === undefined) {
    throw new Error(`the probe failed (exit ${code}): ${parsed.error ?? stderr.trim().slice(-2000)}`)
  }
  // Lambda sends both streams to the function's log (Powertools writes warnings and errors to stderr).
  const logs = `${stdout}\n${stderr}`.split('\n').flatMap((line) => {
    try { return [JSON.parse(line) as Record<string, any>] } catch { return [] }
  })
  const rawLines = `${stdout}\n${stderr}`.split('\n').filter((line) => line.trim() !== '')
  return { results: parsed.results, mapsRead: parsed.mapsRead ?? [], logs, rawLines }
}
