// One error format for every 4xx and 5xx: RFC 9457 problem details. Wrapped in fastify-plugin so
// the handlers cover every route, not just this plugin's scope. Every problem answered passes
// through send(), which also counts 5xx and 429 answers by route (plugins/metrics.ts) and keeps the
// problem's code for the request's own hooks (problemCodeOf: routes count refusals by code).
import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import { randomUUID } from 'node:crypto'
import {
  Problem, PROBLEM_CONTENT_TYPE, problemDocument, titleFor, type FieldError, type ProblemCode
} from '../core/problem.js'
import { problems } from '../core/http-schemas.js'
import { routeOf } from './metrics.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A stable code of its own for a schema failure of a field (by path, e.g.
     * `body.shippingAddress.country`) when it is the first failure, instead of `validation_failed`.
     */
    validationCodes?: Record<string, ProblemCode>
  }
}

// Set only on the error path: a request answered normally costs nothing here.
const problemCodes = new WeakMap<FastifyRequest, string>()

/** The code of the problem this request was answered with, if it was. */
export const problemCodeOf = (request: FastifyRequest): string | undefined => problemCodes.get(request)

interface AjvLikeError {
  instancePath?: string
  keyword?: string
  message?: string
  params?: Record<string, unknown>
}

/** `body.items[0].count`-style paths from Ajv's JSON pointers. */
export function fieldErrors (context: string | undefined, validation: AjvLikeError[]): FieldError[] {
  return validation.map((v) => {
    let path = (v.instancePath ?? '').split('/').filter(Boolean)
      .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg.replace(/~1/g, '/').replace(/~0/g, '~')}`)).join('')
    let message = v.message ?? 'is invalid'
    const params = v.params ?? {}
    if (v.keyword === 'required' && typeof params.missingProperty === 'string') {
      path += `.${params.missingProperty}`
      message = 'is required'
    } else if (v.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      path += `.${params.additionalProperty}`
      message = 'is not an allowed property'
    } else if (v.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      message = `must be one of ${params.allowedValues.map((a) => JSON.stringify(a)).join(', ')}`
    }
    return { path: `${context ?? 'request'}${path}`, message }
  })
}

function send (request: FastifyRequest, reply: FastifyReply, status: number, code: ProblemCode, detail: string,
  extras: Record<string, unknown> = {}, headers: Record<string, string> = {}): FastifyReply {
  const body = {
    ...problemDocument(status, code, detail),
    instance: request.url.split('?')[0],
    requestId: String(request.id),
    ...extras
  }
  problemCodes.set(request, code)
  if (status >= 500 || status === 429) {
    const { metrics } = request.server
    metrics.add(status === 429 ? 'RateLimited' : 'ServerErrors', { Route: routeOf(request) })
  }
  return reply.code(status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(body)
}

/** What caused a 5xx problem (an AWS error's name and its SDK attempts), for the log line only. */
function causeOf (problem: Problem): Record<string, unknown> {
  const cause = problem.cause as { name?: unknown; $metadata?: { attempts?: unknown } } | undefined
  if (cause === undefined || cause === null || typeof cause.name !== 'string') return {}
  return {
    cause: cause.name,
    ...(cause.$metadata?.attempts !== undefined ? { attempts: cause.$metadata.attempts } : {})
  }
}

const FASTIFY_CODES: Record<string, { code: ProblemCode; detail?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'malformed_json', detail: 'The request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'malformed_json',
    detail: 'The request body is empty but its content-type is application/json'
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    detail: 'Send the request body as application/json'
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', detail: 'The request body is too large' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'bad_request',
    detail: 'The content-length header does not match the body'
  }
}

/** What the router refuses before any route or hook runs (Fastify's frameworkErrors option). */
const ROUTER_ERRORS: Record<string, { status: number; code: ProblemCode; detail: string }> = {
  FST_ERR_BAD_URL: { status: 400, code: 'bad_url', detail: 'The URL is not validly percent-encoded' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', detail: 'A path segment is too long' }
}

export const frameworkErrorHandler: NonNullable<FastifyServerOptions['frameworkErrors']> = (error, request, reply) => {
  const known = ROUTER_ERRORS[(error as FastifyError).code ?? '']
  if (known === undefined) request.log.error({ err: error }, 'router error')
  reply.headers({ 'x-request-id': request.id, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' })
  send(request, reply, known?.status ?? 500, known?.code ?? 'internal_error',
    known?.detail ?? 'An unexpected error occurred; quote the requestId when reporting it')
}

/**
 * What Node's HTTP parser refuses, before there is a request (local server only: in Lambda, API
 * Gateway answers these itself): the problem format written to the socket.
 */
export function clientErrorHandler (err: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [status, code, detail]: [number, ProblemCode, string] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'headers_too_large', 'The request line and headers are larger than 16 KB']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout', 'The request took too long to arrive']
      : [400, 'bad_request', 'The request is not valid HTTP']
  const requestId = randomUUID()
  const body = JSON.stringify({ ...problemDocument(status, code, detail), requestId })
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${titleFor(status)}\r\nContent-Type: ` +
      `${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: ` +
        `close\r\n\r\n${body}`)
  }
  socket.destroy(err)
}

