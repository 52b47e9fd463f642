// A stand-in for a Cognito user pool in tests: signs id and access tokens with a test RSA key,
// serves the JWKS on 127.0.0.1, and answers the admin calls the API's revocation check makes
// (AdminGetUser, AdminListGroupsForUser) for the users it issued tokens to, so route tests need no
// emulator. `users` changes what it answers (deleted, disabled, unverified, signed out, groups).
// Merge `env` into the app's env:
//   const issuer = await startTestIssuer(); t.teardown(issuer.close)
//   const app = await build(t, { env: issuer.env })
//   app.inject({ url: '/me', headers: { authorization: `Bearer ${issuer.token({ groups: ['admin'] })}` } })
import { createServer, type ServerResponse } from 'node:http'
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

/** A user as the fake pool knows it: made by token(), changed by the tests. */
export interface TestUser {
  sub: string
  username: string
  enabled: boolean
  emailVerified: boolean
  signedOutAt: number
  groups: string[]
}

export interface TestIssuer {
  issuer: string
  userPoolId: string
  clientId: string
  env: { COGNITO_ISSUER: string; COGNITO_ENDPOINT: string; USER_POOL_ID: string; USER_POOL_CLIENT_ID: string }
  /** The users tokens were issued to, by sub: delete one, or change it, to change the pool's answers. */
  users: Map<string, TestUser>
  /** How many admin calls the API made, by operation (AdminGetUser, AdminListGroupsForUser). */
  adminCalls: () => Record<string, number>
  keys: Record<KeyName, TestKey>
  token: (opts?: TokenOptions) => string
  /** Adds the secondary key to the JWKS (a key rotation). */
  publishSecondaryKey: () => void
  /** Removes the primary key from the JWKS (the end of a rotation). */
  retirePrimaryKey: () => void
  /** How many times the JWKS was fetched. */
  jwksRequests: () => number
  /** While on, the JWKS answers 500. */
  failJwks: (on: boolean) => void
  close: () => Promise<void>
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url')

/** Encodes a JWT; `sign` gets the signing input and returns the signature ('' for an unsigned token). */
export function encodeJwt (
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  sign: (input: string) => Buffer | string
): string {
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

const withOverrides = (
  base: Record<string, unknown>,
  overrides: Record<string, unknown> = {}
): Record<string, unknown> => {
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
  const users = new Map<string, TestUser>()
  const calls: Record<string, number> = {}

  /** Cognito's JSON protocol: the operation in X-Amz-Target, errors as { __type, message } with a 400. */
  const answerAdminCall = (target: string, body: string, res: ServerResponse): void => {
    const op = target.slice(target.lastIndexOf('.') + 1)
    calls[op] = (calls[op] ?? 0) + 1
    const input = JSON.parse(body === '' ? '{}' : body) as { UserPoolId?: string; Username?: string }
    const user = [...users.values()].find((u) => u.username === input.Username || u.sub === input.Username)
    const send = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(payload))
    }
    if (input.UserPoolId !== userPoolId) {
      send(
        400,
        { __type: 'ResourceNotFoundException', message: 'User pool does not exist.' }
      ); return
    }
    if (user === undefined) { send(400, { __type: 'UserNotFoundException', message: 'User does not exist.' }); return }
    if (op === 'AdminGetUser') {
      send(200, {
        Username: user.username,
        Enabled: user.enabled,
        UserStatus: 'CONFIRMED',
        UserAttributes: [
          { Name: 'sub', Value: user.sub },
          { Name: 'email', Value: user.username },
          { Name: 'email_verified', Value: String(user.emailVerified) },
          ...(user.signedOutAt > 0 ? [{ Name: 'custom:signed_out_at', Value: String(user.signedOutAt) }] : [])
        ]
      })
      return
    }
    if (op === 'AdminListGroupsForUser') {
      send(
        200,
        { Groups: user.groups.map((GroupName) => ({ GroupName, UserPoolId: userPoolId })) }
      ); return
    }
    send(400, { __type: 'InvalidParameterException', message: `The test issuer does not answer ${op}` })
  }

  let jwksFails = false
  const server = createServer((req, res) => {
    const target = req.headers['x-amz-target']
    if (req.method === 'POST' && typeof target === 'string') {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => { answerAdminCall(target, Buffer.concat(chunks).toString('utf8'), res) })
      return
    }
    if (req.url === `/${userPoolId}/.well-known/jwks.json`) {
      requests++
      if (jwksFails) { res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"down"}'); return }
      const jwks = [...published].map((name) =>
        ({ ...keys[name].publicKey.export({ format: 'jwk' }), kid: keys[name].kid, alg: 'RS256', use: 'sig' }))
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: jwks }))
      return
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const endpoint = `http://127.0.0.1:${port}`
  const issuer = `${endpoint}/${userPoolId}`

  const token = (o: TokenOptions = {}): string => {
    const key = keys[o.key ?? 'primary']
    const now = Math.floor(Date.now() / 1000)
    const sub = o.sub ?? randomUUID()
    const email = o.email ?? `${sub.slice(0, 8)}@example.com`
    const tokenUse = o.tokenUse ?? 'id'
    const common: Record<string, unknown> = {
      sub,
      iss: issuer,
      token_use: tokenUse,
      auth_time: now,
      iat: now,
      exp: now + (o.expiresIn ?? 3600),
      jti: randomUUID(),
      ...(o.groups ? { 'cognito:groups': o.groups } : {})
    }
    const base = tokenUse === 'id'
      ? { ...common, aud: clientId, email, email_verified: true, 'cognito:username': email }
      : { ...common, client_id: clientId, scope: 'aws.cognito.signin.user.admin', username: email }
    // The pool knows whom it issued a token to; a later token for the same sub keeps what a test changed.
    const known = users.get(sub)
    if (known === undefined) {
      users.set(
        sub,
        { sub, username: email, enabled: true, emailVerified: true, signedOutAt: 0, groups: o.groups ?? [] }
      )
    } else if (o.groups !== undefined) known.groups = o.groups
    return encodeJwt(
      withOverrides({ alg: 'RS256', kid: key.kid, typ: 'JWT' }, o.header),
      withOverrides(base, o.claims),
      rs256(key.privateKey)
    )
  }

  return {
    issuer,
    userPoolId,
    clientId,
    env: {
      COGNITO_ISSUER: issuer,
      COGNITO_ENDPOINT: endpoint,
      USER_POOL_ID: userPoolId,
      USER_POOL_CLIENT_ID: clientId
    },
    users,
    adminCalls: () => ({ ...calls }),
    keys,
    token,
    publishSecondaryKey: () => { published.add('secondary') },
    retirePrimaryKey: () => { published.delete('primary') },
    jwksRequests: () => requests,
    failJwks: (on) => { jwksFails = on },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
