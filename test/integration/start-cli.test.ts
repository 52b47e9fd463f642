// `npm run start:cli` (fastify-cli) as a developer runs it beside `npm start`: it finds the running
// stack's endpoints and ids itself (running.json in the data folder), listens on 127.0.0.1 only, and
// serves the API as npm start does (our request ids, not fastify's req-1, req-2, ...).
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LOCK_FILE } from '../../local/data-lock.js'
import { reservePort } from '../../local/emulators/process.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { until } from '../helpers/until.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

function startCli (env: Record<string, string>) {
  const theirs = /_ENDPOINT$|^USER_POOL|^STAGE$|^LOG_|PORT$|_TABLE$/
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !theirs.test(k)))
  // Its own process group, so the test stops npm, the shell and fastify-cli's node together.
  const child = spawn('npm', ['run', 'start:cli'], {
    cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true
  })
  let out = ''
  child.stdout?.on('data', (c: Buffer) => { out += c.toString() })
  child.stderr?.on('data', (c: Buffer) => { out += c.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const stop = (): void => { try { process.kill(-(child.pid as number), 'SIGKILL') } catch {} }
  return { child, output: () => out, exited, stop }
}

/** The addresses listening on `port` (hex, from /proc/net/tcp and tcp6). */
const listeners = (port: number): string[] => ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
  readFileSync(file, 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f[3] === '0A')
    .map((f) => (f[1] ?? '').split(':')).filter(([, p]) => parseInt(p ?? '', 16) === port).map(([a]) => a ?? ''))

t.test('without a running stack it says how to start one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'start-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const run = startCli({ LOCAL_DATA_DIR: dir, PORT: String(await reservePort('cli')) })
  t.teardown(run.stop)
  t.not(await run.exited, 0)
  t.match(run.output(), /No running local stack found in .*npm start/)
})

t.test('with the running stack\'s ids read from its data folder, on 127.0.0.1, with our request ids', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'start-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const tables = await createTables(t)
  // What npm start writes once it is up (this process standing in for it: a live pid).
  const running = { pid: process.pid, startedAt: new Date().toISOString(), ports: {}, env: stackEnv() }
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(running))
  const port = await reservePort('cli')
  const run = startCli({ ...tables, LOCAL_DATA_DIR: dir, PORT: String(port), LOG_LEVEL: 'info' })
  t.teardown(run.stop)
  const url = `http://127.0.0.1:${port}`
  const health = await until('the API', async () => {
    if (run.child.exitCode !== null) throw new Error(`start:cli exited:\n${run.output()}`)
    return await fetch(`${url}/health`).catch(() => undefined)
  }, 60_000, 250)
  t.equal(health.status, 200, 'healthy: it reached the stack\'s DynamoDB and Cognito')
  t.match(health.headers.get('x-request-id'), /^[0-9a-f]{8}-[0-9a-f]{4}-/, 'our request ids (UUIDs), not req-1')
  const loopback = (a: string): boolean => a === '0100007F' || a === '0000000000000000FFFF00000100007F'
  t.ok(listeners(port).length > 0 && listeners(port).every(loopback),
    `listening on 127.0.0.1 only (${listeners(port).join(', ')})`)
  const nowhere = await fetch(`${url}/nowhere`)
  t.equal(nowhere.status, 404)
  t.equal((await nowhere.json() as { code: string }).code, 'route_not_found', 'our problem answers')
  const id = nowhere.headers.get('x-request-id') ?? '?'
  await until('the access line', () => (run.output().includes(id) ? true : undefined), 10_000)
  const line = new RegExp(`GET /nowhere 404 [\\d.]+ ms \\[${id}\\]`)
  t.match(run.output(), line, 'one line per request, as npm start logs it')
})
