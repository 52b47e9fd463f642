import t from 'tap'
import { Type } from '@sinclair/typebox'
import { Validator } from '@seriousme/openapi-schema-validator'
import { buildApp } from '../../app/app.js'
import { loadConfig } from '../../core/config.js'
import { BASE_TEST_ENV, build } from '../helpers/app.js'

t.test('unknown routes answer 404 in the problem format with the request id', async (t) => {
  const app = await build(t)
  const res = await app.inject({ url: '/no/such/route?x=1' })
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  const body = res.json()
  t.match(
    body,
    {
      type: 'urn:serverless-commerce:problem:route_not_found',
      title: 'Not Found',
      status: 404,
      code: 'route_not_found',
      instance: '/no/such/route'
    }
  )
  t.equal(body.requestId, res.headers['x-request-id'])
})

// The request id is ours, never the client's; a client's id is kept apart.
t.test("a caller's x-request-id never becomes the request id: it is echoed as x-client-request-id", async (t) => {
  const app = await build(t)
  const sent = await app.inject({ url: '/no/such/route', headers: { 'x-request-id': 'chosen-by-client' } })
  t.not(sent.headers['x-request-id'], 'chosen-by-client', 'not our request id')
  t.match(sent.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'one we made')
  t.equal(sent.json().requestId, sent.headers['x-request-id'], 'the problem carries ours')
  t.equal(sent.headers['x-client-request-id'], 'chosen-by-client', "the caller's own is echoed apart")
  const forged = await app.inject({ url: '/openapi.json', headers: { 'x-client-request-id': 'forged-id' } })
  t.equal(forged.headers['x-client-request-id'], undefined, 'outside Lambda the caller\'s id is its x-request-id only')
  const malformed = await app.inject({ url: '/openapi.json', headers: { 'x-request-id': 'bad id\nwith newline' } })
  t.equal(malformed.headers['x-client-request-id'], undefined, 'a malformed client id is dropped')
})

t.test('validation, malformed JSON, wrong media type and 5xx all use the one format', async (t) => {
  const app = buildApp(loadConfig(BASE_TEST_ENV))
  app.register(async (scope) => {
    scope.post('/echo', {
      schema: {
        body: Type.Object(
          { name: Type.String({ minLength: 1 }), count: Type.Integer({ minimum: 1 }) },
          { additionalProperties: false }
        )
      }
    }, async (request) => request.body)
    scope.get(
      '/boom',
      async () => { throw new Error('AccessDeniedException: arn:aws:iam::123:role/secret at line 12') }
    )
  })
  t.teardown(() => app.close())
  await app.ready()

  const missing = await app.inject({ method: 'POST', url: '/echo', payload: { name: 'a' } })
  t.equal(missing.statusCode, 400)
  t.match(
    missing.json(),
    {
      code: 'validation_failed',
      detail: 'body.count is required',
      errors: [{ path: 'body.count', message: 'is required' }]
    }
  )

  const unknown = await app.inject({ method: 'POST', url: '/echo', payload: { name: 'a', count: 1, admin: true } })
  t.equal(unknown.statusCode, 400)
  t.match(unknown.json().errors, [{ path: 'body.admin', message: 'is not an allowed property' }])

  const malformed = await app.inject({
    method: 'POST',
    url: '/echo',
    payload: '{"name":',
    headers: { 'content-type': 'application/json' }
  })
  t.equal(malformed.statusCode, 400)
  t.equal(malformed.json().code, 'malformed_json')

  const media = await app.inject({
    method: 'POST',
    url: '/echo',
    payload: 'name=a',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }
  })
  t.equal(media.statusCode, 415)
  t.equal(media.json().code, 'unsupported_media_type')

  const boom = await app.inject({ url: '/boom' })
  t.equal(boom.statusCode, 500)
  t.equal(boom.json().code, 'internal_error')
  t.notMatch(boom.body, /AccessDenied|arn:|line 12|at /)
})

t.test('CORS answers preflights from allowed origins only', async (t) => {
  const open = await build(t)
  const pre = await open.inject({ method: 'OPTIONS', url: '/health', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET' } })
  t.equal(pre.statusCode, 204)
  t.equal(pre.headers['access-control-allow-origin'], '*')

  const strict = await build(t, { env: { CORS_ORIGINS: 'https://shop.example.com' } })
  const ok = await strict.inject({ url: '/openapi.json', headers: { origin: 'https://shop.example.com' } })
  t.equal(ok.headers['access-control-allow-origin'], 'https://shop.example.com')
  const other = await strict.inject({ url: '/openapi.json', headers: { origin: 'https://evil.example.com' } })
  t.equal(other.headers['access-control-allow-origin'], undefined)
})

t.test('CORS_HANDLED_BY=gateway (the deployed HTTP API answers CORS): the app adds no CORS headers', async (t) => {
  const app = await build(t, { env: { CORS_HANDLED_BY: 'gateway' } })
  const res = await app.inject({ url: '/health', headers: { origin: 'http://localhost:5173' } })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['access-control-allow-origin'], undefined)
  t.equal(res.headers['access-control-expose-headers'], undefined)
  t.ok(res.headers['x-request-id'], 'the request id header is still set')
})

t.test('the OpenAPI document is valid 3.1 with both security schemes', async (t) => {
  const app = await build(t)
  const res = await app.inject({ url: '/openapi.json' })
  t.equal(res.statusCode, 200)
  const doc = res.json()
  t.equal(doc.openapi, '3.1.0')
  t.match(
    doc.components.securitySchemes,
    {
      bearerAuth: { type: 'http', scheme: 'bearer' },
      partnerApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' }
    }
  )
  t.ok(doc.paths['/health'], 'routes are documented')
  t.notOk(doc.paths['/docs'], 'the UI itself is not an API route')
  const result = await new Validator().validate(doc)
  t.ok(result.valid, JSON.stringify(result.errors))
})

t.test('Swagger UI is served at /docs with its assets', async (t) => {
  const app = await build(t)
  const page = await app.inject({ url: '/docs/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
  t.match(page.body, /swagger-ui/i)
  const css = await app.inject({ url: '/docs/static/swagger-ui.css' })
  t.equal(css.statusCode, 200)
  t.match(css.headers['content-type'], /text\/css/)
})
