// AWS SDK errors that mean "busy, try again" become a 503 with Retry-After; anything else is
// returned unchanged (the errors plugin turns it into a generic 500 without its text).
import { Problem } from '../core/problem.js'

const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  // A TransactWriteItems with the same ClientRequestToken is still running.
  'TransactionInProgressException',
  'InternalServerError',
  'ServiceUnavailable'
])

const RETRY_AFTER_SECONDS = '1'

export function isRetryableAwsError (err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name
  return typeof name === 'string' && RETRYABLE.has(name)
}

/** The 503 a caller should retry after Retry-After: what every "busy" AWS error becomes. */
export function serviceBusy (): Problem {
  return new Problem(503, 'service_busy', 'The service is busy; retry after the Retry-After delay', {}, { 'retry-after': RETRY_AFTER_SECONDS })
}

/** Maps an SDK error to what the API should throw. Never copies AWS's message into the answer. */
export function mapAwsError (err: unknown): unknown {
  if (err instanceof Problem) return err
  return isRetryableAwsError(err) ? serviceBusy() : err
}
