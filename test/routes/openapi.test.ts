// The OpenAPI document's quality: valid 3.1, exactly the operations the issues promise, each with a
// summary, a description, one tag, its security, a schema for every status, errors in the problem
// format, and examples that match their schemas.
import t from 'tap'
import { Validator } from '@seriousme/openapi-schema-validator'
import { build } from '../helpers/app.js'
import { createContractChecker, pointer } from '../helpers/contract.js'

type Json = Record<string, any>
type Access = 'public' | 'optional bearer' | 'bearer' | 'partner'

const TAGS = ['catalog', 'account', 'orders', 'partners', 'operations']

// Every operation from the foundation (3), catalog (3), identity (4), orders (5) and accounts (20)
// issues: a missing, extra or re-tagged route fails here.
const EXPECTED: Record<string, { tag: string; access: Access; deprecated?: true }> = {
  'GET /health': { tag: 'operations', access: 'public' },
  'GET /openapi.json': { tag: 'operations', access: 'public' },
  'POST /signup': { tag: 'account', access: 'public' },
  'POST /signup/confirm': { tag: 'account', access: 'public' },
  'POST /signup/resend': { tag: 'account', access: 'public' },
  'POST /signin': { tag: 'account', access: 'public' },
  'POST /signout': { tag: 'account', access: 'bearer' },
  'POST /me/email/code': { tag: 'account', access: 'bearer' },
  'POST /me/email/verify': { tag: 'account', access: 'bearer' },
  'POST /token/refresh': { tag: 'account', access: 'public' },
  'GET /me': { tag: 'account', access: 'bearer' },
  'GET /items': { tag: 'catalog', access: 'optional bearer' },
  'GET /items/{itemId}': { tag: 'catalog', access: 'optional bearer' },
  'GET /categories': { tag: 'catalog', access: 'public' },
  'POST /items': { tag: 'catalog', access: 'bearer' },
  'PUT /items/{itemId}': { tag: 'catalog', access: 'bearer' },
  'DELETE /items/{itemId}': { tag: 'catalog', access: 'bearer' },
  'POST /items/{itemId}/stock': { tag: 'catalog', access: 'bearer' },
  'POST /orders': { tag: 'orders', access: 'bearer' },
  'GET /orders': { tag: 'orders', access: 'bearer' },
  'GET /orders/{orderId}': { tag: 'orders', access: 'bearer' },
  'POST /orders/{orderId}/cancel': { tag: 'orders', access: 'bearer' },
  'GET /order/{orderId}': { tag: 'orders', access: 'bearer', deprecated: true },
  'GET /orderslist': { tag: 'orders', access: 'bearer', deprecated: true },
  'POST /orderpacked/{orderId}': { tag: 'partners', access: 'partner' },
  'POST /orderdelivered/{orderId}': { tag: 'partners', access: 'partner' }
}

const SECURITY: Record<Access, unknown[]> = {
  public: [],
  'optional bearer': [{}, { bearerAuth: [] }],
  bearer: [{ bearerAuth: [] }],
  partner: [{ partnerApiKey: [] }]
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']

function operations (doc: Json): Array<{ key: string; path: string; method: string; op: Json }> {
  return Object.entries<Json>(doc.paths).flatMap(([path, item]) => Object.entries<Json>(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, path, method, op })))
}

/** The examples of a media type: `example`, or each `examples` entry's value. */
function examplesOf (media: Json): unknown[] {
  if (media.example !== undefined) return [media.example]
  return Object.values<Json>(media.examples ?? {}).map((e) => e.value)
}

