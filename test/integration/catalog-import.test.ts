// The bulk import through the real API over HTTP (DynamoDB Local behind it): a file with bad
// lines (each refused with its number and reason, the others imported), a rerun (nothing
// duplicated, stock taken since not undone), an interrupted import finished by a rerun, and the
// command's output and exit codes.
import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { indexProblems } from '../helpers/catalog-index.js'
import { runImport } from '../../scripts/import/run-import.js'

const dir = mkdtempSync(join(tmpdir(), 'catalog-import-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const line = (id: string, over: Record<string, unknown> = {}): string => JSON.stringify({
  id,
  category: 'imported',
  type: 'gadget',
  brand: 'Importco',
  title: `Gadget ${id}`,
  description: 'Imported in bulk',
  colorPreference: [{ colorCode: '#000', displayValue: 'Black' }],
  price: 1500,
  currency: 'EUR',
  stock: 5,
  ...over
})

async function setup (t: Test) {
  const tables = await createTables(t)
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const app = await build(t, { env: { ...stackEnv(), ...tables, ...issuer.env } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const apiUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const token = issuer.token({ groups: ['admin'] })
  return { app, apiUrl, token, issuer, names: { items: tables.ITEMS_TABLE, catalogIndex: tables.CATALOG_INDEX_TABLE } }
}

t.test('a file with bad lines: each refused with its line number, the others imported; a rerun duplicates ' +
  'nothing', async (t) => {
  const { app, apiUrl, token, names } = await setup(t)
  const good = Array.from({ length: 24 }, (_, i) => line(`g${i}`))
  const file = join(dir, 'mixed.jsonl')
  writeFileSync(file, [
    `\uFEFF${good[0] as string}`, '', '{not json', good[1], JSON.stringify({ category: 'imported' }), line(
      'bad-price',
      { price: -1 }
    ),
    line(
      'bad-field',
      { colour: 'red' }
    ), '[1, 2]', line('g1', { title: 'again' }), line('bad id!'), ...good.slice(2), ''
  ].join('\n'))
  const auth = { token: async () => token }
  const first = await runImport({ file, apiUrl, auth, concurrency: 4 })
  t.equal(first.created, 24)
  t.equal(first.replaced, 0)
  t.notOk(first.interrupted)
  t.same(first.refused.map((r) => r.line).sort((a, b) => a - b), [3, 5, 6, 7, 8, 9, 10])
  const reason = (n: number): string => first.refused.find((r) => r.line === n)?.reason ?? ''
  t.match(reason(3), /^not JSON/)
  t.match(reason(5), /no "id"/)
  t.match(reason(6), /^400 validation_failed: .*price/)
  t.match(reason(7), /^400 validation_failed: .*colour/)
  t.match(reason(8), 'not a JSON object')
  t.match(reason(9), 'id g1 was already on line 4')
  t.match(reason(10), 'is not 1 to 64 letters')
  t.equal((await app.inject({ url: '/items/g1' })).json().title, 'Gadget g1', 'the first line of an id stands')

  // An order-like stock change since: a rerun must not undo it.
  await app.inject({
    method: 'POST',
    url: '/items/g0/stock',
    payload: { delta: -3 },
    headers: { authorization: `Bearer ${token}` }
  })
  const rerun = await runImport({ file, apiUrl, auth, concurrency: 4 })
  t.match(rerun, { created: 0, replaced: 24 })
  t.equal(rerun.refused.length, 7)
  t.equal(
    (await app.inject({ url: '/items/g0', headers: { authorization: `Bearer ${token}` } })).json().stock,
    2,
    'the stock taken since stays taken'
  )
  t.same(
    (await app.inject({ url: '/categories' })).json().categories,
    [{ category: 'imported', count: 24, types: ['gadget'], brands: ['Importco'] }]
  )
  t.same(await indexProblems(app.aws.ddb, names), [])
})

t.test('an interrupted import, run again, ends with every item exactly once', async (t) => {
  const { app, apiUrl, token, names } = await setup(t)
  const file = join(dir, 'forty.jsonl')
  writeFileSync(file, Array.from({ length: 40 }, (_, i) => line(`i${i}`)).join('\n'))
  const abort = new AbortController()
  let done = 0
  const first = await runImport({
    file,
    apiUrl,
    auth: { token: async () => token },
    concurrency: 4,
    signal: abort.signal,
    onEvent: () => { if (++done === 10) abort.abort() }
  })
  t.ok(first.interrupted)
  t.ok(first.created >= 10 && first.created < 40, `stopped part-way (${first.created} created)`)
  t.type(first.nextLine, 'number')
  const second = await runImport({ file, apiUrl, auth: { token: async () => token }, concurrency: 4 })
  t.notOk(second.interrupted)
  t.equal(second.created, 40 - first.created, 'the rest is created')
  t.equal(second.replaced, first.created, 'what the first run did is replaced by the same content')
  t.equal((await app.inject({ url: '/categories' })).json().categories[0]?.count, 40)
  t.same(await indexProblems(app.aws.ddb, names), [])
})

t.test('npm run import: plain lines off a terminal, a summary, exit 1 on a refused line, a clear stop without the ' +
  'admin group', async (t) => {
  const { apiUrl, token, issuer } = await setup(t)
  const file = join(dir, 'cli.jsonl')
  writeFileSync(file, [line('c1'), line('c2', { currency: 'euro' }), line('c3')].join('\n'))
  const run = async (env: Record<string, string>, ...args: string[]) => promisify(execFile)(process.execPath,
    ['--import', 'tsx', 'scripts/import-catalog.ts', file, '--api', apiUrl, ...args],
    { env: { ...process.env, ...env }, timeout: 60_000 }).then(
    (r) => ({ code: 0, ...r }),
    (err: { code: number; stdout: string; stderr: string }) => err
  )
  const res = await run({ ADMIN_TOKEN: token }, '--concurrency', '2')
  t.equal(res.code, 1, 'a refused line fails the run')
  t.match(res.stdout, /refused line 2 \(id c2\): 400 validation_failed: .*currency/)
  t.match(res.stdout, /imported cli\.jsonl in [\d.]+ s: 3 lines, 2 items created, 0 replaced, 1 refused/)
  // eslint-disable-next-line no-control-regex -- ESC is exactly what the plain output must not hold
  t.notMatch(res.stdout, /\r|\x1b\[/, 'no terminal control codes in plain output')
  const shopper = await run({ ADMIN_TOKEN: issuer.token({ groups: [] }) })
  t.equal(shopper.code, 1)
  t.match(shopper.stdout, 'not in the admin group (npm run admin -- <email>, then sign in again)')
  const none = await run({ ADMIN_TOKEN: '' })
  t.equal(none.code, 2)
  t.match(none.stderr, 'no credentials')
})
