// The docs and the API agree: every status the error tables of docs/partners.md and
// docs/frontend.md give is one the served OpenAPI document declares (for the partners' operations,
// and for some shopper operation), and every status the partner operations declare is in the
// partners' table. And the partner case the tables describe, over HTTP: a well-formed order id of
// no order is 404 order_not_found, a malformed one 400 validation_failed.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { LOCAL_DEFAULTS } from '../../core/config.js'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'

type Json = Record<string, any>
const doc = (file: string): string => readFileSync(new URL(`../../docs/${file}`, import.meta.url), 'utf8')

/** The statuses of the first table under `heading` whose first column is a status ("413, 415" is two). */
function tableStatuses (markdown: string, heading: string): Map<number, string> {
  const section = markdown.slice(markdown.indexOf(`\n${heading}\n`))
  const start = section.search(/\n\| status \|/)
  const lines = section.slice(start + 1).split('\n')
  const rows = lines.slice(2, lines.findIndex((l) => !l.startsWith('|')))
  const statuses = new Map<number, string>()
  for (const row of rows) {
    const [first, second] = row.split('|').slice(1).map((c) => c.trim())
    for (const s of (first ?? '').split(',')) {
      const status = Number(s.trim())
      statuses.set(status, `${statuses.get(status) ?? ''} ${second ?? ''}`.trim())
    }
  }
  return statuses
}

const PARTNER_OPERATIONS = ['/orderpacked/{orderId}', '/orderdelivered/{orderId}']

t.test('every documented status is one the served document declares', async (t) => {
  const tables = await createTables(t)
  const app = await build(t, { env: { ...stackEnv(), ...tables } })
  const openapi = (await app.inject({ url: '/openapi.json' })).json() as Json
  const operations = Object.entries(openapi.paths as Json).flatMap(([path, ops]) =>
    Object.entries(ops as Json).map(([method, op]) => ({
      path, method, statuses: Object.keys((op as Json).responses ?? {}).map(Number)
    })))

  const partners = tableStatuses(doc('partners.md'), '## Errors')
  t.ok(partners.size >= 5, `the partners' table read: ${[...partners.keys()].join(', ')}`)
  for (const path of PARTNER_OPERATIONS) {
    const declared = operations.find((o) => o.path === path && o.method === 'post')?.statuses ?? []
    for (const [status, codes] of partners) {
      t.ok(declared.includes(status), `POST ${path} declares ${status} (${codes}), as docs/partners.md says`)
    }
    for (const status of declared.filter((s) => s >= 400 && s !== 500)) {
      t.ok(partners.has(status), `docs/partners.md lists ${status}, which POST ${path} declares`)
    }
  }

  const shopper = tableStatuses(doc('frontend.md'), '## Errors')
  t.ok(shopper.size >= 10, `the front-end table read: ${[...shopper.keys()].join(', ')}`)
  const others = operations.filter((o) => !PARTNER_OPERATIONS.includes(o.path))
  // Answered before routing, for any path: the document (of operations) cannot list them; the guide says so.
  const beforeRouting = [405, 414, 431]
  t.match(doc('frontend.md'), /405, 414 and 431 are answered before any route is chosen/)
  for (const [status, codes] of shopper) {
    if (beforeRouting.includes(status)) continue
    const said = `some operation declares ${status} (${codes}), as docs/frontend.md says`
    t.ok(others.some((o) => o.statuses.includes(status)), said)
  }
})

t.test('an order id of no order is 404, a malformed one 400, as the partners\' table says', async (t) => {
  const tables = await createTables(t)
  const app = await build(t, { env: { ...stackEnv(), ...tables } })
  const headers = { 'x-api-key': LOCAL_DEFAULTS.WAREHOUSE_API_KEY }
  const missing = await app.inject({ method: 'POST', url: '/orderpacked/not-an-id', headers })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().code, 'order_not_found')
  for (const bad of ['bad$id', 'x'.repeat(65)]) {
    const res = await app.inject({ method: 'POST', url: `/orderpacked/${bad}`, headers })
    t.equal(res.statusCode, 400, `${bad.slice(0, 10)}: 400`)
    t.equal(res.json().code, 'validation_failed')
  }
  const partners = doc('partners.md')
  t.match(partners, /\| 400 \| `validation_failed` \| an invalid body, or an `orderId` not 1-64 letters, digits/)
  t.match(partners, /\| 404 \| `order_not_found` \| no order has this id/)
})
