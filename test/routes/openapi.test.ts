// The OpenAPI document's quality: valid 3.1, exactly the operations the issues promise, each with a
// summary, a description, one tag, its security, a schema for every status, errors in the problem
// format, and examples that match their schemas.
import t from 'tap'
import { Validator } from '@seriousme/openapi-schema-validator'
import { createConfig, lintFromString } from '@redocly/openapi-core'
import { build } from '../helpers/app.js'
import { createContractChecker, pointer } from '../helpers/contract.js'

type Json = Record<string, any>
type Access = 'public' | 'bearer' | 'partner'

const TAGS = ['catalog', 'account', 'orders', 'partners', 'operations']

// Every operation from the foundation (3), catalog (3), identity (4), orders (5) and accounts (20)
// issues: a missing, extra or re-tagged route fails here. `id` is its operationId: generated clients name
// their methods from it (clients/typescript does), so it never changes once published.
const EXPECTED: Record<string, { id: string; tag: string; access: Access; deprecated?: true }> = {
  'GET /health': { id: 'getHealth', tag: 'operations', access: 'public' },
  'GET /openapi.json': { id: 'getOpenApiDocument', tag: 'operations', access: 'public' },
  'POST /signup': { id: 'signUp', tag: 'account', access: 'public' },
  'POST /signup/confirm': { id: 'confirmSignUp', tag: 'account', access: 'public' },
  'POST /signup/resend': { id: 'resendConfirmationCode', tag: 'account', access: 'public' },
  'POST /signin': { id: 'signIn', tag: 'account', access: 'public' },
  'POST /signout': { id: 'signOut', tag: 'account', access: 'bearer' },
  'POST /me/email/code': { id: 'sendEmailVerificationCode', tag: 'account', access: 'bearer' },
  'POST /me/email/verify': { id: 'verifyEmail', tag: 'account', access: 'bearer' },
  'POST /token/refresh': { id: 'refreshTokens', tag: 'account', access: 'public' },
  'GET /me': { id: 'getMe', tag: 'account', access: 'bearer' },
  // Public: an admin's optional token is described, not required (no padlock in Swagger UI).
  'GET /items': { id: 'listItems', tag: 'catalog', access: 'public' },
  'GET /items/{itemId}': { id: 'getItem', tag: 'catalog', access: 'public' },
  'GET /categories': { id: 'listCategories', tag: 'catalog', access: 'public' },
  'POST /items': { id: 'createItem', tag: 'catalog', access: 'bearer' },
  'PUT /items/{itemId}': { id: 'replaceItem', tag: 'catalog', access: 'bearer' },
  'DELETE /items/{itemId}': { id: 'deleteItem', tag: 'catalog', access: 'bearer' },
  'POST /items/{itemId}/stock': { id: 'adjustStock', tag: 'catalog', access: 'bearer' },
  'POST /orders': { id: 'placeOrder', tag: 'orders', access: 'bearer' },
  'GET /orders': { id: 'listOrders', tag: 'orders', access: 'bearer' },
  'GET /orders/{orderId}': { id: 'getOrder', tag: 'orders', access: 'bearer' },
  'POST /orders/{orderId}/cancel': { id: 'cancelOrder', tag: 'orders', access: 'bearer' },
  'GET /order/{orderId}': { id: 'getOrderLegacy', tag: 'orders', access: 'bearer', deprecated: true },
  'GET /orderslist': { id: 'listOrdersLegacy', tag: 'orders', access: 'bearer', deprecated: true },
  'POST /orderpacked/{orderId}': { id: 'markPacked', tag: 'partners', access: 'partner' },
  'POST /orderdelivered/{orderId}': { id: 'markDelivered', tag: 'partners', access: 'partner' }
}

const SECURITY: Record<Access, unknown[]> = {
  public: [],
  bearer: [{ bearerAuth: [] }],
  partner: [{ partnerApiKey: [] }]
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']

function operations (doc: Json): Array<{ key: string; path: string; method: string; op: Json }> {
  return Object.entries<Json>(doc.paths).flatMap(([path, item]) => Object.entries<Json>(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, path, method, op })))
}

