// The HTTP edges of the app: security and cache headers on every answer,
// cacheable public catalog reads with an ETag and 304, exotic numbers refused as 400, and what the
// router and Node's parser refuse (bad %-encoding, over-long paths and headers, unknown methods)
// in the problem format. DynamoDB is mocked; the local server is listened to for the parser cases.
import t from 'tap'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb'
import { build } from '../helpers/app.js'
import { mockedDocumentClient } from '../helpers/ddb-mock.js'
import { startTestIssuer, type TestIssuer } from '../helpers/tokens.js'
import { toStoredItem } from '../../domain/catalog.js'
import { LOCAL_DEFAULTS } from '../../core/config.js'
import { etagOf, itemEtagger, matchesEtag } from '../../routes/catalog-cache.js'

const STORED = toStoredItem('acme-1', {
  category: 'phone',
  type: 'smart',
  brand: 'Acme',
  title: 'Acme One',
  description: 'A phone',
  colorPreference: [],
  price: 19900,
  currency: 'USD'
}, 4, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')

let issuer: TestIssuer
t.before(async () => { issuer = await startTestIssuer() })
t.teardown(async () => { await issuer.close() })

async function setup (t: { teardown: (fn: () => unknown) => void }, env: Record<string, string> = {}) {
  const { ddb, mock } = mockedDocumentClient(t)
  mock.on(GetCommand).callsFake((input: { Key: { id: string } }) =>
    ({ Item: input.Key.id === 'acme-1' ? STORED : undefined }))
  mock.on(ScanCommand).resolves({ Items: [STORED] })
  mock.on(QueryCommand).resolves({ Items: [] })
  const app = await build(t, { env: { ...issuer.env, ...env }, deps: { aws: { ddb } } })
  return { app, mock }
}
const PROBLEM = /^application\/problem\+json/

t.test('every answer: nosniff, and no-store unless it is a public catalog read', async (t) => {
  const { app } = await setup(t)
  const bearer = { authorization: `Bearer ${issuer.token()}` }
  const answers = [
    ['GET /health', await app.inject({ url: '/health' })],
    ['GET /openapi.json', await app.inject({ url: '/openapi.json' })],
    ['GET /me', await app.inject({ url: '/me', headers: bearer })],
    ['GET /me without a token', await app.inject({ url: '/me' })],
    ['POST /signin, invalid', await app.inject({ method: 'POST', url: '/signin', payload: {} })],
    ['GET /orders without a token', await app.inject({ url: '/orders' })],
    [
      'POST /orderpacked/x with a key',
      await app.inject({
        method: 'POST',
        url: '/orderpacked/x!',
        headers: { 'x-api-key': LOCAL_DEFAULTS.WAREHOUSE_API_KEY }
      })
    ],
    ['an unknown route', await app.inject({ url: '/nope' })],
    ['GET /items/{itemId} with a token', await app.inject({ url: '/items/acme-1', headers: bearer })],
    ['GET /items/{itemId} not found', await app.inject({ url: '/items/missing' })],
    ['a bad URL', await app.inject({ url: '/items/%E0%A4%A' })],
    ['an over-long path parameter', await app.inject({ url: `/items/${'a'.repeat(600)}` })]
  ] as const
  for (const [name, res] of answers) {
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${name}: nosniff`)
    t.equal(res.headers['cache-control'], 'no-store', `${name}: no-store (${res.statusCode})`)
    t.notOk(res.headers.etag, `${name}: no ETag`)
  }
})

t.test('public catalog reads: cacheable a short while, an ETag, If-None-Match answered 304', async (t) => {
  const { app, mock } = await setup(t)
  for (const url of ['/items/acme-1', '/items?limit=5', '/categories']) {
    const first = await app.inject({ url })
    t.equal(first.statusCode, 200, url)
    t.equal(first.headers['cache-control'], 'public, max-age=30', `${url}: cacheable for 30 s`)
    t.equal(first.headers.vary, 'authorization', `${url}: a request with a token gets its own answer`)
    t.equal(first.headers['x-content-type-options'], 'nosniff')
    const etag = String(first.headers.etag)
    if (url.startsWith('/items/')) {
      t.match(
        etag,
        /^W\/"[^"]+"$/,
      `${url}: a weak ETag from the item's updatedAt and inStock`
      )
    } else t.equal(etag, etagOf(first.body), `${url}: a strong ETag of the body`)

    const again = await app.inject({ url, headers: { 'if-none-match': etag } })
    t.equal(again.statusCode, 304, `${url}: 304 for the current ETag`)
    t.equal(again.body, '', `${url}: no body`)
    t.equal(again.headers.etag, etag)
    t.equal(
      (await app.inject({ url, headers: { 'if-none-match': `"other", W/${etag.replace(/^W\//, '')}` } })).statusCode,
      304,
      `${url}: a list, weak form included`
    )
    t.equal(
      (await app.inject({ url, headers: { 'if-none-match': '"stale"' } })).statusCode,
      200,
      `${url}: another ETag gets the body`
    )
    const withToken = await app.inject({
      url,
      headers: { authorization: `Bearer ${issuer.token({ groups: ['admin'] })}`, 'if-none-match': etag }
    })
    t.equal(withToken.statusCode, 200, `${url}: a caller with a token is never answered from an anonymous ETag`)
    t.equal(withToken.headers['cache-control'], 'no-store')
  }
  // The ETag follows the body: stock running out changes inStock, so the tag.
  const before = String((await app.inject({ url: '/items/acme-1' })).headers.etag)
  mock.on(GetCommand).resolves({ Item: { ...STORED, stock: 0 } })
  const after = await app.inject({ url: '/items/acme-1', headers: { 'if-none-match': before } })
  t.equal(after.statusCode, 200, 'a changed item is sent again')
  t.not(after.headers.etag, before)
  t.ok(matchesEtag('*', '"x"') && !matchesEtag(undefined, '"x"') && !matchesEtag('"y"', '"x"'))
  t.ok(matchesEtag('"x"', 'W/"x"') && matchesEtag('W/"x"', '"x"'), 'weak comparison, as If-None-Match asks')
  // An item's tag: its updatedAt and inStock, and the version with what an ETag may not hold taken out.
  const tag = itemEtagger('1.0 "beta"\n')
  t.equal(tag({ updatedAt: '2025-01-01T00:00:00.000Z', inStock: true }), 'W/"2025-01-01T00:00:00.000Z.1.1.0beta"')
  t.not(
    tag({ updatedAt: '2025-01-01T00:00:00.000Z', inStock: false }),
    tag({ updatedAt: '2025-01-01T00:00:00.000Z', inStock: true }),
    'out of stock: another tag'
  )
  // A replaced item (a new updatedAt) gets a new tag too.
  mock.on(GetCommand).resolves({ Item: { ...STORED, updatedAt: '2025-02-01T00:00:00.000Z' } })
  t.not((await app.inject({ url: '/items/acme-1' })).headers.etag, after.headers.etag)
})

