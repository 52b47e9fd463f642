// The import's lines as a catalog file has them, through the real API: an item without colours
// goes in (no colorPreference: none), and a line with several mistakes is refused naming each.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { itemErrors, runImport } from '../../scripts/import/run-import.js'

const item = (id: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  category: 'imported',
  type: 'cable',
  brand: 'Importco',
  title: `Cable ${id}`,
  description: 'No colours to choose',
  price: 900,
  currency: 'EUR',
  ...over
})

t.test('an item without colours is imported; a refused line reports all its errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'import-lines-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const tables = await createTables(t)
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const app = await build(t, { env: { ...stackEnv(), ...tables, ...issuer.env } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const apiUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const token = issuer.token({ groups: ['admin'] })

  const file = join(dir, 'catalog.jsonl')
  writeFileSync(file, [
    item('plain-cable'),
    item('three-mistakes', { price: -5, currency: 'euro', colour: 'red' }),
    item('two-colours', {
      colorPreference: [{ colorCode: '#000', displayValue: 'Black' }, { colorCode: '#000', displayValue: 'Noir' }]
    })
  ].map((i) => JSON.stringify(i)).join('\n'))
  const summary = await runImport({ file, apiUrl, auth: { token: async () => token } })
  t.equal(summary.created, 1, 'the item without colours went in')
  const got = await app.inject({ url: '/items/plain-cable' })
  t.equal(got.statusCode, 200)
  t.same(got.json().colorPreference, [], 'with no colours')

  const reason = (line: number): string => summary.refused.find((r) => r.line === line)?.reason ?? ''
  t.match(reason(2), /^400 validation_failed: /)
  for (const field of ['body.price', 'body.currency', 'body.colour']) {
    t.ok(reason(2).includes(field), `line 2 names ${field}: ${reason(2)}`)
  }
  t.match(reason(3), /^400 validation_failed: .*repeats colour code/)

  const body = Object.fromEntries(Object.entries(item('fine', { colorPreference: [] })).filter(([k]) => k !== 'id'))
  t.same(itemErrors(body), [], 'a valid body has no errors')
})
