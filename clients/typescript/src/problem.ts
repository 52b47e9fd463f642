// Every error answer of the API is RFC 9457 problem details with a stable `code`; the client's
// methods throw it as a CommerceProblem. An answer that is not one (a gateway's own error page,
// say) becomes a CommerceProblem too, with the code `unexpected_response`.
import { retryAfterMs } from './transport.js'
import type { components } from './schema.js'

/** The code of a CommerceProblem made from an answer that was not problem details. */
export const UNEXPECTED_RESPONSE = 'unexpected_response'

/** Every code the API answers with (the document's Problem.code), and this client's own. */
export type ProblemCode = components['schemas']['Problem']['code'] | typeof UNEXPECTED_RESPONSE

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)

export class CommerceProblem extends Error {
  /** The HTTP status. */
  readonly status: number
  /** The stable machine-readable code (`validation_failed`, `token_expired`, `insufficient_stock`, ...). */
  readonly code: ProblemCode
  /** What went wrong, for a developer. */
  readonly detail: string
  /** The request id: quote it when asking for support (also the `x-request-id` header). */
  readonly requestId: string | undefined
  readonly type: string
  readonly title: string
  readonly instance: string | undefined
  /** Each invalid field and why (validation problems). */
  readonly errors: ReadonlyArray<{ path: string, message: string }>
  /** The whole body, with the members some problems add (`currentStatus`, `items`, ...). */
  readonly body: Readonly<Record<string, unknown>>
  /** Seconds the API asked to wait before trying again (`Retry-After`), when it did. */
  readonly retryAfterSeconds: number | undefined

  constructor (status: number, body: unknown, headers?: Headers) {
    const problem = isRecord(body) && typeof body.code === 'string' ? body : undefined
    const detail = text(problem?.detail) ??
      (isRecord(body) ? text(body.message) : text(body))?.slice(0, 500) ??
      `The API answered ${status} without problem details`
    super(detail)
    this.name = 'CommerceProblem'
    this.status = status
    // A code newer than this client still arrives as sent.
    this.code = problem !== undefined ? String(problem.code) as ProblemCode : UNEXPECTED_RESPONSE
    this.detail = detail
    this.requestId = text(problem?.requestId) ?? headers?.get('x-request-id') ?? headers?.get('apigw-requestid') ??
      undefined
    this.type = text(problem?.type) ?? 'about:blank'
    this.title = text(problem?.title) ?? `HTTP ${status}`
    this.instance = text(problem?.instance)
    this.errors = Array.isArray(problem?.errors)
      ? problem.errors.filter(isRecord).map((e) =>
        ({ path: String(e.path), message: String(e.message) }))
      : []
    this.body = problem ?? (isRecord(body) ? body : {})
    const wait = retryAfterMs(headers?.get('retry-after'))
    this.retryAfterSeconds = wait === undefined ? undefined : Math.ceil(wait / 1000)
  }
}

/** Whether `err` is a CommerceProblem (with this code, when one is given). */
export function isCommerceProblem (err: unknown, code?: ProblemCode): err is CommerceProblem {
  return err instanceof CommerceProblem && (code === undefined || err.code === code)
}
