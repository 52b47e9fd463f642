// Secrets for the API and the worker: a value given directly (local runs) or a Secrets Manager
// secret (deployed), cached per ARN for `secretsTtlSeconds` so a rotation takes effect within
// minutes. When a refresh fails the last good value is served, so a Secrets Manager outage never
// fails requests while a value is cached. No Fastify here: the worker uses it as is, and
// plugins/secrets.ts decorates the API with it.
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import type { SecretSource } from './config.js'

export interface SecretStore {
  get: (source: SecretSource) => Promise<string>
  getJson: <T = unknown>(source: SecretSource) => Promise<T>
}

/** Thrown when a secret cannot be read and no earlier value is cached. Never carries the value. */
export class SecretUnavailableError extends Error {
  constructor (readonly secretArn: string, options?: { cause?: unknown }) {
    super(`Secret ${secretArn} is unavailable`, options)
    this.name = 'SecretUnavailableError'
  }
}

interface Entry {
  value?: string
  /** When the cached value (or, after a failure, the stale one) should be fetched again. */
  refreshAt: number
  inflight?: Promise<string>
}

/** After a failed refresh, wait this long before asking again (bounded by the TTL). */
const RETRY_AFTER_FAILURE_MS = 30_000

export function createSecretStore (
  getClient: () => Promise<SecretsManagerClient>,
  ttlSeconds: number,
  now: () => number = Date.now
): SecretStore {
  const ttlMs = ttlSeconds * 1000
  const entries = new Map<string, Entry>()

  async function fetchSecret (secretArn: string): Promise<string> {
    // Imported here: the command's module stays off the API's cold start.
    const [client, { GetSecretValueCommand }] = await Promise.all([getClient(), import('@aws-sdk/client-secrets-manager')])
    const res = await client.send(new GetSecretValueCommand({ SecretId: secretArn }))
    if (typeof res.SecretString === 'string') return res.SecretString
    if (res.SecretBinary !== undefined) return Buffer.from(res.SecretBinary).toString('utf8')
    throw new Error('the secret has no value')
  }

  function refresh (secretArn: string, entry: Entry): Promise<string> {
    // Concurrent misses share one fetch.
    entry.inflight ??= fetchSecret(secretArn).then(
      (value) => {
        entry.value = value
        entry.refreshAt = now() + ttlMs
        return value
      },
      (err: unknown) => {
        if (entry.value === undefined) throw new SecretUnavailableError(secretArn, { cause: err })
        // Serve the stale value, and don't ask again on every request while the service is down.
        entry.refreshAt = now() + Math.min(ttlMs, RETRY_AFTER_FAILURE_MS)
        return entry.value
      }
    ).finally(() => { entry.inflight = undefined })
    return entry.inflight
  }

  async function get (source: SecretSource): Promise<string> {
    if ('value' in source) return source.value
    let entry = entries.get(source.secretArn)
    if (entry === undefined) {
      entry = { refreshAt: 0 }
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

