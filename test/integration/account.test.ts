// Accounts against cognito-local: signup, duplicate signup, signin, refresh and /me, with tokens
// verified by the auth plugin against the emulator's JWKS.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { build } from '../helpers/app.js'
import { stackEnv } from '../helpers/stack.js'

const uniqueEmail = () => `shopper-${randomUUID().slice(0, 8)}@example.com`
const PASSWORD = 'Correct-Horse-1'

t.test('signup, signin, /me with either token, refresh', async (t) => {
  const app = await build(t, { env: stackEnv() })
  const email = uniqueEmail()

  const signup = await app.inject({ method: 'POST', url: '/signup', payload: { email, password: PASSWORD, name: 'Ada' } })
  t.equal(signup.statusCode, 201, signup.body)
  t.match(signup.json(), { email, confirmed: true })

  const signin = await app.inject({ method: 'POST', url: '/signin', payload: { email, password: PASSWORD } })
  t.equal(signin.statusCode, 200, signin.statusCode === 200 ? 'signed in' : signin.body) // tokens never in the test output
  const tokens = signin.json()
  t.match(tokens, { idToken: String, accessToken: String, refreshToken: String, expiresIn: Number, tokenType: 'Bearer' })
  t.equal(tokens.token, tokens.idToken, 'token is the id token, for the old clients')

  const me = await app.inject({ url: '/me', headers: { authorization: `Bearer ${tokens.idToken}` } })
  t.equal(me.statusCode, 200, me.body)
  t.equal(me.json().email, email)
  t.same(me.json().groups, [])
  if (signup.json().sub !== undefined) t.equal(me.json().sub, signup.json().sub, 'the same sub as signup answered')

  const meAccess = await app.inject({ url: '/me', headers: { authorization: `Bearer ${tokens.accessToken}` } })
  t.equal(meAccess.statusCode, 200, 'an access token works too')
  t.equal(meAccess.json().sub, me.json().sub)
  t.equal(meAccess.json().email, email, "and answers the caller's email too (asked of Cognito: the access token has none)")

  const refreshed = await app.inject({ method: 'POST', url: '/token/refresh', payload: { refreshToken: tokens.refreshToken } })
  t.equal(refreshed.statusCode, 200, refreshed.statusCode === 200 ? 'refreshed' : refreshed.body) // tokens never in the test output
  t.match(refreshed.json(), { idToken: String, accessToken: String, tokenType: 'Bearer' })
  const meAgain = await app.inject({ url: '/me', headers: { authorization: `Bearer ${refreshed.json().idToken}` } })
  t.equal(meAgain.statusCode, 200)
  t.equal(meAgain.json().sub, me.json().sub)

  const badRefresh = await app.inject({ method: 'POST', url: '/token/refresh', payload: { refreshToken: 'not-a-refresh-token' } })
  t.equal(badRefresh.statusCode, 401)
  t.equal(badRefresh.json().code, 'invalid_refresh_token')
})

t.test('the seed body shape: username, with the body\'s pool and client ignored', async (t) => {
  const app = await build(t, { env: stackEnv() })
  const email = uniqueEmail()
  const signup = await app.inject({ method: 'POST', url: '/signup', payload: { username: email, password: PASSWORD, clientId: 'someone-elses', userPoolId: 'us-east-1_Other' } })
  t.equal(signup.statusCode, 201, signup.body)
  const signin = await app.inject({ method: 'POST', url: '/signin', payload: { username: email, password: PASSWORD } })
  t.equal(signin.statusCode, 200)
})

t.test('a duplicate signup is 409 and changes nothing: the first password still works, the second does not', async (t) => {
  const app = await build(t, { env: stackEnv() })
  const email = uniqueEmail()
  t.equal((await app.inject({ method: 'POST', url: '/signup', payload: { email, password: PASSWORD } })).statusCode, 201)
  const dup = await app.inject({ method: 'POST', url: '/signup', payload: { email, password: 'Another-Pass-2', name: 'Mallory' } })
  t.equal(dup.statusCode, 409)
  t.equal(dup.json().code, 'account_exists')
  const dupCase = await app.inject({ method: 'POST', url: '/signup', payload: { email: email.toUpperCase(), password: 'Another-Pass-2' } })
  t.equal(dupCase.statusCode, 409, 'the same email in other letter case is the same account')

  t.equal((await app.inject({ method: 'POST', url: '/signin', payload: { email, password: PASSWORD } })).statusCode, 200, 'the first password works')
  const second = await app.inject({ method: 'POST', url: '/signin', payload: { email, password: 'Another-Pass-2' } })
  t.equal(second.statusCode, 401, 'the second does not')
  t.equal(second.json().code, 'invalid_credentials')
})

t.test('wrong password and unknown user give the same 401', async (t) => {
  const app = await build(t, { env: stackEnv() })
  const email = uniqueEmail()
  t.equal((await app.inject({ method: 'POST', url: '/signup', payload: { email, password: PASSWORD } })).statusCode, 201)
  const wrong = await app.inject({ method: 'POST', url: '/signin', payload: { email, password: 'Wrong-Pass-9' } })
  const unknown = await app.inject({ method: 'POST', url: '/signin', payload: { email: uniqueEmail(), password: 'Wrong-Pass-9' } })
  t.equal(wrong.statusCode, 401)
  t.equal(unknown.statusCode, 401)
  const { requestId: _a, ...wrongBody } = wrong.json()
  const { requestId: _b, ...unknownBody } = unknown.json()
  t.same(wrongBody, unknownBody, 'the same body')
  t.notMatch(wrong.body + unknown.body, /Exception|Invalid password|not authorized/i, 'no Cognito text')
})

t.test('bad input is a 400 naming the field and the rule, and no account is made', async (t) => {
  const app = await build(t, { env: stackEnv() })
  const email = uniqueEmail()
  const weak = await app.inject({ method: 'POST', url: '/signup', payload: { email, password: 'alllowercase1' } })
  t.equal(weak.statusCode, 400)
  t.match(weak.json().detail, /body\.password must contain an upper-case letter/)
  const signin = await app.inject({ method: 'POST', url: '/signin', payload: { email, password: 'alllowercase1' } })
  t.equal(signin.statusCode, 401, 'the refused signup created nothing')

  t.equal((await app.inject({ method: 'POST', url: '/signup', payload: { email: 'nope', password: PASSWORD } })).statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url: '/signin', payload: { email } })).statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url: '/signin', payload: { email, password: PASSWORD, admin: true } })).statusCode, 400)
})

t.test('a token from the emulator for another app client is refused', async (t) => {
  const env = stackEnv()
  const app = await build(t, { env })
  const email = uniqueEmail()
  await app.inject({ method: 'POST', url: '/signup', payload: { email, password: PASSWORD } })
  const { idToken } = (await app.inject({ method: 'POST', url: '/signin', payload: { email, password: PASSWORD } })).json()
  // The same pool and issuer, but this app trusts a different client id.
  const other = await build(t, { env: { ...env, USER_POOL_CLIENT_ID: 'another-client' } })
  const res = await other.inject({ url: '/me', headers: { authorization: `Bearer ${idToken}` } })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'token_invalid')
})
