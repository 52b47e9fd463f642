// TransactWriteItems helpers shared by the repositories: reading a cancellation's reasons, and
// retrying a transaction that only a concurrent transaction on the same rows cancelled.
import { errorName } from '../core/error-name.js'
import { retryOnConflict } from '../core/conflict-retry.js'
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

/** A transaction, or the conditional write of a stock change, that a concurrent transaction cancelled. */
export function isConflict (err: unknown): boolean {
  const reasons = reasonsOf(err)
  const conflictOnly = reasons !== undefined && reasons.some((r) => BUSY_CODES.has(r.Code ?? '')) &&
    !reasons.some((r) => r.Code === 'ConditionalCheckFailed')
  return conflictOnly || errorName(err) === 'TransactionConflictException'
}

/**
 * Conflicts with a concurrent transaction are worth a quick retry (core/conflict-retry.ts); the
 * last one becomes a 503 whose logged cause is `TransactionConflict` (not the item changing).
 */
export async function withConflictRetry<T> (fn: () => Promise<T>): Promise<T> {
  return await retryOnConflict(fn, {
    attempts: TRANSACTION_ATTEMPTS,
    conflicted: isConflict,
    pauseMs: (attempt) => 10 + Math.random() * 40 * (attempt - 1),
    exhausted: (err) => {
      throw serviceBusy(Object.assign(new Error(`cancelled by concurrent transactions ${TRANSACTION_ATTEMPTS} times`), {
        name: 'TransactionConflict', cause: err
      }))
    }
  })
}
