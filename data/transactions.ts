// TransactWriteItems helpers shared by the repositories: reading a cancellation's reasons, and
// retrying a transaction that only a concurrent transaction on the same rows cancelled.
import { setTimeout as sleep } from 'node:timers/promises'
import { errorName } from '../core/error-name.js'
import { serviceBusy } from './aws-errors.js'

type Raw = Record<string, unknown>
export interface CancellationReason { Code?: string; Item?: Raw }

/** Attempts of a transaction cancelled only by a conflict with another transaction on the same items. */
const TRANSACTION_ATTEMPTS = 4

/** A cancelled transaction's reasons, one per action in order; undefined for any other error. */
export function reasonsOf (err: unknown): CancellationReason[] | undefined {
  if (errorName(err) !== 'TransactionCanceledException') return undefined
  return (err as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? []
}

const BUSY_CODES = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded'
])

/** Conflicts with a concurrent transaction are worth a quick retry; jitter spreads the retries. */
export async function withConflictRetry<T> (fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      const reasons = reasonsOf(err)
      const conflictOnly = reasons !== undefined && reasons.some((r) => BUSY_CODES.has(r.Code ?? '')) &&
        !reasons.some((r) => r.Code === 'ConditionalCheckFailed')
      const retryable = conflictOnly || errorName(err) === 'TransactionConflictException'
      if (!retryable) throw err
      if (attempt >= TRANSACTION_ATTEMPTS) throw serviceBusy()
      await sleep(10 + Math.random() * 40 * attempt)
    }
  }
}
