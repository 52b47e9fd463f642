// `npm start` as a newcomer runs it, on ports of its own and a data folder of its own: one stack per
// data folder (a second start refused, naming the first's pid and ports; a dead stack's lock taken
// over; the lock gone after Ctrl-C), every process listening on 127.0.0.1 only, and a banner whose
// commands carry this stack's ports and which gives the webhook secrets.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LOCAL_DEFAULTS } from '../../core/config.js'
import { LOCK_FILE, type RunningStack } from '../../local/data-lock.js'
import { reservePort } from '../../local/emulators/process.js'
import { until } from '../helpers/until.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const NAMES = ['PORT', 'DYNAMODB_PORT', 'COGNITO_PORT', 'SES_PORT', 'EVENTBUS_PORT', 'PARTNER_PORT'] as const

interface Run { child: ChildProcess; output: () => string; exited: Promise<number | null> }

function start (env: Record<string, string>, args: string[] = []): Run {
  const theirs = /_PORT$|^PORT$|_ENDPOINT$|^USER_POOL|^STAGE$|^LOG_/
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !theirs.test(k)))
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], {
    cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout?.on('data', (c: Buffer) => { out += c.toString() })
  child.stderr?.on('data', (c: Buffer) => { out += c.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => out, exited }
}

/** The local addresses listening on `port`, from /proc/net/tcp and tcp6 (hex address:port, state 0A). */
function listeners (port: number): string[] {
  const found: string[] = []
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/)
      if (state !== '0A' || local === undefined) continue
      const [addr, hexPort] = local.split(':')
      if (parseInt(hexPort ?? '', 16) === port) found.push(addr ?? '')
    }
  }
  return found
}
// 127.0.0.1 as /proc writes it: little-endian words, alone (tcp) or IPv4-mapped (tcp6).
const LOOPBACK = new Set(['0100007F', '0000000000000000FFFF00000100007F'])

t.test('one stack per data folder, loopback only, and a banner to copy from', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'local-start-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const picked = await Promise.all(NAMES.map(async (n) => [n, await reservePort(n)] as const))
  const ports = Object.fromEntries(picked) as Record<typeof NAMES[number], number>
  const env = { ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), LOCAL_DATA_DIR: dir }

  // A lock left by a stack that died (kill -9): its pid is gone.
  const dead = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((resolve) => dead.once('exit', resolve))
  const stale = { pid: dead.pid, startedAt: '2026-01-01T00:00:00Z', ports: { PORT: 1 } }
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(stale))

  const first = start(env, ['--no-seed'])
  t.teardown(() => { first.child.kill('SIGKILL') })
  const ready = (): boolean | undefined =>
    first.output().includes('Press Ctrl-C') ? true : first.child.exitCode !== null ? false : undefined
  await until('the banner', ready, 120_000, 250)
  const banner = first.output()
  t.ok(banner.includes('serverless-commerce is running'), `started over the dead stack's lock:\n${banner}`)
  const running = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as RunningStack
  t.equal(running.pid, first.child.pid, 'the lock is the new stack\'s')
  t.equal(running.ports.EVENTBUS_PORT, ports.EVENTBUS_PORT)
  const dynamodb = `http://127.0.0.1:${ports.DYNAMODB_PORT}`
  t.match(running.env, { USER_POOL_ID: /.+/, USER_POOL_CLIENT_ID: /.+/, DYNAMODB_ENDPOINT: dynamodb },
    'with the endpoints and ids other commands need')

  const opsPorts = `EVENTBUS_PORT=${ports.EVENTBUS_PORT} DYNAMODB_PORT=${ports.DYNAMODB_PORT}`
  t.match(banner, `${opsPorts} npm run redrive -- events`)
  t.match(banner, `${opsPorts} npm run replay -- <orderId>`)
  t.match(banner, `COGNITO_PORT=${ports.COGNITO_PORT} npm run admin -- <your email>`)
  t.match(banner, `PORT=${ports.PORT} npm run import -- <file.jsonl>`)
  for (const line of banner.split('\n').filter((l) => l.includes('npm run '))) {
    t.match(line, /\b(?:[A-Z]+_)?PORT=\d+ npm run /, `every printed command carries ports: ${line.trim()}`)
  }
  t.match(banner, LOCAL_DEFAULTS.WAREHOUSE_WEBHOOK_SECRET, 'the warehouse webhook secret is printed')
  t.match(banner, LOCAL_DEFAULTS.DELIVERY_WEBHOOK_SECRET, 'the delivery webhook secret is printed')

  for (const name of NAMES) {
    const addrs = listeners(ports[name])
    t.ok(addrs.length > 0, `${name} ${ports[name]} is listening`)
    t.same(addrs.filter((a) => !LOOPBACK.has(a)), [], `${name} listens on 127.0.0.1 only (${addrs.join(', ')})`)
  }

  // A second start on the same folder, other ports: refused before starting anything.
  const otherPorts = await Promise.all(NAMES.map(async (n) => [n, String(await reservePort(n))] as const))
  const second = start({ ...Object.fromEntries(otherPorts), LOCAL_DATA_DIR: dir })
  t.teardown(() => { second.child.kill('SIGKILL') })
  t.equal(await second.exited, 1, 'the second start fails')
  const holder = new RegExp(`pid ${first.child.pid}\\b.*PORT ${ports.PORT}, DYNAMODB_PORT ${ports.DYNAMODB_PORT}`)
  t.match(second.output(), holder,
    'naming the running stack\'s pid and ports')
  t.notMatch(second.output(), /starting DynamoDB Local/, 'having started nothing')
  const lockPid = (JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as RunningStack).pid
  t.equal(lockPid, first.child.pid, 'and leaving the lock alone')

  first.child.kill('SIGINT')
  t.equal(await first.exited, 0, 'Ctrl-C stops the stack')
  t.notOk(existsSync(join(dir, LOCK_FILE)), 'and releases the data folder')
})

t.test('a start that fails after taking the lock releases it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'local-start-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { createServer } = await import('node:net')
  const busy = createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()))
  t.teardown(() => { busy.close() })
  const port = (busy.address() as import('node:net').AddressInfo).port
  const others = await Promise.all(NAMES.slice(1).map(async (n) => [n, String(await reservePort(n))] as const))
  const run = start({ ...Object.fromEntries(others), PORT: String(port), LOCAL_DATA_DIR: dir })
  t.equal(await run.exited, 1)
  t.match(run.output(), `Port ${port} (for the API) is already in use`)
  t.notOk(existsSync(join(dir, LOCK_FILE)), 'no lock left behind')
})

t.test('--reset says what it wipes before it wipes it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'local-start-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'kept.txt'), 'old data')
  const picked = await Promise.all(NAMES.map(async (n) => [n, String(await reservePort(n))] as const))
  const ports = Object.fromEntries(picked)
  const { createServer } = await import('node:net')
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(Number(ports.DYNAMODB_PORT), '127.0.0.1', () => resolve()))
  t.teardown(() => { server.close() })
  // DynamoDB Local's port is busy, so the run stops right after the wipe, before any emulator starts.
  const run = start({ ...ports, LOCAL_DATA_DIR: dir }, ['--reset'])
  t.equal(await run.exited, 1)
  const said = run.output()
  const escaped = dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  t.match(said, new RegExp(`--reset: wiping ${escaped} \\(the tables, the user pool`))
  t.ok(said.indexOf('--reset: wiping') < said.indexOf(`Port ${ports.DYNAMODB_PORT}`), 'said before going on')
  t.notOk(existsSync(join(dir, 'kept.txt')), 'and wiped')
})
