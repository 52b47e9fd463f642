// No 5xx on any input: requests generated with fast-check from the served
// OpenAPI document (every operation, its path, query and header parameters and its body, each
// valid, exotic or wrong), sent over HTTP to the app listening as `npm start` runs it, against
// DynamoDB Local and cognito-local with the rate limits on. Every answer must be 2xx, 304 or 4xx; a
// 4xx in the problem format with a stable snake_case code; and (the contract check of
// test/helpers/app.ts) a status and body the document declares for that operation.
// Bounded: GENERATED_RUNS requests or GENERATED_SECONDS, whichever comes first.
import t from 'tap'
import fc from 'fast-check'
import { Agent, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PutCommand } from '@aws-sdk/lib-dynamodb'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { LOCAL_DEFAULTS } from '../../core/config.js'
import { seedCatalog, sampleCatalog } from '../../data/seed-catalog.js'
import { toStoredItem } from '../../domain/catalog.js'

const RUNS = Number(process.env.GENERATED_RUNS ?? 300)
const SECONDS = Number(process.env.GENERATED_SECONDS ?? 25)

type Json = Record<string, any>
interface Operation { method: string; path: string; op: Json }
interface Sent { method: string; path: string; headers: Record<string, string>; body?: Buffer }
interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

const METHODS = ['get', 'put', 'post', 'delete', 'patch']

/** Numbers as a query or path carries them: ordinary, out of range and exotic. */
const numberText = fc.oneof(
  fc.integer({ min: -5, max: 150 }).map(String),
  fc.constantFrom(
    '1e999',
    '-1e999',
    '-0',
    '0x10',
    '0b11',
    '1e2',
    '1.5',
    'NaN',
    'Infinity',
    '',
    ' 7',
    '+3',
    '007',
    '9'.repeat(400),
    '1_000'
  ),
  fc.double().map(String)
)

/** Text as a client might send it: printable, unicode, long, or with odd %-encodings. */
const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '%',
    '%zz',
    '%00',
    '%C0%AF',
    '%E0%A4%A',
    '..',
    '../..',
    '#',
    '?',
    '*',
    '\\',
    'null',
    'undefined',
    '{}',
    '[]',
    '0'
  ),
  fc.string({ minLength: 150, maxLength: 700 })
)
const encoded = (s: string): string =>
  (/%[0-9A-Za-z]{0,2}|^[^%]*$/.test(s) && Math.random() < 0.2 ? s : encodeURIComponent(s))

function operations (doc: Json): Operation[] {
  return Object.entries<Json>(doc.paths).flatMap(([path, item]) => Object.entries<Json>(item)
    .filter(([m]) => METHODS.includes(m)).map(([m, op]) => ({ method: m.toUpperCase(), path, op })))
}

function examplesOf (op: Json): unknown[] {
  const media = op.requestBody?.content?.['application/json'] ?? {}
  return [
    ...(media.example !== undefined ? [media.example] : []),
    ...Object.values<Json>(media.examples ?? {}).map((e) => e.value)
  ]
}

/** A body: the operation's example, the example with one field changed, any JSON, or bytes. */
function body (op: Json): fc.Arbitrary<{ type?: string; bytes?: Buffer }> {
  const examples = examplesOf(op)
  const json = (v: unknown): { type: string; bytes: Buffer } => ({
    type: 'application/json',
    bytes: Buffer.from(JSON.stringify(v) ?? 'null')
  })
  const mutated = examples.length === 0
    ? fc.jsonValue().map(json)
    : fc.tuple(fc.constantFrom(...examples), fc.string({ maxLength: 12 }), fc.oneof(fc.jsonValue(), numberText)).map((
      [example, key, value]
    ) => {
      const copy = structuredClone(example) as Json
      const keys = Object.keys(copy)
      const field = keys.length > 0 && Math.random() < 0.7 ? keys[Math.floor(Math.random() * keys.length)]! : key
      copy[field] = value
      return json(copy)
    })
  return fc.oneof(
    { weight: 3, arbitrary: examples.length > 0 ? fc.constantFrom(...examples).map(json) : fc.constant(json({})) },
    { weight: 4, arbitrary: mutated },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map(json) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{',
        '{"a":1}}',
        '\uFEFF{}',
        'null',
        '1e999',
        '['.repeat(5000),
        '{"items":[{"id":"x","count":1e999}]}'
      ).map((s) => ({ type: 'application/json', bytes: Buffer.from(s) }))
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) =>
        ({ type: 'application/octet-stream', bytes: Buffer.from(b) }))
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'text/plain',
        'application/json; charset=utf-16',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json;;',
        ''
      )
        .map((type) => ({ type, bytes: Buffer.from('{"a":1}') }))
    },
    { weight: 1, arbitrary: fc.constant({ type: 'application/json', bytes: Buffer.alloc(300 * 1024, 0x20) }) },
    { weight: 1, arbitrary: fc.constant<{ type?: string; bytes?: Buffer }>({}) }
  )
}

