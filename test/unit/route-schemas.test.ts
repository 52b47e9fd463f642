// The app compiles schemas without checking them against the JSON Schema meta-schema (app/app.ts:
// `validateSchema: false`, for the cold start), so this test does that check for every route,
// with the compilers and options Fastify uses, and compiles every validator and serializer once:
// a broken schema fails here rather than at a route's first request in production.
import t from 'tap'
import AjvCompiler from '@fastify/ajv-compiler'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { FastifySchema, RouteOptions } from 'fastify'
import { buildApp, serverOptions } from '../../app/app.js'
import { loadConfig } from '../../core/config.js'
import { BASE_TEST_ENV } from '../helpers/app.js'

const PARTS = ['body', 'querystring', 'params', 'headers'] as const

t.test('every route schema is valid JSON Schema and compiles', async (t) => {
  const config = loadConfig(BASE_TEST_ENV)
  const app = buildApp(config)
  t.teardown(() => app.close())
  const routes: RouteOptions[] = []
  app.addHook('onRoute', (route) => { if (route.schema !== undefined && route.method !== 'HEAD') routes.push(route) })
  await app.ready()
  t.ok(routes.length >= 20, `${routes.length} routes with schemas`)

  const external = app.getSchemas() as Record<string, unknown>
  const appAjv = serverOptions(config).ajv?.customOptions ?? {}
  t.equal(appAjv.validateSchema, false, 'the app skips the check (what this test stands in for)')
  // Fastify's own compilers, with the app's Ajv options but the meta-schema check switched on.
  const validatorFactory = (AjvCompiler() as (...a: unknown[]) => (r: unknown) => unknown)(external, {
    customOptions: { ...appAjv, validateSchema: true, strict: true },
    plugins: []
  })
  const serializerFactory = (SerializerSelector() as (...a: unknown[]) => (r: unknown) => unknown)(external, {})

  let validators = 0
  let serializers = 0
  for (const route of routes) {
    const schema = route.schema as FastifySchema & { response?: Record<string, unknown> }
    const where = `${String(route.method)} ${route.url}`
    for (const part of PARTS) {
      const s = schema[part]
      if (s === undefined) continue
      try {
        validatorFactory({ schema: s, method: route.method, url: route.url, httpPart: part })
        validators++
      } catch (err) {
        t.fail(`${where} ${part}: ${(err as Error).message}`)
      }
    }
    for (const [status, s] of Object.entries(schema.response ?? {})) {
      try {
        serializerFactory({ schema: s, method: route.method, url: route.url, httpStatus: status })
        serializers++
      } catch (err) {
        t.fail(`${where} response ${status}: ${(err as Error).message}`)
      }
    }
  }
  t.ok(validators >= 20, `${validators} validators compiled with the meta-schema check`)
  t.ok(serializers >= 50, `${serializers} response serializers compiled`)
})

t.test('the meta-schema check catches a broken schema (so the test above can fail)', async (t) => {
  const factory = (AjvCompiler() as (...a: unknown[]) => (r: unknown) => unknown)({}, {
    customOptions: { validateSchema: true, strict: true }, plugins: []
  })
  t.throws(() => factory({
    schema: { type: 'object', properties: { a: { type: 'strnig' } } },
    method: 'POST',
    url: '/x',
    httpPart: 'body'
  }))
  t.throws(() => factory({
    schema: { type: 'object', properties: { a: { minLength: -1 } } },
    method: 'POST',
    url: '/x',
    httpPart: 'body'
  }))
})
