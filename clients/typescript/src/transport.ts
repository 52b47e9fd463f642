// The fetch the client's requests go through: retries with backoff and jitter when the API asks for
// a pause (429) or is busy (503), honouring Retry-After; never on another 4xx. Each attempt sends a
// copy of the same request, so its headers (an Idempotency-Key above all) stay the same.

export interface RetryOptions {
  /** Attempts after the first (default 3; 0 turns retries off). */
  retries?: number
  /** The first pause without Retry-After (default 250 ms); it doubles on each attempt, with jitter. */
  baseDelayMs?: number
  /** The longest pause (default 10 s). A Retry-After asking for longer is not waited for: its answer is returned. */
  maxDelayMs?: number
}

export type Fetch = (request: Request) => Promise<Response>

export interface TransportOptions {
  /** The fetch to send with (default: globalThis.fetch). */
  fetch?: Fetch
  /** Retry settings, or false for none. */
  retry?: RetryOptions | false
  /** Waits between attempts (tests replace it); rejects when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** A number in [0, 1) for the jitter (tests replace it). */
  random?: () => number
}

/** Methods that may be sent again whatever happened to the first attempt. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

export function defaultSleep (ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) { reject(signal.reason); return }
    const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason) }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * The wait a Retry-After header value asks for, in ms (delta-seconds or an HTTP date); undefined when absent or
 * unreadable.
 */
export function retryAfterMs (value: string | null | undefined, now: number = Date.now()): number | undefined {
  const trimmed = value?.trim()
  if (trimmed === undefined || trimmed === '') return undefined
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

const isProblem = (response: Response): boolean => (response.headers.get('content-type') ?? '').includes('problem+json')

/**
 * A fetch that retries. A 429 is always retried (the request was refused, not run). A 503 is
 * retried when the API itself answered it (problem details: `service_busy` or
 * `dependency_unavailable`, which write nothing), or when the request may run twice: a safe
 * method, an Idempotency-Key, or what `repeatable` says. A network error is retried only then too.
 */
export function createRetryingFetch (
  opts: TransportOptions & { repeatable?: (request: Request) => boolean } = {}
): Fetch {
  const send: Fetch = opts.fetch ?? ((request) => globalThis.fetch(request))
  if (opts.retry === false) return async (request) => await send(request)
  const retries = opts.retry?.retries ?? 3
  const baseDelayMs = opts.retry?.baseDelayMs ?? 250
  const maxDelayMs = opts.retry?.maxDelayMs ?? 10_000
  const sleep = opts.sleep ?? defaultSleep
  const random = opts.random ?? Math.random
  const repeatable = (request: Request): boolean =>
    SAFE_METHODS.has(request.method) || request.headers.has('idempotency-key') || opts.repeatable?.(request) === true
  // Exponential with "equal jitter": between half and all of base x 2^attempt, at most maxDelayMs.
  const backoff = (attempt: number): number => {
    const step = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt)
    return step / 2 + random() * (step / 2)
  }

  return async (request) => {
    for (let attempt = 0; ; attempt++) {
      let response: Response
      try {
        response = await send(request.clone())
      } catch (err) {
        if (attempt >= retries || request.signal.aborted || !repeatable(request)) throw err
        await sleep(backoff(attempt), request.signal)
        continue
      }
      const retry = response.status === 429 || (response.status === 503 && (isProblem(response) || repeatable(request)))
      if (!retry || attempt >= retries) return response
      const asked = retryAfterMs(response.headers.get('retry-after'))
      // A pause longer than we would wait: the caller decides (CommerceProblem.retryAfterSeconds).
      if (asked !== undefined && asked > maxDelayMs) return response
      // Retry-After is the least we wait; a little jitter keeps clients from returning all at once.
      const wait = asked !== undefined ? Math.min(maxDelayMs, asked + random() * baseDelayMs) : backoff(attempt)
      await response.body?.cancel().catch(() => {})
      await sleep(wait, request.signal)
    }
  }
}
