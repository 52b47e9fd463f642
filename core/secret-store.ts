// Secrets for the API and the worker: a value given directly (local runs) or a Secrets Manager
// secret (deployed), cached per ARN for `ttlSeconds` so a rotation takes effect within minutes.
// When a refresh fails:
// - "not found", "access denied" and "cannot decrypt" are how an operator kills a leaked key
//   (delete the secret, deny the role, disable the KMS key): the cached value is dropped at once
//   and never served again;
// - any other failure (throttling, an outage, the network) serves the last good value for at most
//   `maxStaleSeconds` after it was read, so a short outage fails no request but a long one cannot
//   keep a value alive for ever.
// Each stale answer, revocation and refusal is reported through `onEvent` (logged and counted by
// the caller). No Fastify here: the worker uses it as is, and plugins/secrets.ts decorates the API.
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import type { SecretSource } from './config.js'
import { errorName } from './error-name.js'

export interface SecretStore {
  get: (source: SecretSource) => Promise<string>
  getJson: <T = unknown>(source: SecretSource) => Promise<T>
}

/** Thrown when a secret cannot be read and no value may be served. Never carries the value. */
export class SecretUnavailableError extends Error {
  constructor (readonly secretArn: string, readonly revoked: boolean, options?: { cause?: unknown }) {
    super(
      `Secret ${secretArn} is ${revoked ? 'revoked (deleted, access denied or undecryptable)' : 'unavailable'}`,
      options
    )
    this.name = 'SecretUnavailableError'
  }
}

/** What the store reports; never the value. */
export type SecretEvent =
  | { type: 'stale'; secretArn: string; errorName: string; ageSeconds: number }
  | { type: 'revoked'; secretArn: string; errorName: string }
  | { type: 'unavailable'; secretArn: string; errorName: string }

export interface SecretStoreOptions {
  /** How long after its last good read a value may still be served while refreshes fail. Default 3600. */
  maxStaleSeconds?: number
  now?: () => number
  onEvent?: (event: SecretEvent) => void
}

/** Errors that mean the secret was taken away on purpose: never serve a cached copy past them. */
export const REVOKING_ERRORS: ReadonlySet<string> = new Set([
  'ResourceNotFoundException', // the secret was deleted
  'AccessDeniedException', // the role may no longer read it
  'DecryptionFailure', // its KMS key was disabled or the role lost kms:Decrypt
  'InvalidRequestException' // the secret is scheduled for deletion
])

interface Entry {
  value?: string
  /** When the value was last read from Secrets Manager. */
  readAt: number
  /** When the value (or, after a failure, the stale one) should be fetched again. */
  refreshAt: number
  inflight?: Promise<string>
}

/** After a failed refresh, wait this long before asking again (bounded by the TTL). */
const RETRY_AFTER_FAILURE_MS = 30_000
const DEFAULT_MAX_STALE_SECONDS = 3600

export function createSecretStore (
  getClient: () => Promise<SecretsManagerClient>,
  ttlSeconds: number,
  options: SecretStoreOptions = {}
): SecretStore {
  const ttlMs = ttlSeconds * 1000
  const maxStaleMs = (options.maxStaleSeconds ?? DEFAULT_MAX_STALE_SECONDS) * 1000
  const now = options.now ?? Date.now
  const report = options.onEvent ?? (() => {})
  const entries = new Map<string, Entry>()

  async function fetchSecret (secretArn: string): Promise<string> {
    // Imported here: the command's module stays off the API's cold start.
    const [client, { GetSecretValueCommand }] = await Promise.all([
      getClient(),
      import('@aws-sdk/client-secrets-manager')
    ])
    const res = await client.send(new GetSecretValueCommand({ SecretId: secretArn }))
    if (typeof res.SecretString === 'string') return res.SecretString
    if (res.SecretBinary !== undefined) return Buffer.from(res.SecretBinary).toString('utf8')
    throw new Error('the secret has no value')
  }

  function failed (secretArn: string, entry: Entry, err: unknown): string {
    const name = errorName(err) || 'Error'
    if (REVOKING_ERRORS.has(name)) {
      entry.value = undefined
      report({ type: 'revoked', secretArn, errorName: name })
      throw new SecretUnavailableError(secretArn, true, { cause: err })
    }
    const ageMs = now() - entry.readAt
    if (entry.value === undefined || ageMs > maxStaleMs) {
      entry.value = undefined
      report({ type: 'unavailable', secretArn, errorName: name })
      throw new SecretUnavailableError(secretArn, false, { cause: err })
    }
    report({ type: 'stale', secretArn, errorName: name, ageSeconds: Math.round(ageMs / 1000) })
    // Serve the stale value, and don't ask again on every request while the service is down (but
    // never past the stale bound).
    entry.refreshAt = Math.min(now() + Math.min(ttlMs, RETRY_AFTER_FAILURE_MS), entry.readAt + maxStaleMs + 1)
    return entry.value
  }

  function refresh (secretArn: string, entry: Entry): Promise<string> {
    // Concurrent misses share one fetch.
    entry.inflight ??= fetchSecret(secretArn).then(
      (value) => {
        entry.value = value
        entry.readAt = now()
        entry.refreshAt = entry.readAt + ttlMs
        return value
      },
      (err: unknown) => failed(secretArn, entry, err)
    ).finally(() => { entry.inflight = undefined })
    return entry.inflight
  }

  async function get (source: SecretSource): Promise<string> {
    if ('value' in source) return source.value
    let entry = entries.get(source.secretArn)
    if (entry === undefined) {
      entry = { readAt: 0, refreshAt: 0 }
      entries.set(source.secretArn, entry)
    }
    if (entry.value !== undefined && now() < entry.refreshAt) return entry.value
    return refresh(source.secretArn, entry)
  }

  async function getJson<T> (source: SecretSource): Promise<T> {
    const raw = await get(source)
    try {
      return JSON.parse(raw) as T
    } catch {
      // The message names the secret, never its content.
      throw new Error(`Secret ${'secretArn' in source ? source.secretArn : '(local value)'} is not valid JSON`)
    }
  }

  return { get, getJson }
}
