// Shopper authentication: every protected route verifies the Cognito token inside the app, in its
// onRequest hooks (requireUser, optionalUser), so a caller without the right token learns nothing
// of the body's rules. @fastify/jwt verifies the signature and the time claims with a key from the
// pool's JWKS (get-jwks behind a cool-down, jwks.ts: key rotation needs no restart and garbage kids
// cannot make us hammer Cognito); this plugin adds
// Cognito's own rules (issuer, token_use, app client, groups) and the problem format. @fastify/jwt
// is loaded on the first token, off the cold start (see jwt-request-verifier.ts).
import fp from 'fastify-plugin'
import type { FastifyJWTOptions } from '@fastify/jwt'
import type { FastifyRequest, preHandlerAsyncHookHandler, preHandlerHookHandler } from 'fastify'
import type { RequestVerifier } from './jwt-request-verifier.js'
import type { SigningKeys } from './jwks.js'
import { Problem, type ProblemCode } from '../core/problem.js'
import { expiringCache } from '../core/expiring-cache.js'
import { AccountLookupError, cognitoAccountLookup, createAccountStatus, type AccountStatus } from './account-status.js'

export type TokenUse = 'id' | 'access'

/** What routes get as `request.user`. */
export interface AuthUser {
  sub: string
  email: string
  /** The groups the token claims and the user still holds (see the revocation step). */
  groups: string[]
  /** The pool's username (Cognito's admin calls take it). */
  username: string
  /** Whether the account's email is verified now (orders need it). */
  emailVerified: boolean
}

/** The Cognito claims this plugin reads (id and access tokens). */
export interface CognitoClaims {
  sub: string
  iss: string
  token_use: TokenUse
  exp: number
  aud?: string | string[]
  client_id?: string
  email?: string
  username?: string
  'cognito:username'?: string
  'cognito:groups'?: string[]
  [claim: string]: unknown
}

export interface RequireUserOptions {
  /** The caller must be in at least one of these groups (403 otherwise). */
  groups?: string[]
  /** Which tokens the route accepts; both by default. */
  tokenUse?: TokenUse | TokenUse[]
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: CognitoClaims
    user: AuthUser
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** A hook for the route's onRequest (it reads only headers): before the body is parsed or validated. */
    requireUser: (options?: RequireUserOptions) => preHandlerAsyncHookHandler
    /** Like requireUser() but a request without a token passes as anonymous (request.user stays null). */
    optionalUser: () => preHandlerHookHandler
    /** The caller's email, asked of Cognito (GetUser) when an access token does not carry it. */
    userEmail: (request: FastifyRequest) => Promise<string>
    /** The revocation step's per-container answers (POST /signout makes this one forget a user). */
    accountStatus: AccountStatus
  }
}

/**
 * Cognito's own clocks and ours may differ a little (both are NTP-synced): a few seconds at most, so
 * an expired token is not honoured for longer than that.
 */
export const CLOCK_SKEW_MS = 5_000
/** Emails looked up for access tokens, by sub: bounded, and refreshed every few minutes. */
const EMAIL_CACHE_MAX = 10_000
const EMAIL_CACHE_TTL_MS = 5 * 60_000
/** Signing keys change rarely; a kid not held reads the JWKS again anyway (see the cool-down). */
const JWKS_CACHE_TTL_MS = 10 * 60_000
/** Tokens naming kids the JWKS was found not to have cause at most one read of it this often. */
export const UNKNOWN_KID_COOLDOWN_MS = 60_000
/** How long a container trusts its answer about the groups a token claims (admin routes). */
const GROUP_CHECK_MS = 60_000
const REALM = 'serverless-commerce'

function unauthorized (code: ProblemCode, detail: string): Problem {
  // RFC 6750: no error attribute when the request carried no token at all.
  const challenge = code === 'token_missing'
    ? `Bearer realm="${REALM}"`
    : `Bearer realm="${REALM}", error="invalid_token", error_description="${detail}"`
  return new Problem(401, code, detail, {}, { 'www-authenticate': challenge })
}