/** A path's patterns: `/items/:itemId` -> /^\/items\/[^/]+$/, `/docs/*` -> /^\/docs\/.*$/. */
function routePattern (url: string): RegExp {
  const source = url.split('/').map((segment) =>
    segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&')).join(
    '/'
  )
  return new RegExp(`^${source}$`)
}

export default fp(async function errorsPlugin (app) {
  // Which methods each path answers, for the 405 of a known path with another method. The
  // catch-all OPTIONS route of in-app CORS names no path of its own. Each path's pattern is made
  // on the first unknown request, not at start-up.
  const routes: Array<{ url: string; pattern?: RegExp; methods: string[] }> = []
  app.addHook('onRoute', (route) => {
    // Fastify reads the body of every POST, PUT, PATCH and DELETE, with a body schema or not: one
    // too large or of another type is a 413 or 415 there, documented.
    const schema = route.schema as { response?: Record<string, unknown> } | undefined
    const readsBody = [route.method].flat().some((m) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(
      String(m).toUpperCase()
    ))
    if (readsBody && schema?.response !== undefined) {
      for (const status of [413, 415]) {
        if (!(status in schema.response)) {
          Object.assign(
            schema.response,
            problems(status)
          )
        }
      }
    }
    if (route.url === '*' || route.url === '/*') return
    routes.push({ url: route.url, methods: [route.method].flat().map((m) => String(m).toUpperCase()) })
  })
  const allowedMethods = (path: string): string[] => {
    const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path
    return [
      ...new Set(routes.filter((r) => (r.pattern ??= routePattern(r.url)).test(trimmed)).flatMap((r) => r.methods))
    ].sort()
  }

  app.setErrorHandler((error: FastifyError | Problem, request, reply) => {
    if (error instanceof Problem) {
      if (error.status >= 500) request.log.error({ code: error.code, ...causeOf(error) }, error.detail)
      return send(request, reply, error.status, error.code, error.detail, error.extras, error.headers)
    }
    const err = error as FastifyError & { validationContext?: string }
    if (err.validation) {
      const errors = fieldErrors(err.validationContext, err.validation as AjvLikeError[])
      const first = errors[0]
      const code = first === undefined ? undefined : request.routeOptions.config?.validationCodes?.[first.path]
      return send(request, reply, 400, code ?? 'validation_failed',
        first ? `${first.path} ${first.message}` : 'The request is invalid', { errors })
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 &&
      err.statusCode < 600
      ? err.statusCode
      : 500
    if (status < 500) {
      const known = err.code ? FASTIFY_CODES[err.code] : undefined
      return send(request, reply, status, known?.code ?? (status === 429 ? 'rate_limited' : 'bad_request'),
        known?.detail ?? titleFor(status))
    }
    // Never leak a stack trace or an AWS error message: log it, answer a generic problem.
    request.log.error({ err }, 'unhandled error')
    return send(
      request,
      reply,
      500,
      'internal_error',
      'An unexpected error occurred; quote the requestId when reporting it'
    )
  })

  // An attacker could probe for routes; a 404 says only that this one does not exist, a 405 which
  // methods a path that exists answers (what any HTTP client may ask with OPTIONS anyway).
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/'
    const allowed = allowedMethods(path)
    if (allowed.length > 0) {
      return send(request, reply, 405, 'method_not_allowed', `${path} does not answer ${request.method}; it answers ` +
        `${allowed.join(', ')}`,
      {}, { allow: allowed.join(', ') })
    }
    return send(request, reply, 404, 'route_not_found', `No route ${request.method} ${path}`)
  })
}, { name: 'errors', dependencies: ['metrics'] })
