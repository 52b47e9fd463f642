// The token attack matrix: every way a bearer token can be wrong, against the real auth plugin
// with keys served by the test issuer (no emulator).
import t from 'tap'
import { createHmac } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../app/app.js'
import { loadConfig } from '../../core/config.js'
import { BASE_TEST_ENV } from '../helpers/app.js'
import { CLOCK_SKEW_MS, UNKNOWN_KID_COOLDOWN_MS } from '../../plugins/auth.js'
import { encodeJwt, rs256, startTestIssuer, type TestIssuer } from '../helpers/tokens.js'

interface Teardown { teardown: (fn: () => unknown) => void }

/** A clock only the test moves (the JWKS cool-down); fast-jwt checks tokens' exp on the real one. */
function testClock (): { now: () => number; advance: (ms: number) => void } {
  let now = Date.now()
  return { now: () => now, advance: (ms) => { now += ms } }
}

/** The clock skew tokens are given, in whole seconds (the claims' unit). */
const SKEW_S = Math.floor(CLOCK_SKEW_MS / 1000)

/**
 * The wall clock fast-jwt reads (Date.now: it takes no clock of its own), held still at times the
 * test sets, and restored when the test ends.
 */
function holdWallClock (tt: Teardown): { set: (ms: number) => void } {
  const real = Date.now
  let held = real()
  Date.now = () => held
  tt.teardown(() => { Date.now = real })
  return { set: (ms) => { held = ms } }
}

async function setup (tt: Teardown, clock = testClock()): Promise<{ app: FastifyInstance; issuer: TestIssuer }> {
  const issuer = await startTestIssuer()
  tt.teardown(issuer.close)
  const app = buildApp(loadConfig({ ...BASE_TEST_ENV, ...issuer.env }), { clock: clock.now })
  tt.teardown(() => app.close())
  app.register(async (scope) => {
    const me = async (request: { user: unknown }) => request.user
    scope.get('/probe', { onRequest: scope.requireUser() }, me)
    scope.get('/probe/access', { onRequest: scope.requireUser({ tokenUse: 'access' }) }, me)
    scope.get('/probe/admin', { onRequest: scope.requireUser({ groups: ['admin'] }) }, me)
  })
  await app.ready()
  return { app, issuer }
}

const call = (app: FastifyInstance, token: string | undefined, url = '/probe', scheme = 'Bearer') =>
  app.inject({ method: 'GET', url, headers: token === undefined ? {} : { authorization: `${scheme} ${token}` } })

t.test('valid tokens', async (t) => {
  const { app, issuer } = await setup(t)

  const id = await call(app, issuer.token({ sub: 'user-1', email: 'a@example.com', groups: ['vip'] }))
  t.equal(id.statusCode, 200)
  t.same(
    id.json(),
    { sub: 'user-1', email: 'a@example.com', groups: ['vip'], username: 'a@example.com', emailVerified: true },
    'request.user from an id token'
  )

  const access = await call(app, issuer.token({ sub: 'user-2', email: 'b@example.com', tokenUse: 'access' }))
  t.equal(access.statusCode, 200)
  t.same(
    access.json(),
    { sub: 'user-2', email: 'b@example.com', groups: [], username: 'b@example.com', emailVerified: true },
    'the email of an access token is its username'
  )

  const skewed = await call(app, issuer.token({ expiresIn: -Math.floor(SKEW_S / 2) }))
  t.equal(skewed.statusCode, 200, `expired ${Math.floor(SKEW_S / 2)} s ago is within the ${SKEW_S} s clock skew`)

  const admin = await call(app, issuer.token({ groups: ['admin'] }), '/probe/admin')
  t.equal(admin.statusCode, 200, 'a member of the group passes')
})

