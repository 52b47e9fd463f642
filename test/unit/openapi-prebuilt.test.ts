// The Lambda serves the OpenAPI document prebuilt at build time (app/startup/openapi-document.ts); it must
// stay byte-for-byte what @fastify/swagger makes from the same route schemas at run time.
import t from 'tap'
import { buildApp } from '../../app/app.js'
import { loadConfig } from '../../core/config.js'
import { generateOpenApiDocument } from '../../app/startup/openapi-document.js'
import { BASE_TEST_ENV, build } from '../helpers/app.js'

const VERSION = '9.8.7'

t.test('the prebuilt document is the one @fastify/swagger builds, byte for byte', async (t) => {
  const live = await build(t, { env: { APP_VERSION: VERSION } })
  const generated = await generateOpenApiDocument(VERSION)
  t.equal(generated, JSON.stringify(live.swagger()), 'generated equals app.swagger() of a live app')
  t.match(JSON.parse(generated), { openapi: '3.1.0', info: { version: VERSION } })

  let reads = 0
  const prebuilt = buildApp(loadConfig({ ...BASE_TEST_ENV, APP_VERSION: VERSION }), {
    openapiDocument: () => { reads++; return JSON.parse(generated) as Record<string, unknown> }
  })
  t.teardown(() => prebuilt.close())
  await prebuilt.ready()
  t.notOk(prebuilt.hasDecorator('swagger'), '@fastify/swagger is not registered when the document is prebuilt')
  t.equal(reads, 0, 'the file is not read at init')

  for (const url of ['/openapi.json', '/openapi.json?x=1']) {
    const a = await live.inject({ url })
    const b = await prebuilt.inject({ url })
    t.equal(b.statusCode, 200)
    t.equal(b.headers['content-type'], a.headers['content-type'])
    t.equal(b.body, a.body, `${url} is served byte for byte as the live app serves it`)
  }
  t.equal(reads, 1, 'read once, then kept')

  const page = await prebuilt.inject({ url: '/docs/' })
  t.equal(page.statusCode, 200, 'Swagger UI works from the prebuilt document')
  t.match(page.body, /swagger-ui/i)
})

t.test('a deployment whose APP_VERSION differs from the bundle serves its own version', async (t) => {
  const generated = await generateOpenApiDocument('0.0.1')
  const app = buildApp(loadConfig({ ...BASE_TEST_ENV, APP_VERSION: VERSION }), {
    openapiDocument: () => JSON.parse(generated) as Record<string, unknown>
  })
  t.teardown(() => app.close())
  const doc = (await app.inject({ url: '/openapi.json' })).json() as { info: { version: string } }
  t.equal(doc.info.version, VERSION)
})
