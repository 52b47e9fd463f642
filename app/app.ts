// The application factory. The Lambda handler (app/lambda.ts), the local server (app/server.ts),
// `fastify start` (app/cli.ts) and the tests all build the app through here, so every entry point
// runs the same plugins and routes.
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions
} from 'fastify'
import fp from 'fastify-plugin'
import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from '../core/config.js'
import type { MetricsSink } from '../core/metrics.js'
import type { Tracing } from '../core/tracing.js'
import { createAwsClients, type AwsClients } from '../core/aws.js'
import { registerPlugins, registerRoutes } from './registry.js'
import { clientErrorHandler, frameworkErrorHandler } from '../plugins/errors.js'
import { lazySchemaController, type CompiledSchemas } from './startup/lazy-compilers.js'
import { CLIENT_REQUEST_ID_HEADER } from './gateway-request-id.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    aws: AwsClients
    /**
     * Milliseconds since the epoch: Date.now, or the tests' clock (rate-limit windows, the JWKS
     * cool-down, the secrets cache).
     */
    clock: () => number
  }
}

export interface AppDeps {
  /** Replace some AWS clients (tests); the rest are built from the config. */
  aws?: Partial<AwsClients>
  /** The OpenAPI document built at build time (the Lambda bundle's); without it @fastify/swagger makes it. */
  openapiDocument?: () => Record<string, unknown>
  /** Validators and serializers compiled at build time (the Lambda bundle's; see lazy-compilers.ts). */
  compiledSchemas?: CompiledSchemas
  /** Replaces the schema compilers (scripts/compile-schemas.ts generates the build-time ones with it). */
  schemaController?: FastifyServerOptions['schemaController']
  /** Replaces Date.now where the app keeps time (tests move it forward instead of waiting). */
  clock?: () => number
  /** Set by the Lambda handler only: the request id is API Gateway's (see gateway-request-id.ts). */
  requestIdFromGateway?: boolean
  /** Where the metrics go (tests capture them); default: EMF lines on stdout (core/metrics.ts). */
  metrics?: MetricsSink
  /** X-Ray tracing (app/lambda.ts loads it when TRACING=Active): AWS calls and annotations traced. */
  tracing?: Tracing
}

export type App = FastifyInstance

// API Gateway request ids look like JXx0bgAbIAMEYnQ= (base64) or UUIDs.
const REQUEST_ID = /^[A-Za-z0-9._:=+/-]{1,128}$/

/** Paths that pino must never print, whatever a future log line includes. */
export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', 'req.headers["x-edge-secret"]',
  'headers.authorization', 'headers["x-api-key"]', 'headers["x-edge-secret"]',
  '*.password', '*.token', '*.idToken', '*.accessToken', '*.refreshToken', '*.secret', '*.apiKey',
  'body.password', 'body.refreshToken'
]

/**
 * One access-log line per request, with the request's method and url, instead of Fastify's two
 * ("incoming request", then "request completed"): half the log volume (CloudWatch bills per byte)
 * and half the per-request logging work. With `accessLog` off (the deployed API: API Gateway's
 * access log has that line) only a request whose response failed is logged here. Fastify's other
 * log lines are unchanged. At a terminal (pretty logs) the line is the message itself:
 * `GET /items 200 3.1 ms [<request id>]`, the id being the correlation id the worker's lines carry.
 */
class AccessLog extends LogController {
  constructor (private readonly everyRequest: boolean, private readonly pretty = false) { super() }

  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return
    if (this.pretty) {
      const line = `${request.method} ${request.url} ${reply.statusCode} ${reply.elapsedTime.toFixed(1)} ms`
      if (error) reply.log.error({ err: error }, line)
      else if (this.everyRequest) reply.log.info(line)
      return
    }
    if (error) {
      reply.log.error(
        { req: request, res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored'
      )
    } else if (this.everyRequest) {
      reply.log.info(
        { req: request, res: reply, responseTime: reply.elapsedTime },
        'request completed'
      )
    }
  }
}

// One line per log entry at a terminal: time, level, message, the request id in brackets, and any
// other fields inline (an error's stack still spans lines).
const PRETTY_OPTIONS = {
  translateTime: 'HH:MM:ss.l',
  ignore: 'pid,hostname,reqId',
  singleLine: true,
  messageFormat: '{msg}{if reqId} [{reqId}]{end}'
}

