// The project's one error format: RFC 9457 problem details (application/problem+json) with a
// stable machine-readable `code`. Domain code throws `Problem`; the error handler renders it.
// No TypeBox here: domain code (and so the worker bundle) imports this file; the documented
// schema of the body is ProblemSchema in core/http-schemas.ts.

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export interface FieldError { path: string; message: string }

/**
 * Every `code` the API answers with: the type checker holds each producer (Problem, the errors
 * plugin) to this list, and the OpenAPI document lists it, so clients get the codes as a union.
 */
export const PROBLEM_CODES = [
  // Requests the framework or the router refuses
  'bad_request', 'bad_url', 'headers_too_large', 'malformed_json', 'method_not_allowed', 'payload_too_large',
  'request_timeout', 'route_not_found', 'unsupported_media_type', 'uri_too_long', 'validation_failed',
  // Credentials and accounts
  'account_unconfirmed', 'api_key_invalid', 'api_key_missing', 'code_expired', 'email_unknown', 'email_unverified',
  'edge_required', 'forbidden', 'invalid_code', 'invalid_credentials', 'invalid_refresh_token', 'token_expired',
  'token_invalid',
  'token_missing', 'token_not_yet_valid', 'token_revoked', 'too_many_attempts', 'wrong_partner',
  // Catalog
  'category_required', 'empty_query', 'invalid_cursor', 'item_exists', 'item_not_found', 'too_many_words',
  // Orders
  'color_required', 'duplicate_line', 'idempotency_in_progress', 'idempotency_key_reused', 'insufficient_stock',
  'invalid_color', 'invalid_transition', 'mixed_currency', 'order_not_found', 'order_outcome_unknown', 'unknown_item',
  'invalid_country', 'invalid_phone', 'invalid_postal_code',
  // Limits and dependencies
  'rate_limited', 'service_busy', 'dependency_unavailable', 'internal_error'
] as const

export type ProblemCode = typeof PROBLEM_CODES[number]

export class Problem extends Error {
  constructor (
    readonly status: number,
    readonly code: ProblemCode,
    readonly detail: string,
    /** Extra members for the body (for example `currentStatus`, `items`, `errors`). */
    readonly extras: Record<string, unknown> = {},
    /** Extra response headers (for example `Retry-After`, `WWW-Authenticate`). */
    readonly headers: Record<string, string> = {}
  ) {
    super(detail)
    this.name = 'Problem'
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout'
}

export const titleFor = (status: number): string => TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error')

export const problemType = (code: string): string => `urn:serverless-commerce:problem:${code}`

/**
 * A problem document's fixed members, for every place that answers one (the errors plugin, and the
 * answers made outside Fastify: the socket's client errors, the edge gate).
 */
export const problemDocument = (status: number, code: ProblemCode, detail: string) =>
  ({ type: problemType(code), title: titleFor(status), status, code, detail })