t.test('with a list of CORS origins, a cacheable read varies by Origin and by Authorization', async (t) => {
  const { app } = await setup(t, { CORS_ORIGINS: 'https://shop.example.com,https://other.example.com' })
  for (const url of ['/items/acme-1', '/items?limit=5', '/categories']) {
    const res = await app.inject({ url, headers: { origin: 'https://shop.example.com' } })
    t.equal(res.headers['access-control-allow-origin'], 'https://shop.example.com', url)
    const vary = String(res.headers.vary).toLowerCase().split(/,\s*/)
    t.ok(
      vary.includes('origin') && vary.includes('authorization'),
      `${url}: Vary names both (${String(res.headers.vary)})`
    )
  }
})

t.test('exotic numbers are 400s, never 500s', async (t) => {
  const { app, mock } = await setup(t)
  const bearer = { authorization: `Bearer ${issuer.token()}` }
  for (const value of ['1e999', '-1e999', 'Infinity', '-0', '9'.repeat(400), 'NaN', '1.5', '0x', '1e2.5', '']) {
    for (const [path, headers] of [['/items', {}], ['/orders', bearer], ['/orderslist', bearer]] as const) {
      const res = await app.inject({ url: `${path}?limit=${encodeURIComponent(value)}`, headers })
      t.equal(res.statusCode, 400, `${path}?limit=${value.slice(0, 12)}: 400`)
      t.match(res.headers['content-type'], PROBLEM)
      t.equal(res.json().code, 'validation_failed')
    }
  }
  // Numbers Ajv reads as valid integers in range are fine (0x10 is 16).
  t.equal((await app.inject({ url: '/items?limit=0x10' })).statusCode, 200)
  const scans = mock.commandCalls(ScanCommand).map((c) => c.args[0].input.Limit)
  t.ok(
    scans.every((l) => l === undefined || (Number.isInteger(l) && l >= 1 && l <= 1000)),
    `DynamoDB only ever got finite limits (${scans.join(', ')})`
  )
})

t.test('the router\'s and the parser\'s refusals are problems: 400 bad URL, 405, 414, 431', async (t) => {
  const { app } = await setup(t)
  const badUrl = await app.inject({ url: '/items/%E0%A4%A' })
  t.equal(badUrl.statusCode, 400)
  t.match(badUrl.json(), { code: 'bad_url', status: 400 })
  t.equal(badUrl.json().requestId, badUrl.headers['x-request-id'])

  const long = await app.inject({ url: `/items/${'a'.repeat(600)}` })
  t.equal(long.statusCode, 414)
  t.match(long.headers['content-type'], PROBLEM)
  t.match(long.json(), { code: 'uri_too_long', title: 'URI Too Long' })

  for (const [method, url, allow] of [
    ['DELETE', '/health', 'GET, HEAD'],
    ['PATCH', '/items/acme-1', 'DELETE, GET, HEAD, PUT'],
    ['PUT', '/orders/', 'GET, HEAD, POST'],
    ['GET', '/signin', 'POST']
  ] as const) {
    const res = await app.inject({ method, url })
    t.equal(res.statusCode, 405, `${method} ${url}: 405`)
    t.equal(res.headers.allow, allow, `${method} ${url}: Allow`)
    t.match(res.json(), { code: 'method_not_allowed' })
  }
  t.equal(
    (await app.inject({ method: 'GET', url: '/no/such/thing' })).json().code,
    'route_not_found',
    'an unknown path is still 404'
  )

  // Over-long headers and a broken request line never reach Fastify: Node's parser refuses them.
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const raw = async (headers: Record<string, string>, path = '/health'): Promise<{
    status: number
    type: string
    body: string
  }> =>
    await new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => { body += c })
        res.on(
          'end',
          () => { resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }) }
        )
      })
      req.on('error', reject)
      req.end()
    })
  const huge = await raw({ 'x-filler': 'a'.repeat(20_000) })
  t.equal(huge.status, 431)
  t.match(huge.type, PROBLEM)
  t.match(JSON.parse(huge.body), { code: 'headers_too_large', status: 431, title: 'Request Header Fields Too Large' })
  const longPath = await raw({}, `/items?q=${'a'.repeat(20_000)}`)
  t.equal(longPath.status, 431, 'an over-long request line too')
  t.equal(JSON.parse(longPath.body).code, 'headers_too_large')
})