/** Maps @fastify/jwt's, fast-jwt's and get-jwks's errors to our problems, without their texts. */
function toProblem (err: unknown): Problem {
  if (err instanceof Problem) return err
  const code = (err as { code?: unknown }).code
  switch (code) {
    case 'FST_JWT_NO_AUTHORIZATION_IN_HEADER':
    case 'FST_JWT_BAD_REQUEST':
      return unauthorized('token_missing', 'Send a bearer token: Authorization: Bearer <token>')
    case 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED':
    case 'FAST_JWT_EXPIRED':
      return unauthorized('token_expired', 'The token has expired')
    case 'FAST_JWT_INACTIVE':
      return unauthorized('token_not_yet_valid', 'The token is not valid yet')
    case 'JWK_NOT_FOUND':
      return unauthorized('token_invalid', 'The token is signed with an unknown key')
    case 'DOMAIN_NOT_ALLOWED':
      return unauthorized('token_invalid', 'The token was not issued by this service')
    case 'JWKS_REQUEST_FAILED':
    case 'NO_JWKS':
      return unavailable()
    default:
      // A network error reaching the JWKS (fetch's TypeError, a JSON SyntaxError) is an outage.
      if (typeof code === 'string' && /^(FST_JWT|FAST_JWT)_/.test(code)) {
        return unauthorized('token_invalid', 'The token is invalid')
      }
      if (err instanceof TypeError || err instanceof SyntaxError) return unavailable()
      return unauthorized('token_invalid', 'The token is invalid')
  }
}

function unavailable (): Problem {
  return new Problem(
    503,
    'dependency_unavailable',
    'The token signing keys cannot be read right now; retry shortly',
    {},
    { 'retry-after': '5' }
  )
}

function hasClient (claims: CognitoClaims, clientId: string): boolean {
  if (claims.token_use === 'access') return claims.client_id === clientId
  return Array.isArray(claims.aud) ? claims.aud.includes(clientId) : claims.aud === clientId
}

export function toUser (claims: CognitoClaims): AuthUser {
  // Id tokens carry the email. AWS access tokens don't, and their username is the user's sub in a
  // pool whose username is the email (cognito-local puts the email there): see app.userEmail().
  const username = claims.username ?? claims['cognito:username']
  const email = claims.email ?? (typeof username === 'string' && username.includes('@') ? username : '')
  const groups = Array.isArray(claims['cognito:groups'])
    ? claims['cognito:groups'].filter((g) => typeof g === 'string')
    : []
  const emailVerified = claims.email_verified === true || claims.email_verified === 'true'
  return {
    sub: claims.sub,
    email,
    groups,
    username: typeof username === 'string' && username !== '' ? username : claims.sub,
    emailVerified
  }
}

