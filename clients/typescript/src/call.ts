// openapi-fetch answers `{ data }` or `{ error }`; the client's methods return the data and throw
// the error as a CommerceProblem.
import { CommerceProblem } from './problem.js'

interface Answer<T> { data?: T, error?: unknown, response: Response }

export async function dataOf<T> (call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call
  if (!response.ok) throw new CommerceProblem(response.status, error, response.headers)
  return data as T
}

/** Per-call options of the client's methods. */
export interface CallOptions {
  /** Aborts the call, its retries and their pauses. */
  signal?: AbortSignal
}

/** The init openapi-fetch takes for a call's options (no `signal` key when none was given). */
export const initOf = (opts: CallOptions | undefined): { signal?: AbortSignal } =>
  opts?.signal !== undefined ? { signal: opts.signal } : {}
