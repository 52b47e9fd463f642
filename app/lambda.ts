// The API Lambda's handler: one Fastify app for every route, behind API Gateway (HTTP API payload
// 2.0, and REST API 1.0 proxy events). The app is built and made ready during init, so the first
// request pays only for itself. The bundle carries the OpenAPI document prebuilt beside it, read on
// the first request for it, and every validator and serializer compiled (scripts/build.ts); run
// from source, the app builds and compiles them itself. With TRACING=Active (the template's
// default) the X-Ray Tracer is loaded during init and each invocation is one traced subsegment.
// Logged stack traces name the TypeScript sources, mapped when a stack is first formatted
// (core/source-mapped-stacks.ts): no source map is read at init.
import awsLambdaFastify from '@fastify/aws-lambda'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../core/config.js'
import { installSourceMappedStacks } from '../core/source-mapped-stacks.js'
import { serviceName } from '../core/metrics.js'
import { loadTracing } from '../core/tracing.js'
import { buildApp } from './app.js'
import { keepClientRequestIdApart } from './gateway-request-id.js'
import { PREBUILT_OPENAPI_FILE } from './startup/openapi-document.js'
import { COMPILED_DIR, loadCompiledSchemas } from './startup/compiled-schemas.js'
import { PROXY_OPTIONS } from './lambda-options.js'
import { createEdgeGate } from './edge-gate.js'

installSourceMappedStacks()
const here = dirname(fileURLToPath(import.meta.url))
const prebuilt = join(here, PREBUILT_OPENAPI_FILE)
const compiledSchemas = loadCompiledSchemas(join(here, COMPILED_DIR))
// JSON logs always, whatever LOG_FORMAT or AWS_LAMBDA_FUNCTION_NAME say: CloudWatch parses them, and
// pino-pretty is not in the bundle (a bundle run outside Lambda, by sam local or a test, logs the same).
const config = { ...loadConfig(), logPretty: false }
const tracing = config.tracing ? await loadTracing(serviceName(config.functionName, 'api')) : undefined
const app = buildApp(config, {
  ...(existsSync(prebuilt)
    ? {
        openapiDocument: () => JSON.parse(readFileSync(prebuilt, 'utf8')) as Record<string, unknown>
      }
    : {}),
  ...(compiledSchemas !== undefined ? { compiledSchemas } : {}),
  ...(tracing !== undefined ? { tracing } : {}),
  requestIdFromGateway: true
})
// Answers that are not text (Swagger UI's PNG favicons) go back base64-encoded (lambda-options.ts).
const options = PROXY_OPTIONS
// Only the documentation routes read the API Gateway event (request.awsLambda.event: the stage or
// base path in front of /docs and in the document's servers). Decorating costs a random token per
// invocation, so the other routes go through an undecorated proxy.
const withEvent = awsLambdaFastify(app, { ...options, decorateRequest: true })
const plain = awsLambdaFastify(app, { ...options, decorateRequest: false })
await app.ready()

type LambdaEvent = Parameters<typeof plain>[0]
const readsEvent = (event: LambdaEvent): boolean => {
  const { rawPath, path } = event as { rawPath?: unknown; path?: unknown }
  const p = typeof rawPath === 'string' ? rawPath : typeof path === 'string' ? path : ''
  return p.includes('/docs') || p.endsWith('/openapi.json')
}

// With the edge on, a request that did not come through CloudFront is refused first (edge-gate.ts).
const edgeGate = createEdgeGate(app.secrets, config.edgeSecret)
// The caller's x-request-id moved apart first: the request id is API Gateway's (gateway-request-id.ts).
const forward = (event: LambdaEvent, context: Parameters<typeof plain>[1]) =>
  (readsEvent(event) ? withEvent : plain)(keepClientRequestIdApart(event), context)
const proxy = config.edgeSecret === undefined
  ? forward
  : async (event: LambdaEvent, context: Parameters<typeof plain>[1]) =>
    (await edgeGate(event)) ?? await forward(event, context)

export const handler = (tracing === undefined
  ? proxy
  : (event: LambdaEvent, context: Parameters<typeof plain>[1]) => tracing.invocation(
      'api',
      async () => proxy(event, context)
    )) as typeof plain
