// One error format for every 4xx and 5xx: RFC 9457 problem details. Wrapped in fastify-plugin so
// the handlers cover every route, not just this plugin's scope. Every problem answered passes
// through send(), which also counts 5xx and 429 answers by route (plugins/metrics.ts) and keeps the
// problem's code for the request's own hooks (problemCodeOf: routes count refusals by code).
import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { Problem, PROBLEM_CONTENT_TYPE, problemType, titleFor, type FieldError } from '../core/problem.js'
import { routeOf } from './metrics.js'

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

function send (request: FastifyRequest, reply: FastifyReply, status: number, code: string, detail: string,
  extras: Record<string, unknown> = {}, headers: Record<string, string> = {}): FastifyReply {
  const body = {
    type: problemType(code),
    title: titleFor(status),
    status,
    code,
    detail,
    instance: request.url.split('?')[0],
    requestId: String(request.id),
    ...extras
  }
  problemCodes.set(request, code)
  if (status >= 500 || status === 429) {
    const { metrics } = request.server
    metrics.add(status === 429 ? 'RateLimited' : 'ServerErrors', { Route: routeOf(request) })
    metrics.flush()
  }
  return reply.code(status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(body)
}

/** What caused a 5xx problem (an AWS error's name and its SDK attempts), for the log line only. */
function causeOf (problem: Problem): Record<string, unknown> {
  const cause = problem.cause as { name?: unknown; $metadata?: { attempts?: unknown } } | undefined
  if (cause === undefined || cause === null || typeof cause.name !== 'string') return {}
  return { cause: cause.name, ...(cause.$metadata?.attempts !== undefined ? { attempts: cause.$metadata.attempts } : {}) }
}

const FASTIFY_CODES: Record<string, { code: string; detail?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'malformed_json', detail: 'The request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'malformed_json', detail: 'The request body is empty but its content-type is application/json' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', detail: 'Send the request body as application/json' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', detail: 'The request body is too large' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'bad_request', detail: 'The content-length header does not match the body' }
}

export default fp(async function errorsPlugin (app) {
  app.setErrorHandler((error: FastifyError | Problem, request, reply) => {
    if (error instanceof Problem) {
      if (error.status >= 500) request.log.error({ code: error.code, ...causeOf(error) }, error.detail)
      return send(request, reply, error.status, error.code, error.detail, error.extras, error.headers)
    }
    const err = error as FastifyError & { validationContext?: string }
    if (err.validation) {
      const errors = fieldErrors(err.validationContext, err.validation as AjvLikeError[])
      const first = errors[0]
      return send(request, reply, 400, 'validation_failed',
        first ? `${first.path} ${first.message}` : 'The request is invalid', { errors })
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
    if (status < 500) {
      const known = err.code ? FASTIFY_CODES[err.code] : undefined
      return send(request, reply, status, known?.code ?? (status === 429 ? 'rate_limited' : 'bad_request'),
        known?.detail ?? titleFor(status))
    }
    // Never leak a stack trace or an AWS error message: log it, answer a generic problem.
    request.log.error({ err }, 'unhandled error')
    return send(request, reply, 500, 'internal_error', 'An unexpected error occurred; quote the requestId when reporting it')
  })

  // An attacker could probe for routes; a 404 says only that this one does not exist.
  app.setNotFoundHandler((request, reply) =>
    send(request, reply, 404, 'route_not_found', `No route ${request.method} ${request.url.split('?')[0]}`))
}, { name: 'errors', dependencies: ['metrics'] })