t.test('the attack matrix: each answers 401 with a reason and a Bearer challenge', async (t) => {
  const { app, issuer } = await setup(t)
  const now = Math.floor(Date.now() / 1000)
  const good = issuer.token({ sub: 'victim' })
  const [h, p, s] = good.split('.')
  const pem = issuer.keys.primary.publicKeyPem
  const claimsOf = (tok: string) =>
    JSON.parse(Buffer.from(tok.split('.')[1], 'base64url').toString()) as Record<string, unknown>

  const cases: Array<[string, string | undefined, string, string?]> = [
    ['no token', undefined, 'token_missing'],
    ['not a bearer token (a partner key)', 'dev-warehouse-key-0123456789abcdef', 'token_missing', 'ApiKey'],
    ['garbage', 'not.a.jwt', 'token_invalid'],
    ['expired', issuer.token({ expiresIn: -(SKEW_S + 60) }), 'token_expired'],
    ['not yet valid', issuer.token({ claims: { nbf: now + 600 } }), 'token_not_yet_valid'],
    ['no exp', issuer.token({ claims: { exp: undefined } }), 'token_invalid'],
    ['wrong issuer', issuer.token({ claims: { iss: 'https://evil.example.com/us-east-1_TestPool1' } }), 'token_invalid'],
    [
      'other pool of the same region',
      issuer.token({ claims: { iss: issuer.issuer.replace(issuer.userPoolId, 'us-east-1_OtherPool') } }),
      'token_invalid'
    ],
    ['wrong client (id token aud)', issuer.token({ claims: { aud: 'another-client' } }), 'token_invalid'],
    [
      'wrong client (access token client_id)',
      issuer.token({ tokenUse: 'access', claims: { client_id: 'another-client' } }),
      'token_invalid'
    ],
    ['unknown token_use', issuer.token({ claims: { token_use: 'refresh' } }), 'token_invalid'],
    [
      'tampered payload',
      `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(good), sub: 'attacker' })).toString('base64url')}.${s}`,
      'token_invalid'
    ],
    [
      'tampered signature',
      `${h}.${p}.${s.slice(0, -6)}${s.slice(-6) === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA'}`,
      'token_invalid'
    ],
    ['alg none', encodeJwt({ alg: 'none', kid: issuer.keys.primary.kid }, claimsOf(good), () => ''), 'token_invalid'],
    ['HS256 signed with the public key', encodeJwt({ alg: 'HS256', kid: issuer.keys.primary.kid }, claimsOf(good),
      (input) => createHmac('sha256', pem).update(input).digest()), 'token_invalid'],
    [
      'RS512 (not RS256)',
      encodeJwt({ alg: 'RS512', kid: issuer.keys.primary.kid }, claimsOf(good), rs256(issuer.keys.primary.privateKey)),
      'token_invalid'
    ],
    ['unknown kid', issuer.token({ header: { kid: 'no-such-key' } }), 'token_invalid'],
    ['missing kid', issuer.token({ header: { kid: undefined } }), 'token_invalid'],
    [
      'signed by an unpublished key under a published kid',
      issuer.token({ key: 'secondary', header: { kid: issuer.keys.primary.kid } }),
      'token_invalid'
    ]
  ]
  for (const [name, token, code, scheme] of cases) {
    const res = await call(app, token, '/probe', scheme)
    t.equal(res.statusCode, 401, `${name}: 401`)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${name}: problem format`)
    t.equal(res.json().code, code, `${name}: code ${code}`)
    t.match(String(res.headers['www-authenticate']), /^Bearer realm="serverless-commerce"/, `${name}: challenge`)
    if (code !== 'token_missing') {
      t.match(String(res.headers['www-authenticate']), /error="invalid_token"/, `${name}: invalid_token`)
    }
    t.notMatch(res.body, /TokenError|FAST_JWT|FST_JWT|stack/i, `${name}: no library internals`)
  }
})

t.test('token_use: an id token on an access-only route is refused', async (t) => {
  const { app, issuer } = await setup(t)
  t.equal((await call(app, issuer.token({ tokenUse: 'access' }), '/probe/access')).statusCode, 200)
  const res = await call(app, issuer.token({ tokenUse: 'id' }), '/probe/access')
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'token_invalid')
  t.match(res.json().detail, /access token/)
})

t.test('a valid token without the group is 403 forbidden', async (t) => {
  const { app, issuer } = await setup(t)
  const res = await call(app, issuer.token({ groups: ['shoppers'] }), '/probe/admin')
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'forbidden')
  t.equal((await call(app, issuer.token(), '/probe/admin')).statusCode, 403, 'no groups at all')
  t.equal((await call(app, undefined, '/probe/admin')).statusCode, 401, 'no token is still 401, not 403')
})

t.test('key rotation: a new kid is fetched without a restart; the JWKS is cached otherwise', async (t) => {
  const clock = testClock()
  const { app, issuer } = await setup(t, clock)
  t.equal((await call(app, issuer.token())).statusCode, 200)
  t.equal((await call(app, issuer.token())).statusCode, 200)
  t.equal(issuer.jwksRequests(), 1, 'one JWKS fetch for many tokens')

  const rotated = issuer.token({ key: 'secondary' })
  clock.advance(UNKNOWN_KID_COOLDOWN_MS)
  t.equal((await call(app, rotated)).statusCode, 401, 'before the new key is published')
  t.equal(issuer.jwksRequests(), 2, 'the unknown kid read the JWKS again')
  issuer.publishSecondaryKey()
  t.equal(
    (await call(app, rotated)).statusCode,
    401,
    'published, but within the cool-down of the last read: not read again yet'
  )
  t.equal(issuer.jwksRequests(), 2)
  clock.advance(UNKNOWN_KID_COOLDOWN_MS)
  t.equal((await call(app, rotated)).statusCode, 200, 'after the cool-down the new key is picked up, with no restart')
  t.equal(issuer.jwksRequests(), 3)
  t.equal((await call(app, issuer.token())).statusCode, 200, 'the old key still works during the rotation')
})

t.test('unknown kids: at most one JWKS read per cool-down, then 401 without fetching', async (t) => {
  const clock = testClock()
  const { app, issuer } = await setup(t, clock)
  t.equal((await call(app, issuer.token())).statusCode, 200, 'the first token reads the JWKS')
  clock.advance(UNKNOWN_KID_COOLDOWN_MS)
  for (let i = 0; i < 25; i++) {
    const res = await call(app, issuer.token({ header: { kid: `garbage-${i}` } }))
    t.equal(res.statusCode, 401)
    t.equal(res.json().code, 'token_invalid')
  }
  t.equal(issuer.jwksRequests(), 2, '25 garbage kids: one read, the rest refused without fetching')
  clock.advance(UNKNOWN_KID_COOLDOWN_MS - 1)
  t.equal((await call(app, issuer.token({ header: { kid: 'garbage-late' } }))).statusCode, 401)
  t.equal(issuer.jwksRequests(), 2, 'still within the cool-down')
  clock.advance(1)
  t.equal((await call(app, issuer.token({ header: { kid: 'garbage-later' } }))).statusCode, 401)
  t.equal(issuer.jwksRequests(), 3, 'one more read once it ends')
  t.equal((await call(app, issuer.token())).statusCode, 200, 'real tokens pass throughout')
})

t.test('a second real kid (a pool signs id and access tokens with different keys) is read once, then ' +
  'kept', async (t) => {
  const clock = testClock()
  const { app, issuer } = await setup(t, clock)
  issuer.publishSecondaryKey()
  t.equal((await call(app, issuer.token())).statusCode, 200)
  t.equal((await call(app, issuer.token({ key: 'secondary', tokenUse: 'access' }))).statusCode, 200,
    'not refused by the cool-down: no read lacked a kid')
  t.equal(issuer.jwksRequests(), 2, 'get-jwks reads the JWKS once per kid')
  t.equal((await call(app, issuer.token({ key: 'secondary', tokenUse: 'access' }))).statusCode, 200)
  t.equal((await call(app, issuer.token())).statusCode, 200)
  t.equal(issuer.jwksRequests(), 2, 'both keys kept')
  t.equal((await call(app, issuer.token({ header: { kid: 'garbage' } }))).statusCode, 401)
  t.equal(issuer.jwksRequests(), 3, 'a kid not in the JWKS reads it once')
  t.equal((await call(app, issuer.token({ key: 'secondary', tokenUse: 'access' }))).statusCode, 200,
    'a kid found before passes within the cool-down')
  t.equal(issuer.jwksRequests(), 3)
})

t.test('a failed JWKS read is a 503, and the next read is held back a few seconds', async (t) => {
  const clock = testClock()
  const { app, issuer } = await setup(t, clock)
  issuer.failJwks(true)
  const token = issuer.token()
  const first = await call(app, token)
  t.equal(first.statusCode, 503)
  t.equal(first.json().code, 'dependency_unavailable')
  t.equal(issuer.jwksRequests(), 1)
  issuer.failJwks(false)
  t.equal((await call(app, token)).statusCode, 503, 'within the back-off: no read')
  t.equal(issuer.jwksRequests(), 1)
  clock.advance(5000)
  t.equal((await call(app, token)).statusCode, 200, 'read again after the back-off')
  t.equal(issuer.jwksRequests(), 2)
})

t.test('a verified token is remembered only until it expires (skew included)', async (t) => {
  const wall = holdWallClock(t)
  const { app, issuer } = await setup(t)
  const token = issuer.token({ expiresIn: 0 })
  const expMs = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000
  // A second before the skew runs out: verified, and remembered.
  wall.set(expMs + CLOCK_SKEW_MS - 1000)
  t.equal((await call(app, token)).statusCode, 200, 'accepted (and remembered) while inside the skew')
  t.equal((await call(app, token)).statusCode, 200, 'accepted again')
  // A second after it: the remembered verification no longer counts.
  wall.set(expMs + CLOCK_SKEW_MS + 1000)
  const late = await call(app, token)
  t.equal(late.statusCode, 401, 'refused once past it, although verified before')
  t.equal(late.json().code, 'token_expired')
})

t.test('an unreachable JWKS is a 503, not a 401', async (t) => {
  const { app, issuer } = await setup(t)
  const token = issuer.token()
  await issuer.close()
  const res = await call(app, token)
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'dependency_unavailable')
  t.ok(res.headers['retry-after'])
})