export default fp(async function authPlugin (app) {
  const { issuer, clientId } = app.config.cognito
  // @fastify/jwt, fast-jwt and get-jwks load on the first token, off the cold start (see
  // jwt-request-verifier.ts); the signing keys are read on that token too.
  let signingKeys: SigningKeys | undefined
  const jwtOptions: FastifyJWTOptions = {
    decode: { complete: true },
    secret: async (_request: FastifyRequest, token: unknown) => {
      const { header, payload } = token as { header: { alg?: unknown; kid?: unknown }; payload: Partial<CognitoClaims> }
      // Checked before any key lookup: no `none`, no HS256 "signed" with our public key.
      if (header.alg !== 'RS256') throw unauthorized('token_invalid', 'The token must be signed with RS256')
      if (typeof header.kid !== 'string' || header.kid === '') {
        throw unauthorized('token_invalid', 'The token names no signing key')
      }
      if (typeof payload.iss !== 'string') throw unauthorized('token_invalid', 'The token names no issuer')
      if (signingKeys === undefined) throw new Error('The signing keys are read before the verifier runs')
      // get-jwks reads keys only from the pool's issuer (issuersWhitelist), whatever the token claims.
      return await signingKeys.publicKey({ kid: header.kid, alg: header.alg, domain: payload.iss })
    },
    verify: {
      algorithms: ['RS256'],
      allowedIss: issuer,
      clockTolerance: CLOCK_SKEW_MS,
      requiredClaims: ['exp', 'iss', 'sub', 'token_use'],
      // fast-jwt keeps each verified token (LRU, 1,000) until its exp, at most 10 minutes: a
      // front end sends the same token for an hour, and its signature is checked once a container.
      cache: true
    }
  }
  let verifier: Promise<RequestVerifier> | undefined
  const loadVerifier = async (): Promise<RequestVerifier> => {
    verifier ??= Promise.all([import('./jwt-request-verifier.js'), import('./jwks.js')])
      .then(async ([{ createRequestVerifier }, { createSigningKeys }]) => {
        signingKeys ??= createSigningKeys({
          issuer,
          now: app.clock,
          ttlMs: JWKS_CACHE_TTL_MS,
          cooldownMs: UNKNOWN_KID_COOLDOWN_MS
        })
        return await createRequestVerifier(jwtOptions)
      })
      .catch((err: unknown) => { verifier = undefined; throw err })
    return await verifier
  }
  // null until a protected route verifies a token (as @fastify/jwt would decorate it).
  app.decorateRequest('user', null as unknown as AuthUser)

  // Revocation, the step after verification: the account must still exist, be enabled, not have
  // signed out since the token was issued, and hold the groups the token claims. Cognito's answer
  // is kept per user for REVOCATION_CHECK_SECONDS (a minute at most for tokens claiming groups).
  const accountStatus = createAccountStatus({
    lookup: cognitoAccountLookup(app.aws.cognito, app.config.cognito.userPoolId),
    userTtlMs: app.config.revocationCheckSeconds * 1000,
    groupTtlMs: GROUP_CHECK_MS
  })
  app.decorate('accountStatus', accountStatus)
  const checkRevocation = async (request: FastifyRequest, user: AuthUser, claims: CognitoClaims): Promise<void> => {
    try {
      const account = await accountStatus.check({
        sub: user.sub,
        username: user.username,
        iat: typeof claims.iat === 'number' ? claims.iat : undefined,
        groups: user.groups
      })
      user.groups = account.groups
      user.emailVerified = account.emailVerified
    } catch (err) {
      if (!(err instanceof AccountLookupError)) throw err
      request.log.warn({ code: (err.cause as Error | undefined)?.name }, 'account check failed')
      throw new Problem(
        503,
        'dependency_unavailable',
        'Your account cannot be checked right now; retry shortly',
        {},
        { 'retry-after': '2' }
      )
    }
  }

  app.decorate('requireUser', (options: RequireUserOptions = {}): preHandlerAsyncHookHandler => {
    const accepted: TokenUse[] = options.tokenUse === undefined
      ? ['id', 'access']
      : Array.isArray(options.tokenUse) ? options.tokenUse : [options.tokenUse]
    const groups = options.groups ?? []
    return async function requireUser (request) {
      // Loading the verifier failing is ours (a 500), never the caller's 401.
      const verify = await loadVerifier()
      let claims: CognitoClaims
      try {
        claims = await verify(request) as CognitoClaims
      } catch (err) {
        throw toProblem(err)
      }
      if (!accepted.includes(claims.token_use)) {
        throw unauthorized('token_invalid', `This operation needs ${accepted.map((u) => `an ${u}`).join(' or ')} token`)
      }
      if (!hasClient(claims, clientId)) {
        throw unauthorized('token_invalid', 'The token was issued to another app client')
      }
      if (typeof claims.sub !== 'string' || claims.sub === '') {
        throw unauthorized('token_invalid', 'The token names no subject')
      }
      const user = toUser(claims)
      request.user = user
      await checkRevocation(request, user, claims)
      if (groups.length > 0 && !groups.some((g) => user.groups.includes(g))) {
        throw new Problem(403, 'forbidden', `This operation is for the ${groups.join(' or ')} group`, {},
          { 'www-authenticate': `Bearer realm="${REALM}", error="insufficient_scope"` })
      }
    }
  })

  const emails = expiringCache<string>(EMAIL_CACHE_MAX, EMAIL_CACHE_TTL_MS)
  app.decorate('userEmail', async (request: FastifyRequest): Promise<string> => {
    const user = request.user
    if (user.email !== '') return user.email
    const cached = emails.get(user.sub)
    if (cached !== undefined) return cached
    const token = request.headers.authorization?.replace(/^Bearer\s+/i, '') ?? ''
    const { GetUserCommand } = await import('@aws-sdk/client-cognito-identity-provider')
    let email: string | undefined
    try {
      // GetUser is authorized by the access token itself: no IAM permission involved.
      const out = await (await app.aws.cognito()).send(new GetUserCommand({ AccessToken: token }))
      email = out.UserAttributes?.find((a) => a.Name === 'email')?.Value
    } catch (err) {
      request.log.warn({ code: (err as Error).name }, 'GetUser failed')
      throw new Problem(
        503,
        'dependency_unavailable',
        'Your account details cannot be read right now; retry shortly',
        {},
        { 'retry-after': '2' }
      )
    }
    if (email === undefined) {
      throw new Problem(400, 'email_unknown', 'This account has no email address; sign in with an id token')
    }
    emails.set(user.sub, email)
    user.email = email
    return email
  })

  // For public routes that answer more to some callers (admins see the exact stock): no token is
  // anonymous, but a token that is sent must be valid, so a client never mistakes a 200 for a sign-in.
  app.decorate('optionalUser', (): preHandlerHookHandler => {
    const verify = app.requireUser()
    // Callback style: the anonymous request (most catalog reads) costs no promise.
    return function optionalUser (request, reply, done) {
      if (request.headers.authorization === undefined) { done(); return }
      verify.call(this, request, reply).then(() => { done() }, done)
    }
  })
}, { name: 'auth', dependencies: ['errors'] })