/** Every example in the document, each with the JSON pointer of the schema it must match. */
export function allExamples (doc: Json): Array<{ where: string; schema: string; value: unknown }> {
  const found: Array<{ where: string; schema: string; value: unknown }> = []
  const visit = (node: unknown, at: string[]): void => {
    if (node === null || typeof node !== 'object') return
    if (Array.isArray(node)) { node.forEach((n, i) => visit(n, [...at, String(i)])); return }
    const obj = node as Json
    const here = pointer(...at)
    // A schema's own `examples` (JSON Schema 2020-12: an array of instances).
    if (Array.isArray(obj.examples)) {
      obj.examples.forEach((value, i) => found.push({ where: `${here}/examples/${i}`, schema: here, value }))
    }
    // A media type or parameter: `example`, or `examples` entries, for its `schema`.
    if (typeof obj.schema === 'object' && obj.schema !== null) {
      const schema = pointer(...at, 'schema')
      if ('example' in obj) found.push({ where: `${here}/example`, schema, value: obj.example })
      if (obj.examples !== undefined && !Array.isArray(obj.examples)) {
        for (const [name, e] of Object.entries<Json>(obj.examples)) {
          found.push({
            where: `${here}/examples/${name}`,
            schema,
            value: e.value
          })
        }
      }
    }
    for (const [key, value] of Object.entries(obj)) {
      if (key !== 'examples' && key !== 'example') {
        visit(
          value,
          [...at, key]
        )
      }
    }
  }
  visit(doc, [])
  return found
}

