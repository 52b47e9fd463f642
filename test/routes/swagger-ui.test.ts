// Swagger UI locally and behind API Gateway's stage or base path: the `/docs` redirect keeps the
// prefix, the page's assets and spec are relative, and "Try it out" targets the prefix. Lambda
// events go through @fastify/aws-lambda exactly as app/lambda.ts wires it.
import t from 'tap'
import awsLambdaFastify from '@fastify/aws-lambda'
import type { APIGatewayProxyResult, Context } from 'aws-lambda'
import { buildApp } from '../../app/app.js'
import { PROXY_OPTIONS } from '../../app/lambda-options.js'
import { loadConfig } from '../../core/config.js'
import { BASE_TEST_ENV, build } from '../helpers/app.js'
import { externalBasePath } from '../../routes/docs-base-path.js'

const context = { awsRequestId: 'lambda-req', callbackWaitsForEmptyEventLoop: true } as unknown as Context

/** A REST API (1.0) event for `path`, as the client requested `clientPath`. */
function rest (path: string, clientPath: string, stage = 'dev'): unknown {
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: 'GET',
    headers: { Host: 'api.example.com' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: path.slice(1) },
    requestContext: { requestId: 'rest-req', stage, resourcePath: '/{proxy+}', httpMethod: 'GET', path: clientPath },
    body: null,
    isBase64Encoded: false
  }
}

/** An HTTP API (2.0) event on the $default stage. */
function http (rawPath: string): unknown {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    headers: { host: 'api.example.com' },
    requestContext: {
      http: { method: 'GET', path: rawPath },
      requestId: 'http-req',
      routeKey: '$default',
      stage: '$default'
    },
    isBase64Encoded: false
  }
}

async function lambda (t: { teardown: (fn: () => unknown) => void }) {
  const app = buildApp(loadConfig(BASE_TEST_ENV))
  const proxy = awsLambdaFastify(app, { ...PROXY_OPTIONS, decorateRequest: true })
  t.teardown(() => app.close())
  await app.ready()
  return async (event: unknown) =>
    await (proxy as unknown as (e: unknown, c: Context) => Promise<APIGatewayProxyResult>)(event, context)
}

const assetUrls = (html: string): string[] => [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]!)

t.test('locally: /docs redirects to /docs/, whose assets and spec are relative; servers is /', async (t) => {
  const app = await build(t)
  const bare = await app.inject({ url: '/docs' })
  t.equal(bare.statusCode, 302)
  t.equal(bare.headers.location, '/docs/')
  const withQuery = await app.inject({ url: '/docs?x=1' })
  t.equal(withQuery.headers.location, '/docs/?x=1', 'the query string is kept')

  const page = await app.inject({ url: '/docs/' })
  t.equal(page.statusCode, 200)
  const urls = assetUrls(page.body)
  t.ok(urls.length >= 4, 'the page links its assets')
  for (const url of urls) t.match(url, /^\.\/static\//, `${url} is relative`)
  for (const url of urls) {
    const asset = await app.inject({ url: `/docs/${url.slice(2)}` })
    t.equal(asset.statusCode, 200, `${url} is served`)
  }
  const init = await app.inject({ url: '/docs/static/swagger-initializer.js' })
  t.match(init.body, /resolveUrl\('\.\/json'\)/, 'the spec URL is relative to the page')

  const spec = await app.inject({ url: '/docs/json' })
  t.same(spec.json().servers, [{ url: '/', description: 'This API, where this document was served' }])
  t.same((await app.inject({ url: '/openapi.json' })).json().servers, spec.json().servers)
  t.ok(spec.json().paths['/orderpacked/{orderId}'], 'the UI shows the API document')
})

t.test('behind a REST API stage: redirects keep /dev and "Try it out" targets /dev', async (t) => {
  const invoke = await lambda(t)
  const bare = await invoke(rest('/docs', '/dev/docs'))
  t.equal(bare.statusCode, 302)
  t.equal(bare.headers?.location, '/dev/docs/')

  const page = await invoke(rest('/docs/', '/dev/docs/'))
  t.equal(page.statusCode, 200)
  for (const url of assetUrls(page.body)) t.match(url, /^\.\/static\//, `${url} resolves under /dev/docs/`)

  const spec = await invoke(rest('/docs/json', '/dev/docs/json'))
  t.equal(JSON.parse(spec.body).servers[0].url, '/dev')
  const doc = await invoke(rest('/openapi.json', '/dev/openapi.json'))
  t.equal(JSON.parse(doc.body).servers[0].url, '/dev')

  const index = await invoke(rest('/docs/static/index.html', '/dev/docs/static/index.html'))
  t.equal(index.statusCode, 302)
  t.equal(index.headers?.location, '/dev/docs/', "the UI's own redirect keeps the stage")
})

t.test('behind a custom domain base path, and on the HTTP API $default stage', async (t) => {
  const invoke = await lambda(t)
  const mapped = await invoke(rest('/docs/json', '/shop/v1/docs/json', 'prod'))
  t.equal(JSON.parse(mapped.body).servers[0].url, '/shop/v1')
  const direct = await invoke(http('/docs/json'))
  t.equal(JSON.parse(direct.body).servers[0].url, '/')
  const bare = await invoke(http('/docs'))
  t.equal(bare.headers?.location, '/docs/')
})

t.test('the base path comes only from the event, and only as plain path segments', async (t) => {
  t.equal(externalBasePath(undefined, '/docs'), '', 'no event: local')
  t.equal(
    externalBasePath({ httpMethod: 'GET', requestContext: { stage: 'dev' } }, '/docs'),
    '/dev',
    'stage without a path'
  )
  t.equal(externalBasePath({ requestContext: { stage: '$default', http: { path: '/docs' } } }, '/docs'), '')
  t.equal(externalBasePath({ requestContext: { path: '/"><script>/docs' } }, '/docs'), '', 'markup is never a prefix')
  t.equal(
    externalBasePath({ requestContext: { path: '//evil.example.com/docs' } }, '/docs'),
    '',
    'nor a protocol-relative host'
  )
  t.equal(
    externalBasePath({ requestContext: { path: '/other/path' } }, '/docs'),
    '',
    'a path that does not end with ours'
  )
})
