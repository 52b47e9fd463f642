// Options every SDK client gets (region, the emulator's endpoint and credentials when local) and a
// memoiser for clients made on first use. Apart from core/aws.ts so the worker can use them without
// loading the API's DynamoDB document client.
import type { Config } from './config.js'

type ClientOptions = {
  region: string
  endpoint?: string
  credentials?: { accessKeyId: string; secretAccessKey: string }
  maxAttempts?: number
  /** The SDK's Node HTTP handler options (it builds the handler from them). */
  requestHandler: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: true }
}

/** Attempts per SDK call (the SDK's standard retry mode; its default, set so it is stated). */
export const SDK_MAX_ATTEMPTS = 3

/** The SDK's longest pause before retry `i` (1-based): a throttling error's base, doubled each time, capped. */
const SDK_MAX_PAUSE_MS = (i: number): number => Math.min(20_000, 500 * 2 ** i)

/**
 * The longest one SDK call can take: every attempt waiting out its connection and request
 * timeouts, with the longest pauses between them. What a lease guarding such a call must outlast.
 */
export function sdkCallMaxMs (
  config: Config,
  attempts = SDK_MAX_ATTEMPTS,
  requestMs = config.awsTimeouts.requestMs
): number {
  let pauses = 0
  for (let i = 1; i < attempts; i++) pauses += SDK_MAX_PAUSE_MS(i)
  return attempts * (config.awsTimeouts.connectMs + requestMs) + pauses
}

/**
 * Every client's options. Timeouts on every call (config.awsTimeouts): the SDK sets none, so a
 * hung dependency would run until Lambda kills the function. A timed-out call throws TimeoutError
 * after the SDK's retries; for a write that is an ambiguous failure (data/aws-errors.ts).
 */
export function clientOptions (config: Config, endpoint: string | undefined): ClientOptions {
  const options: ClientOptions = {
    region: config.region,
    maxAttempts: SDK_MAX_ATTEMPTS,
    // throwOnRequestTimeout: without it the handler only logs a warning when requestTimeout passes.
    requestHandler: {
      connectionTimeout: config.awsTimeouts.connectMs,
      requestTimeout: config.awsTimeouts.requestMs,
      throwOnRequestTimeout: true
    }
  }
  if (endpoint !== undefined) options.endpoint = endpoint
  if (config.localCredentials) options.credentials = config.localCredentials
  return options
}

/** Memoises an async factory: the first call starts it, every later call shares the promise. */
export function once<T> (factory: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined
  return () => {
    promise ??= factory().catch((err: unknown) => { promise = undefined; throw err })
    return promise
  }
}
