// The API Lambda's handler, as API Gateway invokes it: HTTP API (2.0) and REST API (1.0) events.
import t from 'tap'
import { fileURLToPath } from 'node:url'
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { createTables, stackEnv } from '../helpers/stack.js'
import { checkDocsAssets } from '../helpers/docs-assets.js'

const context = {
  awsRequestId: 'lambda-req',
  functionName: 'api',
  callbackWaitsForEmptyEventLoop: true
} as unknown as Context

function v2 (
  method: string,
  rawPath: string,
  opts: { query?: string; headers?: Record<string, string>; body?: string; requestId?: string } = {}
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: opts.query ?? '',
    headers: { host: 'api.example.com', ...opts.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
      requestId: opts.requestId ?? 'apigw-req-1',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0
    },
    body: opts.body,
    isBase64Encoded: false
  }
}

t.test('the handler answers both API Gateway payload formats', async (t) => {
  const tables = await createTables(t)
  Object.assign(process.env, stackEnv(), tables, { LOG_LEVEL: 'silent' })
  const { handler } = await import('../../app/lambda.js')
  const invoke = handler as unknown as (e: unknown, c: Context) => Promise<APIGatewayProxyResult>

  const health = await invoke(v2('GET', '/health', { requestId: 'apigw-abc' }), context)
  t.equal(health.statusCode, 200)
  t.equal(health.headers?.['x-request-id'], 'apigw-abc', "API Gateway's request id is the app's")
  t.match(JSON.parse(health.body), { status: 'ok' })

  const missing = await invoke(v2('GET', '/nope', { query: 'q=a,b' }), context)
  t.equal(missing.statusCode, 404)
  t.match(missing.headers?.['content-type'], /application\/problem\+json/)

  const rest: Partial<APIGatewayProxyEvent> = {
    resource: '/{proxy+}',
    path: '/openapi.json',
    httpMethod: 'GET',
    headers: { Host: 'api.example.com' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: 'openapi.json' },
    requestContext: {
      requestId: 'rest-req',
      stage: 'prod',
      resourcePath: '/{proxy+}',
      httpMethod: 'GET',
      path: '/prod/openapi.json'
    } as never,
    body: null,
    isBase64Encoded: false
  }
  const doc = await invoke(rest, context)
  t.equal(doc.statusCode, 200)
  t.equal(JSON.parse(doc.body).openapi, '3.1.0')

  // In Lambda the request id is API Gateway's, whatever the client sends.
  const chosen = await invoke(
    v2(
      'GET',
      '/nope',
      { requestId: 'apigw-real', headers: { 'X-Request-Id': 'chosen-by-client', 'x-client-request-id': 'forged' } }
    ),
    context
  )
  t.equal(chosen.headers?.['x-request-id'], 'apigw-real', "API Gateway's id, not the client's")
  t.equal(JSON.parse(chosen.body).requestId, 'apigw-real')
  t.equal(chosen.headers?.['x-client-request-id'], 'chosen-by-client', "the client's id is echoed apart")
  const restChosen = await invoke(
    {
      ...rest,
      path: '/nope',
      pathParameters: { proxy: 'nope' },
      headers: { Host: 'api.example.com', 'X-Request-Id': 'rest-client-id' },
      multiValueHeaders: { 'x-request-id': ['a', 'b'] },
      requestContext: { ...rest.requestContext, requestId: 'rest-real' } as never
    },
    context
  )
  t.equal(restChosen.headers?.['x-request-id'], 'rest-real', 'the REST payload too')
  t.equal(restChosen.headers?.['x-client-request-id'], 'rest-client-id')
  const none = await invoke(v2('GET', '/nope', { requestId: 'apigw-alone' }), context)
  t.equal(none.headers?.['x-client-request-id'], undefined, 'no client id echoed when the caller sent none')

  // Swagger UI's favicons are PNGs: binary answers must reach API Gateway base64-encoded.
  const swaggerUiStatic = join(
    dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui/package.json')),
    'static'
  )
  const checked = await checkDocsAssets(t, async (path) => await invoke(v2('GET', path), context), swaggerUiStatic,
    fileURLToPath(new URL('../../routes/docs-theme', import.meta.url)))
  t.ok(checked.length >= 10, `${checked.length} files of Swagger UI checked`)
  const page = await invoke(v2('GET', '/docs/'), context)
  t.equal(page.isBase64Encoded, false, 'text stays text')

  // Concurrent invocations of one container keep their requests apart.
  const results = await Promise.all(Array.from({ length: 25 }, (_, i) =>
    invoke(v2('GET', `/missing-${i}`, { requestId: `req-${i}` }), context)))
  results.forEach((res, i) => {
    t.equal(res.statusCode, 404)
    const body = JSON.parse(res.body)
    if (body.instance !== `/missing-${i}` || body.requestId !== `req-${i}`) {
      t.fail(`invocation ${i} got another's answer`)
    }
  })
})
