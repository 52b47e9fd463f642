// The built API bundle, invoked as `sam local invoke -e events/<file>.json` would invoke it: the
// same esbuild options as `npm run build` (into a folder of this test's own, so concurrent runs
// never share one), the emulators' environment, the sample events from events/.
import t, { type Test } from 'tap'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { APIGatewayProxyResult, Context } from 'aws-lambda'
import type { Metafile } from 'esbuild'
import { createRequire } from 'node:module'
import { APART_FILE, FUNCTIONS, ROOT, buildFunction, bundlePath, packageVersion } from '../../scripts/build.js'
import { ensureNode22 } from '../../scripts/node22.js'
import { runLambdaProbe } from '../helpers/lambda-process.js'
import { createTables, localDynamoClient, stackEnv } from '../helpers/stack.js'
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb'
import { toStoredItem } from '../../domain/catalog.js'
import { checkDocsAssets } from '../helpers/docs-assets.js'

type Handler = (event: unknown, context: Context) => Promise<APIGatewayProxyResult>

/** The output files an entry loads before it runs: itself and its static imports, transitively. */
function staticClosure (meta: Metafile, entryName: string): string[] {
  const entry = Object.keys(meta.outputs).find((o) => o.endsWith(`/${entryName}`))
  const seen = new Set<string>()
  const visit = (out: string | undefined): void => {
    if (out === undefined || seen.has(out)) return
    seen.add(out)
    for (const i of meta.outputs[out]?.imports ?? []) if (i.kind === 'import-statement') visit(i.path)
  }
  visit(entry)
  return [...seen]
}

/** This machine's Node and Node 22, the Lambda runtime's version (one binary when they are the same). */
const lambdaNodes = (): string[] => [
  ...new Set([process.execPath, ensureNode22(process.env, (line) => t.comment(line))])
]

/**
 * Checks that a logged stack trace names the TypeScript sources: frames `(<file>.ts:<line>:<column>)`,
 * each file in the repository with that many lines, one of them in `file` on a line containing
 * `code`, and no frame left at a position in the bundle's files (in `bundleDir`).
 */
async function checkTypeScriptFrames (
  t: Test,
  stack: unknown,
  file: string,
  code: string,
  bundleDir: string
): Promise<void> {
  t.type(stack, 'string', 'a stack was logged')
  const frames = [...String(stack).matchAll(/\(([^()\s]+\.ts):(\d+):(\d+)\)$/gm)].map((m) =>
    ({ file: m[1]!, line: Number(m[2]) }))
  t.ok(frames.length > 0, `frames in TypeScript sources: ${frames.map((f) => `${f.file}:${f.line}`).join(', ')}`)
  for (const f of frames) {
    const lines = (await readFile(join(ROOT, f.file), 'utf8')).split('\n')
    t.ok(f.line <= lines.length, `${f.file}:${f.line} is a line of the repository's file`)
  }
  const lines = (await readFile(join(ROOT, file), 'utf8')).split('\n')
  t.ok(
    frames.some((f) => f.file === file && lines[f.line - 1]?.includes(code)),
    `a frame at ${file}'s line with ${code}`
  )
  t.notOk(String(stack).includes(bundleDir), 'no frame left at a position in the bundle')
}

const sample = async (name: string): Promise<Record<string, any>> =>
  JSON.parse(await readFile(new URL(`../../events/${name}`, import.meta.url), 'utf8'))
const context = {
  awsRequestId: 'bundle-test',
  functionName: 'serverless-commerce-dev-api',
  callbackWaitsForEmptyEventLoop: true
} as unknown as Context

