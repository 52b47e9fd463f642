// A stand-in for a Cognito user pool in tests: signs id and access tokens with a test RSA key and
// serves the JWKS on 127.0.0.1, so route tests need no emulator. Merge `env` into the app's env:
//   const issuer = await startTestIssuer(); t.teardown(issuer.close)
//   const app = await build(t, { env: issuer.env })
//   app.inject({ url: '/me', headers: { authorization: `Bearer ${issuer.token({ groups: ['admin'] })}` } })
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'

export type KeyName = 'primary' | 'secondary'

export interface TestKey { kid: string; privateKey: KeyObject; publicKey: KeyObject; publicKeyPem: string }

export interface TokenOptions {
  sub?: string
  email?: string
  groups?: string[]
  tokenUse?: 'id' | 'access'
  /** Claims merged over (or, with `undefined`, removed from) the defaults. */
  claims?: Record<string, unknown>
  /** Header fields merged over (or, with `undefined`, removed from) `{ alg: 'RS256', kid }`. */
  header?: Record<string, unknown>
  /** Seconds from now; negative for an expired token. Default 3600. */
  expiresIn?: number
  /** Which key signs; `secondary` is published only after `publishSecondaryKey()`. */
  key?: KeyName
}

export interface TestIssuer {
  issuer: string
  userPoolId: string
  clientId: string
  env: { COGNITO_ISSUER: string; USER_POOL_ID: string; USER_POOL_CLIENT_ID: string }
  keys: Record<KeyName, TestKey>
  token: (opts?: TokenOptions) => string
  /** Adds the secondary key to the JWKS (a key rotation). */
  publishSecondaryKey: () => void
  /** Removes the primary key from the JWKS (the end of a rotation). */
  retirePrimaryKey: () => void
  /** How many times the JWKS was fetched. */
  jwksRequests: () => number
  close: () => Promise<void>
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url')

/** Encodes a JWT; `sign` gets the signing input and returns the signature ('' for an unsigned token). */
export function encodeJwt (header: Record<string, unknown>, payload: Record<string, unknown>, sign: (input: string) => Buffer | string): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
  const signature = sign(input)
  return `${input}.${typeof signature === 'string' ? signature : b64url(signature)}`
}

export function rs256 (privateKey: KeyObject): (input: string) => Buffer {
  return (input) => createSign('RSA-SHA256').update(input).sign(privateKey)
}

// RSA key generation takes a while: one pair of keys per test process is enough.
let sharedKeys: Record<KeyName, TestKey> | undefined
function testKeys (): Record<KeyName, TestKey> {
  const make = (kid: string): TestKey => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    return { kid, privateKey, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
  }
  sharedKeys ??= { primary: make('test-key-1'), secondary: make('test-key-2') }
  return sharedKeys
}

const withOverrides = (base: Record<string, unknown>, overrides: Record<string, unknown> = {}): Record<string, unknown> => {
  const out = { ...base, ...overrides }
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete out[k]
  return out
}

export async function startTestIssuer (opts: { userPoolId?: string; clientId?: string } = {}): Promise<TestIssuer> {
  const userPoolId = opts.userPoolId ?? 'us-east-1_TestPool1'
  const clientId = opts.clientId ?? 'test-client-id'
  const keys = testKeys()
  const published = new Set<KeyName>(['primary'])
  let requests = 0

  const server = createServer((req, res) => {
    if (req.url === `/${userPoolId}/.well-known/jwks.json`) {
      requests++
      const jwks = [...published].map((name) => ({ ...keys[name].publicKey.export({ format: 'jwk' }), kid: keys[name].kid, alg: 'RS256', use: 'sig' }))
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: jwks }))
      return
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const issuer = `http://127.0.0.1:${port}/${userPoolId}`

  const token = (o: TokenOptions = {}): string => {
    const key = keys[o.key ?? 'primary']
    const now = Math.floor(Date.now() / 1000)
    const sub = o.sub ?? randomUUID()
    const email = o.email ?? `${sub.slice(0, 8)}@example.com`
    const tokenUse = o.tokenUse ?? 'id'
    const common: Record<string, unknown> = {
      sub, iss: issuer, token_use: tokenUse, auth_time: now, iat: now, exp: now + (o.expiresIn ?? 3600), jti: randomUUID(),
      ...(o.groups ? { 'cognito:groups': o.groups } : {})
    }
    const base = tokenUse === 'id'
      ? { ...common, aud: clientId, email, email_verified: true, 'cognito:username': email }
      : { ...common, client_id: clientId, scope: 'aws.cognito.signin.user.admin', username: email }
    return encodeJwt(withOverrides({ alg: 'RS256', kid: key.kid, typ: 'JWT' }, o.header), withOverrides(base, o.claims), rs256(key.privateKey))
  }

  return {
    issuer,
    userPoolId,
    clientId,
    env: { COGNITO_ISSUER: issuer, USER_POOL_ID: userPoolId, USER_POOL_CLIENT_ID: clientId },
    keys,
    token,
    publishSecondaryKey: () => { published.add('secondary') },
    retirePrimaryKey: () => { published.delete('primary') },
    jwksRequests: () => requests,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
