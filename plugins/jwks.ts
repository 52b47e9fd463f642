// The user pool's signing keys for the auth plugin: get-jwks reads the pool's JWKS, pinned to its
// issuer, and keeps each key it found (ttl; a stale key beats an outage when a read fails). In front
// of it, a cool-down: get-jwks reads the JWKS again for every kid it does not hold, so after a read
// that did not have a token's kid, tokens naming kids never found are refused (401) without any
// fetch until the cool-down ends. Garbage kids cannot make the API hammer Cognito, and a real new
// key (a rotation) is picked up at the first read the cool-down allows. A failed read holds further
// reads back a few seconds (503), and a read that hangs answers 503 instead of holding the request.
// get-jwks converts the JWK to a PEM (jwk-to-pem: asn1.js and bn.js) on every call, most of a warm
// order's token check: the PEM is kept for as long as get-jwks keeps that key.
import buildGetJwks from 'get-jwks'

/** The codes toProblem() (plugins/auth.ts) maps: 401 for an unknown key or issuer, 503 for an unreadable JWKS. */
export class JwksError extends Error {
  constructor (readonly code: 'JWK_NOT_FOUND' | 'JWKS_REQUEST_FAILED', message: string) {
    super(message)
    this.name = 'JwksError'
  }
}

export interface SigningKeysOptions {
  /** The pool's issuer: the only domain get-jwks reads keys from. */
  issuer: string
  now: () => number
  /** How long get-jwks keeps a key before the next token reads the JWKS again. */
  ttlMs: number
  /** After a read without the kid asked for, kids never found cause no read for this long. */
  cooldownMs: number
  /** A failed read is not tried again sooner than this. */
  failureBackoffMs?: number
  timeoutMs?: number
  /** Makes the get-jwks reader (get-jwks itself; a test wraps it to count its calls). */
  buildJwks?: typeof buildGetJwks
}

export interface SigningKeys {
  /** The PEM of the key `kid` of the issuer `domain` (the token's `iss`), or an error with a code. */
  publicKey: (key: { kid: string; alg: string; domain: string }) => Promise<string>
}

const withSlash = (domain: string): string => domain.endsWith('/') ? domain : `${domain}/`

export function createSigningKeys (options: SigningKeysOptions): SigningKeys {
  const { issuer, now, ttlMs, cooldownMs, failureBackoffMs = 5000, timeoutMs = 5000 } = options
  const buildJwks = options.buildJwks ?? buildGetJwks
  // providerDiscovery off: Cognito (and cognito-local) serve the keys at <iss>/.well-known/jwks.json.
  const getJwks = buildJwks({ issuersWhitelist: [issuer], providerDiscovery: false, ttl: ttlMs, max: 100 })
  const found = new Set<string>()
  // By cache key: the PEM and get-jwks's entry it came from (a new entry, after its ttl, is converted again).
  const pems = new Map<string, { entry: unknown; pem: string }>()
  let missedAt = -Infinity
  let failedAt = -Infinity

  const timeout = async <T>(work: Promise<T>, onTimeout: () => void): Promise<T> => {
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<never>((resolve, reject) => {
      timer = setTimeout(() => {
        onTimeout()
        reject(new JwksError('JWKS_REQUEST_FAILED', 'The JWKS did not answer in time'))
      }, timeoutMs)
    })
    try {
      return await Promise.race([work, expired])
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    async publicKey ({ kid, alg, domain }) {
      const cacheKey = getJwks.generateCacheKey(alg, kid, withSlash(domain))
      const entry = getJwks.cache.get(cacheKey)
      if (entry !== undefined) {
        const kept = pems.get(cacheKey)
        if (kept?.entry === entry) return kept.pem
      } else {
        const t = now()
        if (!found.has(kid) && t - missedAt < cooldownMs) throw new JwksError('JWK_NOT_FOUND', 'No key with this kid')
        if (t - failedAt < failureBackoffMs) {
          throw new JwksError('JWKS_REQUEST_FAILED', 'The JWKS could not be read just now')
        }
      }
      try {
        // get-jwks keeps the pending read under cacheKey: a read that hangs is dropped so the next one can try.
        const pem = await timeout(getJwks.getPublicKey({ kid, alg, domain }), () => getJwks.cache.delete(cacheKey))
        found.add(kid)
        // Only keys the JWKS has get here: the map holds no more entries than get-jwks's cache.
        const read = getJwks.cache.get(cacheKey)
        if (read !== undefined) pems.set(cacheKey, { entry: read, pem })
        return pem
      } catch (err) {
        const code = (err as { code?: unknown }).code
        if (code === 'JWK_NOT_FOUND') {
          found.delete(kid)
          missedAt = now()
        } else if (code !== 'DOMAIN_NOT_ALLOWED') {
          failedAt = now()
        }
        throw err
      }
    }
  }
}
