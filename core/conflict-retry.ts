// The one retry loop for DynamoDB calls that a concurrent transaction on the same items cancelled
// (data/transactions.ts for the repositories, plugins/rate-limit-store.ts for the limiter's
// counters): such a conflict says nothing about the call itself, so it is tried again after a
// short random pause (jitter spreads the contenders), a bounded number of times.
import { setTimeout as sleep } from 'node:timers/promises'

export interface ConflictRetry<T> {
  /** Tries in all, the first included. */
  attempts: number
  /** Whether this error is a conflict worth another try. */
  conflicted: (err: unknown) => boolean
  /** The pause before try `attempt` (2, 3, ...), in ms. */
  pauseMs: (attempt: number) => number
  /** What the last conflict becomes: an answer, or a throw. */
  exhausted: (err: unknown) => T
}

export async function retryOnConflict<T> (call: () => Promise<T>, opts: ConflictRetry<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (err) {
      if (!opts.conflicted(err)) throw err
      if (attempt >= opts.attempts) return opts.exhausted(err)
      await sleep(opts.pauseMs(attempt + 1))
    }
  }
}