export function serverOptions (config: Config, deps: AppDeps = {}): FastifyServerOptions {
  const logging = config.logLevel !== 'silent'
  return {
    logger: !logging
      ? false
      : {
          level: config.logLevel,
          // No pid and hostname on every line: in Lambda they say nothing (the log stream names the
          // container), and CloudWatch bills per byte.
          base: null,
          redact: { paths: REDACT_PATHS, censor: '[redacted]' },
          ...(config.logPretty ? { transport: { target: 'pino-pretty', options: PRETTY_OPTIONS } } : {})
        },
    // Behind API Gateway its request id (x-request-id, which app/lambda.ts keeps for it: see
    // gateway-request-id.ts); elsewhere one we make. Never the caller's: that one is logged apart.
    requestIdHeader: false,
    genReqId: deps.requestIdFromGateway === true
      ? (req) => {
          const given = req.headers['x-request-id']
          return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
        }
      : () => randomUUID(),
    bodyLimit: 256 * 1024,
    logController: new AccessLog(config.accessLog, config.logPretty),
    // Validators and serializers compiled on first use, not all at init (see lazy-compilers.ts).
    schemaController: deps.schemaController ?? lazySchemaController(deps.compiledSchemas),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // A URL the router refuses (a bad %-encoding, an over-long path parameter) and a request Node's
    // parser refuses (headers over 16 KB, a malformed request line) are problems too, not Fastify's
    // or Node's own plain JSON (plugins/errors.ts).
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    ajv: {
      customOptions: {
        // Unknown properties are rejected (schemas say additionalProperties: false), never stripped.
        removeAdditional: false,
        coerceTypes: 'array',
        useDefaults: true,
        allErrors: false,
        // Ajv checks each schema against the JSON Schema meta-schema before compiling it; the
        // first check compiles the meta-schema itself, on the cold start. Our schemas are
        // TypeBox's, and test/unit/route-schemas.test.ts checks every route's against the
        // meta-schema instead, once, in CI.
        validateSchema: false
      }
    }
  }
}

export interface AppPluginOptions {
  config: Config
  deps?: AppDeps
}

/**
 * The whole app as one plugin: what `fastify start` loads and what buildApp registers. It declares
 * no `fastify: '5.x'` range: package.json pins Fastify for the app, and checking a range (semver
 * compiling it) costs the cold start time.
 */
export const appPlugin = fp<AppPluginOptions>(async function serverlessCommerce (app, opts) {
  app.decorate('config', opts.config)
  app.decorate('aws', createAwsClients(opts.config, opts.deps?.aws, opts.deps?.tracing?.captureClient))
  // Where the caller's own id arrives: behind API Gateway the Lambda handler has moved it.
  const clientIdHeader = opts.deps?.requestIdFromGateway === true ? CLIENT_REQUEST_ID_HEADER : 'x-request-id'
  app.decorate('clock', opts.deps?.clock ?? Date.now)
  // Callback style: no promise per request on the hot path. Every answer: its request id, no MIME
  // sniffing, and no caching; the public catalog reads relax the last (routes/catalog-cache.ts).
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff').header(
      'cache-control',
      'no-store'
    )
    // A caller's own id (to find its requests in our logs) is kept apart from ours: a log field and
    // its own response header, never the request id (the access log links ours to the caller's IP).
    const clientId = request.headers[clientIdHeader]
    if (typeof clientId === 'string' && REQUEST_ID.test(clientId)) {
      reply.header(CLIENT_REQUEST_ID_HEADER, clientId)
      request.log = reply.log = request.log.child({ clientRequestId: clientId })
    }
    done()
  })
  await registerPlugins(app, {
    openapi: { prebuilt: opts.deps?.openapiDocument },
    metrics: { sink: opts.deps?.metrics },
    tracing: { tracing: opts.deps?.tracing }
  })
  await registerRoutes(app)
}, { name: 'serverless-commerce' })

/** Builds the app without making it ready: the Lambda adapter must wrap it before ready(). */
export function buildApp (config: Config, deps: AppDeps = {}): FastifyInstance {
  const app = Fastify(serverOptions(config, deps)).withTypeProvider<TypeBoxTypeProvider>()
  app.register(appPlugin, { config, deps })
  return app as unknown as FastifyInstance
}