/** A schema, or the named schema (components.schemas) it refers to. */
function named (doc: Json, schema: Json): Json {
  const target = schema.$ref
  return typeof target === 'string' ? doc.components.schemas[target.replace('#/components/schemas/', '')] : schema
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
      t.equal(
        op.deprecated === true,
        expected.deprecated === true,
        `${key}: ${expected.deprecated === true ? '' : 'not '}deprecated`
      )
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
        if (status === '204' || status === '304') {
          t.equal(response.content, undefined, `${key} ${status}: no body`)
          continue
        }
        t.type(response.content, 'object', `${key} ${status}: a body schema`)
        if (Number(status) >= 400) {
          t.same(
            Object.keys(response.content ?? {}),
            ['application/problem+json'],
            `${key} ${status}: problem+json only`
          )
          t.same(
            response.content?.['application/problem+json']?.schema,
            { $ref: '#/components/schemas/Problem' },
            `${key} ${status}: the Problem schema`
          )
        } else {
          t.type(
            response.content?.['application/json']?.schema,
            'object',
            `${key} ${status}: an application/json schema`
          )
        }
      }
    }
    t.match(
      doc.components.schemas.Problem,
      { type: 'object', required: ['type', 'title', 'status', 'code', 'detail', 'requestId'] }
    )
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
        for (const example of examples) {
          t.same(
            checker.validate(pointer(...at), example),
            [],
          `${where}: the example matches the schema`
          )
        }
      }
    }
  })

  t.test('every operation has a stable, unique camelCase operationId', async (t) => {
    const ops = operations(doc)
    for (const { key, op } of ops) {
      t.match(op.operationId, /^[a-z][a-zA-Z0-9]*$/, `${key}: operationId ${op.operationId} is camelCase`)
      if (EXPECTED[key] !== undefined) t.equal(op.operationId, EXPECTED[key].id, `${key}: operationId unchanged`)
    }
    const ids = ops.map((o) => o.op.operationId)
    t.same(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'no operationId is used twice')
  })

  t.test('what the API accepts absent is documented as optional: bodies, and values with a default', async (t) => {
    const optional = ['POST /orderpacked/{orderId}', 'POST /orderdelivered/{orderId}']
    for (const { key, op } of operations(doc)) {
      for (const p of op.parameters ?? []) {
        if (p.schema?.default !== undefined) t.notOk(p.required, `${key}: ${p.name} has a default, so it is optional`)
      }
      if (op.requestBody === undefined) continue
      t.equal(op.requestBody.required, !optional.includes(key), `${key}: requestBody.required`)
      t.notOk('x-optional-body' in op, `${key}: no marker left in the document`)
      const schema = named(doc, op.requestBody.content['application/json'].schema)
      for (const name of schema.required ?? []) {
        t.equal(
          schema.properties[name]?.default,
          undefined,
        `${key}: required ${name} has no default`
        )
      }
    }
    t.match(
      doc.paths['/items'].get.parameters.find((p: Json) => p.name === 'limit'),
      { in: 'query', name: 'limit', required: false },
      'GET /items?limit is optional'
    )
    const createItem = named(doc, doc.paths['/items'].post.requestBody.content['application/json'].schema)
    t.notOk(createItem.required.includes('stock'), 'POST /items: stock (default 0) is optional')
  })

  t.test('every example in the document matches the schema it illustrates', async (t) => {
    const examples = allExamples(doc)
    t.ok(examples.length > 50, `found ${examples.length} examples (schemas, parameters, media types)`)
    for (const { where, schema, value } of examples) {
      t.same(
        checker.validate(schema, value),
        [],
      `${where} matches ${schema}`
      )
    }
  })

  t.test("Redocly's recommended rules: no error, and none of the warnings generators care about", async (t) => {
    const config = await createConfig({ extends: ['recommended'] })
    const found = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config })
    const line = (p: (typeof found)[number]): string => `${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`
    t.same(found.filter((p) => p.severity === 'error').map(line), [], 'no errors')
    t.same(
      found.filter((p) => /operationId|example/.test(p.ruleId)).map(line),
      [],
      'no operationId or example warnings'
    )
    const others = found.filter((p) => p.severity !== 'error')
    if (others.length > 0) {
      t.comment(`other warnings (accepted): ${[...new Set(others.map((p) => p.ruleId))].join(', ')}`)
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
  const problem = JSON.stringify({
    type: 'urn:x',
    title: 'Not Found',
    status: 404,
    code: 'item_not_found',
    detail: 'x',
    requestId: 'r'
  })
  t.same(checker.check({
    method: 'GET',
    route: '/items/:itemId',
    status: 404,
    contentType: 'application/problem+json; charset=utf-8',
    body: problem
  }), [],
  'a documented problem passes (Fastify route syntax is accepted)')
  t.match(checker.check({
    method: 'GET',
    route: '/categories',
    status: 404,
    contentType: 'application/problem+json',
    body: problem
  }),
  [/status 404 is not documented/])
  t.match(checker.check({
    method: 'GET',
    route: '/items/{itemId}',
    status: 404,
    contentType: 'application/json',
    body: problem
  }),
  [/answered application\/json, the document declares application\/problem\+json/])
  t.match(checker.check({
    method: 'GET',
    route: '/items/{itemId}',
    status: 404,
    contentType: 'application/problem+json',
    body: '{"code":"x"}'
  }),
  [/must have required property/])
  t.match(checker.check({ method: 'GET', route: '/nowhere', status: 200 }), [/not in the OpenAPI document/])
  t.same(checker.check({
    method: 'DELETE',
    route: '/items/{itemId}',
    status: 204,
    contentType: 'application/json',
    body: 'null'
  }), [],
  'a 204 body never reaches the client')

  // The example walk finds examples at each level, so a wrong one anywhere would fail.
  const broken = structuredClone(doc)
  broken.paths['/items/{itemId}'].get.parameters[0].example = 'not an id!'
  broken.components.schemas.PlaceOrderLine.properties.count.examples = [0]
  broken.paths['/signin'].post.responses['200'].content['application/json'].example.expiresIn = 'soon'
  const brokenChecker = createContractChecker(broken)
  const wrong = allExamples(broken).filter((e) => brokenChecker.validate(e.schema, e.value).length > 0).map((e) =>
    e.where)
  t.same(wrong.sort(), [
    '/components/schemas/PlaceOrderLine/properties/count/examples/0',
    '/paths/~1items~1{itemId}/get/parameters/0/example',
    '/paths/~1signin/post/responses/200/content/application~1json/example'
  ], 'a wrong parameter, schema or media example is found')
})