t.test('the built API bundle answers the sample HTTP events', async (t) => {
  const dist = await mkdtemp(join(tmpdir(), 'sc-bundles-'))
  t.teardown(() => rm(dist, { recursive: true, force: true }))
  const version = await packageVersion()
  const report = await buildFunction(FUNCTIONS.find((f) => f.name === 'api')!, version, dist)
  t.ok(
    report.bytes > 0 && report.gzipBytes < report.bytes,
    `bundle built: ${report.bytes} bytes, ${report.gzipBytes} gzip`
  )
  t.ok(existsSync(join(dist, 'api', 'index.mjs.map')), 'with its source map')
  t.ok(existsSync(join(dist, 'api', 'static', 'swagger-ui.css')), "with Swagger UI's static files beside it")
  // Code splitting keeps what only some routes need out of the entry file that init reads.
  const entry = await readFile(bundlePath('api', dist), 'utf8')
  t.notOk(entry.includes('swagger-initializer'), 'Swagger UI is not in the entry file (a chunk loaded on first use)')
  t.ok(
    report.totalBytes > report.bytes,
    `chunks beside the entry: ${report.bytes} bytes entry, ${report.totalBytes} in all`
  )
  // Fastify's schema compilers are a fallback (every schema is compiled at build time): apart from
  // what init loads, in apart.cjs, which still provides them.
  const meta = JSON.parse(await readFile(join(dist, 'api.meta.json'), 'utf8')) as Metafile
  const initInputs = staticClosure(meta, 'index.mjs').flatMap((out) => Object.keys(meta.outputs[out]?.inputs ?? {}))
  t.ok(initInputs.some((i) => /node_modules\/fastify\//.test(i)), 'init loads Fastify')
  // (Fastify's error serializer needs fast-json-stringify's small runtime, lib/serializer.js, only.)
  t.notOk(
    initInputs.some((i) =>
      /node_modules\/(ajv|ajv-formats|@fastify\/ajv-compiler)\/|fast-json-stringify\/index\.js/.test(i)),
    'but neither Ajv nor the fast-json-stringify compiler'
  )
  const apart = createRequire(import.meta.url)(join(dist, 'api', APART_FILE)) as Record<string, unknown>
  t.equal(typeof apart['@fastify/ajv-compiler'], 'function', 'apart.cjs has the Ajv compiler')
  t.equal(
    typeof (apart['@fastify/fast-json-stringify-compiler'] as { SerializerSelector?: unknown }).SerializerSelector,
    'function',
    'and the serializer compiler'
  )

  // What Lambda and the template give the function (the emulators stand in for AWS). No
  // APP_VERSION: the bundle must carry package.json's version itself.
  const tables = await createTables(t)
  delete process.env.APP_VERSION
  Object.assign(
    process.env,
    stackEnv(),
    tables,
    { STAGE: 'test', LOG_LEVEL: 'silent', AWS_LAMBDA_FUNCTION_NAME: context.functionName }
  )
  const { handler } = await import(pathToFileURL(bundlePath('api', dist)).href) as { handler: Handler }

  await t.test('GET /health (HTTP API 2.0)', async (t) => {
    const event = await sample('http-get-health.json')
    const res = await handler(event, context)
    t.equal(res.statusCode, 200)
    t.match(res.headers?.['content-type'], /^application\/json/)
    t.ok(res.headers?.['x-request-id'], 'a request id header')
    t.match(JSON.parse(res.body), {
      status: 'ok',
      version,
      stage: 'test',
      dependencies: { itemsTable: { ok: true }, ordersTable: { ok: true }, cognito: { ok: true } }
    })
  })

  await t.test('GET /health (REST API 1.0 proxy)', async (t) => {
    const event = await sample('rest-get-health.json')
    const res = await handler(event, context)
    t.equal(res.statusCode, 200)
    t.equal(res.headers?.['x-request-id'], event.requestContext.requestId, "API Gateway's request id is the app's")
    t.match(JSON.parse(res.body), { status: 'ok', version })
  })

  await t.test('GET /items and GET /items/{id}', async (t) => {
    const ddb = DynamoDBDocumentClient.from(localDynamoClient())
    t.teardown(() => ddb.destroy())
    const at = '2024-11-25T06:00:00.000Z'
    await ddb.send(new PutCommand({
      TableName: tables.ITEMS_TABLE,
      Item: toStoredItem('phone-apple-iphone-15', {
        category: 'phone',
        type: 'smartphone',
        brand: 'Apple',
        title: 'iPhone 15',
        description: 'A phone',
        colorPreference: [{ colorCode: '#000000', displayValue: 'Black' }],
        price: 79900,
        currency: 'USD'
      }, 5, at, at)
    }))
    const list = await handler(await sample('http-get-items.json'), context)
    t.equal(list.statusCode, 200, list.body)
    t.match(JSON.parse(list.body), { items: [{ id: 'phone-apple-iphone-15', category: 'phone', inStock: true }] })
    const one = await handler(await sample('http-get-item.json'), context)
    t.equal(one.statusCode, 200, one.body)
    const item = JSON.parse(one.body)
    t.match(item, { id: 'phone-apple-iphone-15', title: 'iPhone 15', price: 79900 })
    t.notOk('typeBrandId' in item || 'searchText' in item, 'no internal attributes')
  })

  await t.test('GET /openapi.json', async (t) => {
    const res = await handler(await sample('http-get-openapi.json'), context)
    t.equal(res.statusCode, 200)
    t.match(res.headers?.['content-type'], /^application\/json/)
    const doc = JSON.parse(res.body)
    t.equal(doc.openapi, '3.1.0')
    t.equal(doc.info.version, version)
    t.ok(doc.paths['/health'], 'documents /health')
  })

  await t.test('Swagger UI and its assets are served from the bundle', async (t) => {
    const event = await sample('http-get-health.json')
    const get = (path: string): Promise<APIGatewayProxyResult> => handler({
      ...event,
      rawPath: path,
      pathParameters: { proxy: path.slice(1) },
      requestContext: {
        ...event.requestContext,
        http: { ...event.requestContext.http, path }
      }
    }, context)
    const page = await get('/docs/')
    t.equal(page.statusCode, 200)
    t.match(page.headers?.['content-type'], /text\/html/)
    const css = await get('/docs/static/swagger-ui.css')
    t.equal(css.statusCode, 200)
    t.match(css.headers?.['content-type'], /text\/css/)
    // Every file, the PNG favicons included, arrives as its bytes (base64 where it is not text).
    // Our theme too, from the copy the bundle carries (docs-theme/ beside it).
    await checkDocsAssets(t, get, join(dist, 'api', 'static'), join(dist, 'api', 'docs-theme'))
  })

  await t.test('behind a REST API stage, /docs and the document name the stage (the event reaches the docs ' +
    'routes)', async (t) => {
    const event = await sample('rest-get-health.json')
    const at = (path: string): Promise<APIGatewayProxyResult> =>
      handler(
        {
          ...event,
          path,
          resource: '/{proxy+}',
          requestContext: { ...event.requestContext, path: `/dev${path}`, stage: 'dev' }
        },
        context
      )
    const docs = await at('/docs')
    t.equal(docs.statusCode, 302)
    t.equal(docs.headers?.location, '/dev/docs/')
    t.same(JSON.parse((await at('/openapi.json')).body).servers.map((s: { url: string }) => s.url), ['/dev'])
  })

  await t.test('an unhandled error is logged with frames in the TypeScript sources, on Node 20 and 22; no map is ' +
    'read before one', async (t) => {
    const getItem = await sample('http-get-item.json')
    const unknownRoute = {
      ...getItem,
      rawPath: '/no-such-route',
      requestContext: { ...getItem.requestContext, http: { ...getItem.requestContext.http, path: '/no-such-route' } }
    }
    // The items table missing: DynamoDB's ResourceNotFoundException reaches the errors plugin (a 500).
    const env = {
      ...stackEnv(),
      ...tables,
      ITEMS_TABLE: `${tables.ITEMS_TABLE}-missing`,
      STAGE: 'test',
      LOG_LEVEL: 'error',
      AWS_LAMBDA_FUNCTION_NAME: context.functionName,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true'
    }
    for (const node of lambdaNodes()) {
      const run = await runLambdaProbe(node, bundlePath('api', dist), [unknownRoute, getItem], env, dist)
      const [answered, failed] = run.results
      t.equal(answered?.answer?.statusCode, 404, `${node}: a request answered`)
      t.equal(answered?.mapsRead, 0, 'init and an answered request read no source map')
      t.equal(failed?.answer?.statusCode, 500, 'the missing table is a 500')
      // Node 22 loads its undici (~15 ms) when node:http is imported as an ES module; the bundle
      // requires it (scripts/build.ts, commonJsHttp), so a request through the SDK leaves undici unloaded.
      t.equal(failed?.undiciLoaded, false, `${node}: a DynamoDB call did not load Node's undici`)
      t.match(JSON.parse(failed?.answer?.body), { code: 'internal_error', detail: /^An unexpected error occurred/ })
      t.notMatch(
        failed?.answer?.body,
        /\.ts|\.mjs|\bat |ResourceNotFound/,
        'the answer carries no stack and no AWS error'
      )
      const logged = run.logs.find((l) => l.msg === 'unhandled error')
      await checkTypeScriptFrames(
        t,
        logged?.err?.stack,
        'data/items-repository.ts',
        'new GetCommand',
        join(dist, 'api')
      )
      t.ok(
        run.mapsRead.length > 0 && run.mapsRead.every((f) => f.startsWith(join(dist, 'api'))),
        `the bundle's maps read for the error: ${run.mapsRead.length}`
      )
    }
  })

  await t.test('an unknown route is a 404 problem', async (t) => {
    const event = await sample('http-get-health.json')
    const res = await handler(
      {
        ...event,
        rawPath: '/no-such-route',
        requestContext: { ...event.requestContext, http: { ...event.requestContext.http, path: '/no-such-route' } }
      },
      context
    )
    t.equal(res.statusCode, 404)
    t.match(res.headers?.['content-type'], /application\/problem\+json/)
    t.notMatch(res.body, /at .*\.mjs/, 'no stack trace')
  })
})

t.test('the built worker bundle turns the sample stream batch into an event on the (local) bus', async (t) => {
  const dist = await mkdtemp(join(tmpdir(), 'sc-worker-bundle-'))
  t.teardown(() => rm(dist, { recursive: true, force: true }))
  const report = await buildFunction(FUNCTIONS.find((f) => f.name === 'worker')!, await packageVersion(), dist)
  t.ok(
    report.bytes > 0 && existsSync(join(dist, 'worker', 'index.mjs.map')),
    `worker bundle built: ${report.bytes} bytes, ${report.gzipBytes} gzip`
  )
  const chunks = await readdir(join(dist, 'worker', 'chunks'))
  const files = await Promise.all([
    bundlePath('worker', dist),
    ...chunks.filter((f) => f.endsWith('.mjs')).map((f) => join(dist, 'worker', 'chunks', f))
  ]
    .map((f) => readFile(f)))
  t.equal(report.totalBytes, files.reduce((n, f) => n + f.length, 0), 'all of its JS counted in the report')
  const source = files.join('\n')
  t.notOk(/avvio|find-my-way/.test(source), "Fastify's core (avvio, its router) is in none of the worker's files")
  const entry = await readFile(bundlePath('worker', dist), 'utf8')
  t.notOk(
    /SendEmailCommand|ChangeMessageVisibilityCommand|effect#/.test(entry),
    'SES, SQS and the effects ledger are not in the entry file (loaded on the first message)'
  )
  t.notOk(source.includes('TypeBox.Kind'), 'nor TypeBox (route schemas are the API\'s; the domain does not need them)')

  const { startLocalMessaging } = await import('../../local/messaging.js')
  const bus = await startLocalMessaging({
    busName: 'bundle-bus',
    region: 'us-east-1',
    log: { debug () {}, info () {}, warn () {}, error () {} }
  })
  t.teardown(() => bus.stop())
  const tables = await createTables(t)
  Object.assign(process.env, stackEnv(), tables, {
    STAGE: 'test',
    LOG_LEVEL: 'silent',
    EVENT_BUS_NAME: 'bundle-bus',
    EVENTBRIDGE_ENDPOINT: bus.url,
    SQS_ENDPOINT: bus.url,
    AWS_LAMBDA_FUNCTION_NAME: 'serverless-commerce-dev-worker'
  })
  const { handler } = await import(pathToFileURL(bundlePath('worker', dist)).href) as {
    handler: (e: unknown, c: Context) => Promise<{ batchItemFailures: unknown[] }>
  }
  const res = await handler(
    await sample('orders-stream.json'),
    { ...context, getRemainingTimeInMillis: () => 60000 } as Context
  )
  t.same(res.batchItemFailures, [], 'every record handled')
  t.ok(bus.bus.events.length >= 1, 'published through PutEvents')
  t.match(
    bus.bus.events[0],
    {
      source: 'serverless-commerce.orders',
      'detail-type': 'OrderPlaced',
      detail: { id: 'ord_01JDB5Q2X4N8M6K3P7R9T1V5W2', sequenceNumber: String }
    }
  )
  const queued = [...bus.queues.byName('local-order-effects').messages.values()].map((m) =>
    JSON.parse(m.body) as Record<string, any>)
  t.ok(queued.some((e) => e['detail-type'] === 'OrderPlaced'), "routed by the template's rule into the effects queue")

  await t.test('its failure logs and the errors it throws carry frames in the TypeScript sources, on Node 20 and ' +
    '22', async (t) => {
    // The effects ledger's table missing: the ledger's DynamoDB error is one no code expects.
    const env = {
      ...stackEnv(),
      ...tables,
      IDEMPOTENCY_TABLE: `${tables.IDEMPOTENCY_TABLE}-missing`,
      STAGE: 'test',
      LOG_LEVEL: 'warn',
      EVENT_BUS_NAME: 'bundle-bus',
      EVENTBRIDGE_ENDPOINT: bus.url,
      SQS_ENDPOINT: bus.url,
      AWS_LAMBDA_FUNCTION_NAME: 'serverless-commerce-dev-worker',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true'
    }
    for (const node of lambdaNodes()) {
      const run = await runLambdaProbe(
        node,
        bundlePath('worker', dist),
        [
          await sample('orders-stream.json'),
          await sample('sqs-order-placed.json'),
          { neither: 'stream, queue nor bus' }
        ],
        env,
        dist
      )
      const [stream, message, unknown] = run.results
      t.same(stream?.answer?.batchItemFailures, [], `${node}: a stream batch handled`)
      t.equal(stream?.mapsRead, 0, 'init and a handled batch read no source map')
      t.equal(stream?.undiciLoaded, false, "nor loaded Node's undici (node:http required: scripts/build.ts)")
      t.equal(message?.answer?.batchItemFailures?.length, 1, 'the order event is retried later')
      const logged = run.logs.find((l) => l.message === 'message failed, retried later')
      t.match(logged, { level: 'WARN', reason: /^ResourceNotFoundException: / })
      await checkTypeScriptFrames(
        t,
        logged?.stack,
        'workers/effect-ledger.ts',
        'new UpdateItemCommand',
        join(dist, 'worker')
      )
      // What the Lambda runtime logs of an error the handler throws is its stack.
      await checkTypeScriptFrames(t, unknown?.thrown, 'workers/dispatch.ts', 'unrecognised event', join(dist, 'worker'))
    }
  })
})