t.test('the OpenAPI document', async (t) => {
  const app = await build(t)
  const res = await app.inject({ url: '/openapi.json' })
  t.equal(res.statusCode, 200)
  const doc: Json = res.json()
  const checker = createContractChecker(doc)

  t.test('is valid OpenAPI 3.1 for a maintained validator', async (t) => {
    t.equal(doc.openapi, '3.1.0')
    const result = await new Validator().validate(structuredClone(doc))
    t.ok(result.valid, JSON.stringify(result.errors, null, 2))
  })

  t.test('has exactly the expected operations, each tagged and secured as promised', async (t) => {
    const ops = operations(doc)
    t.same(ops.map((o) => o.key).sort(), Object.keys(EXPECTED).sort(), 'no route missing, none undocumented')
    t.same(doc.tags.map((tag: Json) => tag.name).sort(), [...TAGS].sort(), 'the five tags are declared')
    t.same(Object.keys(doc.components.securitySchemes).sort(), ['bearerAuth', 'partnerApiKey'])
    for (const { key, op } of ops) {
      const expected = EXPECTED[key]
      if (expected === undefined) continue
      t.same(op.tags, [expected.tag], `${key}: exactly one tag, ${expected.tag}`)
      t.same(op.security, SECURITY[expected.access], `${key}: ${expected.access}`)
      t.equal(op.deprecated === true, expected.deprecated === true, `${key}: ${expected.deprecated === true ? '' : 'not '}deprecated`)
      t.match(op.summary, /\S/, `${key}: summary`)
      t.match(op.description, /\S{3}/, `${key}: description`)
    }
  })

  t.test('every path parameter is declared, required and a string', async (t) => {
    for (const { key, path, op } of operations(doc)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])
      const declared = (op.parameters ?? []).filter((p: Json) => p.in === 'path')
      t.same(declared.map((p: Json) => p.name).sort(), names.sort(), `${key}: path parameters`)
      for (const p of declared) t.match(p, { required: true, schema: { type: 'string' } }, `${key}: ${p.name}`)
    }
  })

  t.test('every status has a described response; errors use the problem format', async (t) => {
    for (const { key, op } of operations(doc)) {
      const statuses = Object.keys(op.responses)
      t.ok(statuses.some((s) => /^2\d\d$/.test(s)), `${key}: a success response`)
      t.ok(statuses.every((s) => /^[1-5]\d\d$/.test(s)), `${key}: explicit status codes only`)
      if (EXPECTED[key]?.access !== 'public') t.ok(op.responses['401'], `${key}: secured, so 401 is documented`)
      if (op.requestBody !== undefined) {
        for (const s of ['400', '415']) t.ok(op.responses[s], `${key}: takes a body, so ${s} is documented`)
      }
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        t.match(response.description, /\S/, `${key} ${status}: description`)
        if (status === '204') {
          t.equal(response.content, undefined, `${key} 204: no body`)
          continue
        }
        t.type(response.content, 'object', `${key} ${status}: a body schema`)
        if (Number(status) >= 400) {
          t.same(Object.keys(response.content ?? {}), ['application/problem+json'], `${key} ${status}: problem+json only`)
          t.same(response.content?.['application/problem+json']?.schema, { $ref: '#/components/schemas/Problem' }, `${key} ${status}: the Problem schema`)
        } else {
          t.type(response.content?.['application/json']?.schema, 'object', `${key} ${status}: an application/json schema`)
        }
      }
    }
    t.match(doc.components.schemas.Problem, { type: 'object', required: ['type', 'title', 'status', 'code', 'detail', 'requestId'] })
  })

  t.test('request bodies and success responses have examples that match their schemas', async (t) => {
    for (const { key, path, method, op } of operations(doc)) {
      const media: Array<[string, Json, string[]]> = []
      for (const [type, m] of Object.entries<Json>(op.requestBody?.content ?? {})) {
        media.push([`${key} request body`, m, ['paths', path, method, 'requestBody', 'content', type, 'schema']])
      }
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        if (!status.startsWith('2')) continue
        for (const [type, m] of Object.entries<Json>(response.content ?? {})) {
          media.push([`${key} ${status}`, m, ['paths', path, method, 'responses', status, 'content', type, 'schema']])
        }
      }
      for (const [where, m, at] of media) {
        const examples = examplesOf(m)
        t.ok(examples.length > 0, `${where}: has an example`)
        for (const example of examples) t.same(checker.validate(pointer(...at), example), [], `${where}: the example matches the schema`)
      }
    }
  })

  t.test('the deprecated seed aliases point to their replacements', async (t) => {
    const text = (op: Json): string => `${op.summary} ${op.description}`
    t.match(text(doc.paths['/order/{orderId}'].get), /GET \/orders\/\{orderId\}/)
    t.match(text(doc.paths['/orderslist'].get), /GET \/orders\b/)
  })
})

t.test('the contract check catches an undocumented status, a wrong type and a wrong body', async (t) => {
  const app = await build(t)
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  const checker = createContractChecker(doc)
  const problem = JSON.stringify({ type: 'urn:x', title: 'Not Found', status: 404, code: 'not_found', detail: 'x', requestId: 'r' })
  t.same(checker.check({ method: 'GET', route: '/items/:itemId', status: 404, contentType: 'application/problem+json; charset=utf-8', body: problem }), [],
    'a documented problem passes (Fastify route syntax is accepted)')
  t.match(checker.check({ method: 'GET', route: '/categories', status: 404, contentType: 'application/problem+json', body: problem }),
    [/status 404 is not documented/])
  t.match(checker.check({ method: 'GET', route: '/items/{itemId}', status: 404, contentType: 'application/json', body: problem }),
    [/answered application\/json, the document declares application\/problem\+json/])
  t.match(checker.check({ method: 'GET', route: '/items/{itemId}', status: 404, contentType: 'application/problem+json', body: '{"code":"x"}' }),
    [/must have required property/])
  t.match(checker.check({ method: 'GET', route: '/nowhere', status: 200 }), [/not in the OpenAPI document/])
  t.same(checker.check({ method: 'DELETE', route: '/items/{itemId}', status: 204, contentType: 'application/json', body: 'null' }), [],
    'a 204 body never reaches the client')
})