t.test('generated requests over every operation: never a 5xx, every 4xx a problem with a stable code', async (t) => {
  const tables = await createTables(t)
  const stack = stackEnv()
  // Tokens from the test issuer for the local pool's client, so the account routes still reach cognito-local.
  const issuer = await startTestIssuer({ userPoolId: stack.USER_POOL_ID, clientId: stack.USER_POOL_CLIENT_ID })
  t.teardown(issuer.close)
  const app = await build(t, { env: { ...stack, ...tables, COGNITO_ISSUER: issuer.issuer, RATE_LIMITS: 'on' } })
  const seeded = sampleCatalog()
  await seedCatalog(app.aws.ddb, app.config.tables)
  // The ids the document's examples name, so example orders can succeed.
  for (const id of ['phone-apple-iphone-15', 'phone-apple-iphone-15-pro', 'accessories-anker-charger-65w']) {
    await app.aws.ddb.send(new PutCommand({
      TableName: tables.ITEMS_TABLE,
      Item: toStoredItem(
        id,
        {
          category: 'phone',
          type: 'smart',
          brand: 'Apple',
          title: id,
          description: '',
          colorPreference: [{ colorCode: '#1F2020', displayValue: 'Black Titanium' }],
          price: 99900,
          currency: 'USD'
        },
        1000,
        new Date().toISOString(),
        new Date().toISOString()
      )
    }))
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())

  const doc = (await app.inject({ url: '/openapi.json' })).json() as Json
  const ops = operations(doc)
  t.ok(ops.length >= 20, `${ops.length} operations from the served document`)

  const ids = [...seeded.slice(0, 3).map((i) => i.id), 'phone-apple-iphone-15', 'no-such-id']
  const credentials = fc.constantFrom<Record<string, string>>(
    {},
    { authorization: `Bearer ${issuer.token({ sub: 'gen-shopper' })}` },
    { authorization: `Bearer ${issuer.token({ sub: 'gen-admin', groups: ['admin'] })}` },
    { authorization: `Bearer ${issuer.token({ sub: 'gen-access', tokenUse: 'access' })}` },
    { authorization: 'Bearer not.a.token' },
    { authorization: `Bearer ${issuer.token({ header: { kid: 'made-up' } })}` },
    { authorization: 'Basic Zm9vOmJhcg==' },
    { 'x-api-key': LOCAL_DEFAULTS.WAREHOUSE_API_KEY },
    { 'x-api-key': LOCAL_DEFAULTS.DELIVERY_API_KEY },
    { 'x-api-key': 'x'.repeat(300) }
  )
  const extraHeaders = fc.dictionary(
    fc.constantFrom(
      'idempotency-key',
      'if-none-match',
      'x-request-id',
      'accept',
      'x-forwarded-for',
      'content-encoding',
      'x-filler',
      'range'
    ),
    fc.oneof(
      fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
      fc.constant('a'.repeat(8000)),
      fc.constantFrom('*', '"x", W/"y"', 'gzip', 'bytes=0-1')
    ),
    { maxKeys: 3 }
  )

  const request = fc.constantFrom(...ops).chain(({ method, path, op }) => {
    const params = (op.parameters ?? []) as Json[]
    const pathParams = params.filter((p) => p.in === 'path')
    const queryParams = params.filter((p) => p.in === 'query')
    const headerParams = params.filter((p) => p.in === 'header')
    const valueFor = (p: Json): fc.Arbitrary<string> => {
      const schema = p.schema ?? {}
      const pool: Array<fc.Arbitrary<string>> = [text.map(encoded)]
      if (schema.type === 'integer' || schema.type === 'number') {
        pool.push(numberText.map(encodeURIComponent), numberText.map(encodeURIComponent))
      }
      if (Array.isArray(schema.enum)) pool.push(fc.constantFrom(...schema.enum.map(String)))
      if (Array.isArray(schema.examples)) {
        pool.push(fc.constantFrom(...schema.examples.map(String)).map(encodeURIComponent))
      }
      if (p.in === 'path') pool.push(fc.constantFrom(...ids))
      return fc.oneof(...pool)
    }
    return fc.record({
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant(method) },
        { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') }
      ),
      pathValues: fc.tuple(...pathParams.map(valueFor), fc.constant('')),
      query: fc.tuple(...queryParams.map((p) => fc.option(
        valueFor(p).map((v) => `${p.name}=${v}`),
        { nil: undefined }
      )),
      fc.option(fc.constantFrom('unknown=1', 'limit=1&limit=2', 'q', '&&', '=x', 'cursor=%ZZ'), { nil: undefined })),
      headerValues: fc.tuple(
        ...headerParams.map((p) => fc.option(
          valueFor(p).map((v) => [p.name as string, decodeURIComponentSafe(v)] as const),
          { nil: undefined }
        ))
      ),
      credentials,
      extra: extraHeaders,
      body: op.requestBody !== undefined || Math.random() < 0.1
        ? body(op)
        : fc.constant<{
          type?: string
          bytes?: Buffer
        }>({}),
      trailingSlash: fc.boolean()
    }).map((r): Sent => {
      let i = 0
      const filled = path.replace(/\{[^}]+\}/g, () => r.pathValues[i++] ?? '')
      const query = r.query.filter((q): q is string => q !== undefined).join('&')
      const headers: Record<string, string> = { ...r.extra, ...r.credentials }
      for (const h of r.headerValues) if (h !== undefined) headers[h[0]] = h[1].replace(/[^\x20-\x7e]/g, '')
      // A HEAD request has no body (Node's client would send one that the server reads as the next
      // request), nor headers over Node's 16 KB (the parser's 431 carries a body a HEAD's client can't read).
      const bytes = r.method === 'HEAD' ? undefined : r.body.bytes
      if (r.method === 'HEAD') for (const [k, v] of Object.entries(headers)) headers[k] = v.slice(0, 1000)
      if (r.body.type !== undefined && r.body.type !== '') headers['content-type'] = r.body.type
      if (bytes !== undefined) headers['content-length'] = String(bytes.length)
      return {
        method: r.method,
        path: `${filled}${r.trailingSlash ? '/' : ''}${query === '' ? '' : `?${query}`}`,
        headers,
        body: bytes
      }
    })
  })

  const send = async (s: Sent): Promise<Answer> => await new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: s.method, path: s.path, headers: s.headers, agent }, (
      res
    ) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { text += c })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }) })
    })
    req.on('error', reject)
    req.end(s.body)
  })

  const seen = new Map<number, number>()
  let runs = 0
  await fc.assert(fc.asyncProperty(request, async (sent) => {
    runs++
    let res: Answer
    try {
      res = await send(sent)
    } catch (err) {
      // Node's client refuses to send some generated paths; such a request never reaches the API.
      if (['ERR_UNESCAPED_CHARACTERS', 'ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN'].includes(
        (err as NodeJS.ErrnoException).code ?? ''
      )) {
        return
      }
      throw err
    }
    seen.set(res.status, (seen.get(res.status) ?? 0) + 1)
    const where = `${sent.method} ${sent.path.slice(0, 120)} -> ${res.status} ${res.body.slice(0, 200)}`
    const fine = (res.status >= 200 && res.status < 300) || res.status === 304 || (res.status >= 400 &&
      res.status < 500)
    if (!fine) throw new Error(`not a 2xx, 304 or 4xx: ${where}`)
    if (res.headers['x-content-type-options'] !== 'nosniff') throw new Error(`no nosniff: ${where}`)
    if (res.status < 400 || sent.method === 'HEAD') return
    if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) {
      throw new Error(`not a problem document: ${where}`)
    }
    const problem = JSON.parse(res.body) as Json
    if (problem.status !== res.status || typeof problem.code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(problem.code) ||
      problem.type !== `urn:serverless-commerce:problem:${problem.code}` || typeof problem.requestId !== 'string' ||
      typeof problem.detail !== 'string') {
      throw new Error(`a malformed problem: ${where}`)
    }
    if (res.status === 405 && typeof res.headers.allow !== 'string') throw new Error(`a 405 without Allow: ${where}`)
  }), { numRuns: RUNS, interruptAfterTimeLimit: SECONDS * 1000, markInterruptAsFailure: false })
  t.ok(runs >= Math.min(RUNS, 50), `${runs} generated requests answered`)
  const statuses = [...seen.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ')
  t.ok([...seen.keys()].some((s) => s >= 200 && s < 300), `some succeeded, not only refusals (${statuses})`)
  t.ok([...seen.keys()].some((s) => s >= 400), 'and many were refused')
})

function decodeURIComponentSafe (s: string): string {
  try { return decodeURIComponent(s) } catch { return s }
}
