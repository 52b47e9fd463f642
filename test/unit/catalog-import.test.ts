// The import's engine and command against a stand-in API (node:http) that can hold requests,
// refuse a token or be busy: retries, a renewed sign-in, progress output, and Ctrl-C in the
// middle (requests in flight finish, the summary says how to finish, a rerun does).
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runImport } from '../../scripts/import/run-import.js'
import { createProgress } from '../../scripts/import/progress.js'

const dir = mkdtempSync(join(tmpdir(), 'import-unit-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const fileOf = (name: string, n: number): string => {
  const file = join(dir, name)
  writeFileSync(
    file,
    Array.from({ length: n }, (_, i) => JSON.stringify({ id: `x${i}`, title: `Item ${i}` })).join('\n')
  )
  return file
}

type Handler = (id: string, req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>

/** PUT /items/{id}: 201 the first time, 200 after; `before` may answer instead (returning true). */
async function standIn (t: Test, before?: Handler) {
  const store = new Map<string, number>()
  const server = createServer((req, res) => {
    req.resume()
    const answer = async (): Promise<void> => {
      const id = decodeURIComponent((req.url ?? '').replace(/^\/items\//, ''))
      if (before !== undefined && await before(id, req, res)) return
      const seen = store.has(id)
      store.set(id, (store.get(id) ?? 0) + 1)
      res.writeHead(seen ? 200 : 201, { 'content-type': 'application/json' }).end(JSON.stringify({ id }))
    }
    // An event listener drops the promise of an async one: a failing stand-in answers 500 instead.
    req.on('end', () => {
      answer().catch((err: unknown) => { res.writeHead(500).end(String(err)) })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return { store, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }
}

const problem = (res: ServerResponse, status: number, code: string, headers: Record<string, string> = {}): true => {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers }).end(
    JSON.stringify({ status, code, detail: `${code} detail` })
  )
  return true
}

t.test('busy answers and network hiccups are retried; a token refused as expired is renewed once', async (t) => {
  const busy = new Map<string, number>()
  const api = await standIn(t, (id, req, res) => {
    if (req.headers.authorization === 'Bearer old') return problem(res, 401, 'token_expired')
    const n = (busy.get(id) ?? 0) + 1
    busy.set(id, n)
    if (id === 'x1' && n <= 2) return problem(res, 503, 'service_busy', { 'retry-after': '0' })
    if (id === 'x2') return problem(res, 500, 'internal')
    return false
  })
  let renewals = 0
  const summary = await runImport({
    file: fileOf('retry.jsonl', 4),
    apiUrl: api.url,
    auth: { token: async () => 'old', renew: async () => { renewals++; return 'new' } },
    concurrency: 1,
    attempts: 3,
    backoffMs: () => 1
  })
  t.equal(renewals, 1, 'one sign-in again, then the new token is used')
  t.match(summary, { created: 3, replaced: 0, interrupted: false })
  t.same(
    summary.refused,
    [{ line: 3, id: 'x2', status: 500, code: 'internal', reason: '500 internal: internal detail' }],
    'a persistent 500 is refused after 3 attempts'
  )
  t.equal(busy.get('x2'), 3)
  t.equal(busy.get('x1'), 3, 'two 503s, then the write')
})

t.test('the progress: a bar redrawn in place on a terminal, plain lines otherwise', async (t) => {
  let clock = 0
  const tty: string[] = []
  const bar = createProgress({ write: (s) => tty.push(s), tty: true, total: 4, now: () => clock })
  bar.event({ kind: 'created', line: 1, id: 'a' })
  clock += 500
  bar.event({ kind: 'refused', refusal: { line: 2, reason: 'not JSON' } })
  clock += 500
  bar.event({ kind: 'replaced', line: 3, id: 'c' })
  bar.finish()
  const out = tty.join('')
  t.match(out, '\r\x1b[2K[######------------------] 25% 1/4 lines')
  t.match(out, 'refused line 2: not JSON\n')
  t.match(out, /\[##################------\] 75% 3\/4 lines {2}3\/s {2}created 1, replaced 1, refused 1\n$/)
  const plain: string[] = []
  const lines = createProgress({ write: (s) => plain.push(s), tty: false, now: () => clock })
  for (let i = 0; i < 1000; i++) lines.event({ kind: 'created', line: i + 1, id: `i${i}` })
  lines.event({
    kind: 'refused',
    refusal: { line: 1001, id: 'z', reason: '400 validation_failed: body.price must be >= 0' }
  })
  t.same(
    plain,
    [
      '1000 lines: created 1000, replaced 0, refused 0\n',
      'refused line 1001 (id z): 400 validation_failed: body.price must be >= 0\n'
    ]
  )
})

t.test('Ctrl-C: requests in flight finish, the summary says how to finish, and the same command run again does', async (
  t
) => {
  let held = 0
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  let holding = true
  const api = await standIn(t, async () => {
    if (holding && ++held > 4) await gate
    return false
  })
  const file = fileOf('ctrl-c.jsonl', 30)
  const run = () => {
    const child = spawn(process.execPath, [
      '--import',
      'tsx',
      'scripts/import-catalog.ts',
      file,
      '--api',
      api.url,
      '--concurrency',
      '2'
    ], {
      env: { ...process.env, ADMIN_TOKEN: 'token' }, stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr.on('data', (c: Buffer) => { out += c.toString() })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    return { child, output: () => out, exited }
  }
  const first = run()
  const until = async (check: () => boolean, what: string): Promise<void> => {
    for (let i = 0; i < 600 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 50))
    if (!check()) throw new Error(`timed out waiting for ${what}; output: ${first.output()}`)
  }
  await until(() => held >= 6, 'two requests held in flight')
  first.child.kill('SIGINT')
  await until(() => first.output().includes('stopping'), 'the stop message')
  release()
  t.equal(await first.exited, 130)
  t.match(first.output(), 'stopped ctrl-c.jsonl')
  t.match(
    first.output(),
    /6 lines, 6 items created, 0 replaced, 0 refused/,
    'the requests in flight finished and were counted'
  )
  t.match(first.output(), 'Run the same command again to finish')
  t.equal(api.store.size, 6)

  holding = false
  const second = run()
  t.equal(await second.exited, 0)
  t.match(second.output(), /30 lines, 24 items created, 6 replaced, 0 refused/)
  t.equal(api.store.size, 30, 'every item, once')
})
