// Build-time compiled validators and serializers (scripts/compile-schemas.ts): the app built with
// them finds one for every schema a request needs (none compiled at run time), and answers exactly
// as the app that compiles its schemas itself.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../../app/app.js'
import { loadConfig } from '../../core/config.js'
import { loadCompiledSchemas } from '../../app/startup/compiled-schemas.js'
import type { CompiledSchemas } from '../../app/startup/lazy-compilers.js'
import { writeCompiledSchemas } from '../../scripts/compile-schemas.js'
import { BASE_TEST_ENV, build } from '../helpers/app.js'

/** Counts the lookups that found a compiled function and those that did not. */
function counted (compiled: CompiledSchemas): { compiled: CompiledSchemas; hits: string[]; misses: string[] } {
  const hits: string[] = []
  const misses: string[] = []
  const watch = (table: CompiledSchemas['validators']): CompiledSchemas['validators'] => new Proxy(table, {
    get (target, key) {
      if (typeof key !== 'string') return undefined
      ;(Object.hasOwn(target, key) ? hits : misses).push(key)
      return target[key]
    }
  })
  return {
    compiled: { validators: watch(compiled.validators), serializers: watch(compiled.serializers) },
    hits,
    misses
  }
}

const REQUESTS = [
  { method: 'GET' as const, url: '/items?category=Not_Valid' },
  { method: 'GET' as const, url: '/items/bad%20id!' },
  { method: 'POST' as const, url: '/signup', payload: { email: 'not-an-email', password: 'x' } },
  {
    method: 'POST' as const,
    url: '/signin',
    payload: { email: 'a@example.com', password: 'long enough pw', extra: 1 }
  },
  { method: 'POST' as const, url: '/orders', payload: { items: [] } },
  { method: 'POST' as const, url: '/orderpacked', payload: { orderId: 'x' } }
]

t.test('the compiled schemas serve every request, with the same answers', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sc-compiled-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const report = await writeCompiledSchemas(dir)
  t.ok(
    report.validators >= 20 && report.serializers >= 100,
    `${report.validators} validators, ${report.serializers} serializers compiled (${report.skipped} left to run ` +
      `time), ${report.bytes} bytes`
  )
  const loaded = loadCompiledSchemas(dir)
  if (loaded === undefined) throw new Error('no index.json written')
  const { compiled, hits, misses } = counted(loaded)

  const withCompiled = buildApp(loadConfig(BASE_TEST_ENV), { compiledSchemas: compiled })
  t.teardown(() => withCompiled.close())
  await withCompiled.ready()
  const plain = await build(t)
  for (const req of REQUESTS) {
    const [a, b] = await Promise.all([withCompiled.inject(req), plain.inject(req)])
    const strip = (body: string): unknown => {
      const j = JSON.parse(body) as Record<string, unknown>
      delete j.requestId
      return j
    }
    t.equal(a.statusCode, b.statusCode, `${req.method} ${req.url}: ${a.statusCode}`)
    t.same(strip(a.body), strip(b.body), `${req.method} ${req.url}: same body`)
  }
  t.ok(hits.length >= REQUESTS.length, `${hits.length} compiled functions used`)
  t.same(misses, [], 'no schema compiled at run time')
})

t.test('a schema unlike the build-time one is compiled at run time (its hash differs)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sc-compiled-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeCompiledSchemas(dir)
  const { compiled, misses } = counted(loadCompiledSchemas(dir) as CompiledSchemas)
  const app = buildApp(loadConfig(BASE_TEST_ENV), { compiledSchemas: compiled })
  t.teardown(() => app.close())
  app.register(async (scope) => {
    scope.post(
      '/extra',
      {
        schema: {
          body: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false }
        }
      },
      async () => ({ ok: true })
    )
  })
  await app.ready()
  const res = await app.inject({ method: 'POST', url: '/extra', payload: { n: 'x' } })
  t.equal(res.statusCode, 400, 'still validated')
  t.ok(misses.some((k) => k.startsWith('POST /extra body')), 'looked up, not found, compiled')
})
