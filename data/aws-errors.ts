// AWS SDK errors that mean "busy, try again" become a 503 with Retry-After; anything else is
// returned unchanged (the errors plugin turns it into a generic 500 without its text). Some of
// them are also *ambiguous* for a write: the request may or may not have been applied (an internal
// error, a timeout, a dropped connection), which data/place-order.ts settles before answering.
import { Problem } from '../core/problem.js'
import { errorName } from '../core/error-name.js'

const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  // A TransactWriteItems with the same ClientRequestToken is still running.
  'TransactionInProgressException',
  'InternalServerError',
  'ServiceUnavailable',
  // The SDK's own timeouts (core/aws-options.ts) and a dropped connection, once its retries are spent.
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException'
])

/** Errors after which a write may have been applied or not. */
const AMBIGUOUS = new Set([
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionInProgressException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException'
])
/** Ambiguous errors that DynamoDB itself answered (quickly): worth one more attempt with the same token. */
const ANSWERED = new Set(['InternalServerError', 'ServiceUnavailable', 'TransactionInProgressException'])
/** Socket errors Node reports when a connection broke mid-request. */
const BROKEN_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED'])

const RETRY_AFTER_SECONDS = '1'

/** The error's `name` (the SDK's error code), if it has one. */
const brokenConnection = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && BROKEN_CONNECTION.has(code)
}

export function isRetryableAwsError (err: unknown): boolean {
  const name = errorName(err)
  return RETRYABLE.has(name) || brokenConnection(err)
}

/** Whether a write that failed with `err` may nevertheless have been applied. */
export function isAmbiguousAwsError (err: unknown): boolean {
  const name = errorName(err)
  return AMBIGUOUS.has(name) || brokenConnection(err)
}

/** An ambiguous error DynamoDB answered itself (not a timeout or a broken connection). */
export function wasAnsweredByAws (err: unknown): boolean {
  const name = errorName(err)
  return ANSWERED.has(name)
}

/**
 * The 503 a caller should retry after Retry-After: what every "busy" AWS error becomes (`cause` is logged, never
 * answered).
 */
export function serviceBusy (cause?: unknown): Problem {
  const problem = new Problem(
    503,
    'service_busy',
    'The service is busy; retry after the Retry-After delay',
    {},
    { 'retry-after': RETRY_AFTER_SECONDS }
  )
  if (cause !== undefined) problem.cause = cause
  return problem
}

/** Maps an SDK error to what the API should throw. Never copies AWS's message into the answer. */
export function mapAwsError (err: unknown): unknown {
  if (err instanceof Problem) return err
  return isRetryableAwsError(err) ? serviceBusy(err) : err
}
