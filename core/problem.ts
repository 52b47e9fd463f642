// The project's one error format: RFC 9457 problem details (application/problem+json) with a
// stable machine-readable `code`. Domain code throws `Problem`; the error handler renders it.
// No TypeBox here: domain code (and so the worker bundle) imports this file; the documented
// schema of the body is ProblemSchema in core/http-schemas.ts.

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export interface FieldError { path: string; message: string }

export class Problem extends Error {
  constructor (
    readonly status: number,
    readonly code: string,
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
