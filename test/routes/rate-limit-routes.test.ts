// Each entry of ROUTE_LIMITS names a route the app has (a renamed path would silently lose its
// limit otherwise), and every limited operation, and only those, documents its 429.
import t from 'tap'
import { build } from '../helpers/app.js'
import { openapiPath } from '../helpers/contract.js'
import { ROUTE_LIMITS } from '../../plugins/rate-limit.js'

t.test('every limited route exists and documents its 429; no other operation does', async (t) => {
  const app = await build(t)
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  const limited = new Set<string>()
  for (const key of Object.keys(ROUTE_LIMITS)) {
    const [method, url] = key.split(' ') as [string, string]
    t.ok(app.hasRoute({ method: method as 'POST', url }), `${key} is a route of the app`)
    const op = doc.paths[openapiPath(url)]?.[method.toLowerCase()]
    t.ok(op?.responses['429'], `${key} documents 429`)
    t.match(op?.description, /Rate limited, by default: .*429 `rate_limited`/, `${key} says its limit`)
    limited.add(`${method.toLowerCase()} ${openapiPath(url)}`)
  }
  for (const [path, item] of Object.entries<Record<string, { responses: Record<string, unknown> }>>(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!limited.has(`${method} ${path}`)) {
        t.notOk(op.responses?.['429'], `${method.toUpperCase()} ${path} is not limited and documents no 429`)
      }
    }
  }
})
