// The user pool's signing keys for the auth plugin: its JWKS, read whole, kept JWKS_TTL_MS, each key
// made a PEM once. A token naming a key the last read did not have may cause one more read, but at
// most one per cool-down: garbage tokens with made-up kids cannot make the API hammer Cognito, and
// are refused (401) without any fetch meanwhile. A real new key (a rotation) is picked up by the
// next read: at once if none happened within the cool-down, else when it ends. Every read learns
// every key (a pool signs id and access tokens with different keys), so one fetch serves both.
// get-jwks was replaced for this: it fetches per kid, forgets a kid it did not find, and so
// refetches for every unknown kid; Node's crypto turns a JWK into a PEM without jwk-to-pem.
import { createPublicKey, type JsonWebKey } from 'node:crypto'

/** The error codes toProblem() (plugins/auth.ts) maps: 401 for an unknown key, 503 for an unreadable JWKS. */
export class JwksError extends Error {
  constructor (readonly code: 'JWK_NOT_FOUND' | 'JWKS_REQUEST_FAILED' | 'NO_JWKS', message: string) {
    super(message)
    this.name = 'JwksError'
  }
}

export interface JwksOptions {
  /** `<issuer>/.well-known/jwks.json` */
  url: string
  now: () => number
  /** How long a read is trusted before the next token reads the JWKS again. */
  ttlMs: number
  /** At most one read for unknown kids within this long. */
  cooldownMs: number
  /** A failed read with no keys to fall back on is not retried sooner than this. */
  failureBackoffMs?: number
  timeoutMs?: number
}

export interface Jwks {
  /** The PEM of the key `kid`, or a JwksError. */
  publicKey: (kid: string) => Promise<string>
}

type Jwk = JsonWebKey & { kid: string }

const usable = (k: unknown): k is Jwk => {
  const jwk = k as Partial<Jwk> | null
  return jwk !== null && typeof jwk === 'object' && jwk.kty === 'RSA' && typeof jwk.kid === 'string' && jwk.kid !== '' &&
    (jwk.use === undefined || jwk.use === 'sig') && (jwk.alg === undefined || jwk.alg === 'RS256')
}

export function createJwks ({ url, now, ttlMs, cooldownMs, failureBackoffMs = 5000, timeoutMs = 5000 }: JwksOptions): Jwks {
  let keys = new Map<string, Jwk>()
  const pems = new Map<string, string>()
  let readAt = -Infinity
  let failedAt = -Infinity
  let inflight: Promise<void> | undefined

  const read = async (): Promise<void> => {
    inflight ??= (async () => {
      try {
        let body: unknown
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
          if (!res.ok) throw new Error(`HTTP ${res.status}`)
          body = await res.json()
        } catch (err) {
          throw new JwksError('JWKS_REQUEST_FAILED', `The JWKS could not be read: ${(err as Error).message}`)
        }
        const list = (body as { keys?: unknown } | null)?.keys
        const next = new Map((Array.isArray(list) ? list : []).filter(usable).map((k) => [k.kid, k]))
        if (next.size === 0) throw new JwksError('NO_JWKS', 'The JWKS has no RS256 signing key')
        keys = next
        pems.clear()
        readAt = now()
      } catch (err) {
        failedAt = now()
        throw err
      }
    })().finally(() => { inflight = undefined })
    await inflight
  }

  /** Reads the JWKS; a failure with keys already known keeps them (stale beats an outage). */
  const readOrKeep = async (): Promise<void> => {
    if (keys.size === 0 && now() - failedAt < failureBackoffMs) throw new JwksError('JWKS_REQUEST_FAILED', 'The JWKS could not be read just now')
    try {
      await read()
    } catch (err) {
      if (keys.size === 0) throw err
    }
  }

  return {
    async publicKey (kid) {
      const t = now()
      const stale = t - readAt >= ttlMs && t - failedAt >= Math.min(cooldownMs, ttlMs)
      if (keys.size === 0 || stale) await readOrKeep()
      else if (!keys.has(kid) && t - Math.max(readAt, failedAt) >= cooldownMs) await readOrKeep()
      let pem = pems.get(kid)
      if (pem === undefined) {
        const jwk = keys.get(kid)
        if (jwk === undefined) throw new JwksError('JWK_NOT_FOUND', 'No key with this kid')
        pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()
        pems.set(kid, pem)
      }
      return pem
    }
  }
}
