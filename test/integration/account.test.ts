// Accounts against cognito-local: signup, the code in the mailbox, confirm, signin, refresh and
// /me, with tokens verified by the auth plugin against the emulator's JWKS; and what signup tells
// (nothing) about who has an account.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { AdminConfirmSignUpCommand } from '@aws-sdk/client-cognito-identity-provider'
import { PutCommand } from '@aws-sdk/lib-dynamodb'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { codeFromMailbox, cognitoAdmin, mailbox, signUpConfirmed, until } from '../helpers/accounts.js'

const uniqueEmail = () => `shopper-${randomUUID().slice(0, 8)}@example.com`
const PASSWORD = 'Correct-Horse-1'

t.test('signup, the code in the mailbox, confirm, signin, /me with either token, refresh', async (t) => {
  const app = await build(t, { env: stackEnv() })
  const email = uniqueEmail()

  const signup = await app.inject({
    method: 'POST',
    url: '/signup',
    payload: { email, password: PASSWORD, name: 'Ada' }
  })
  t.equal(signup.statusCode, 202, signup.body)
  t.same(signup.json(), { email, nextStep: 'confirm_signup' })
  const early = await app.inject({ method: 'POST', url: '/signin', payload: { email, password: PASSWORD } })
  t.equal(early.statusCode, 401, 'no sign-in before the address is proven, answered like a wrong password')
  t.equal(early.json().code, 'invalid_credentials')

  const code = await codeFromMailbox(email, 1) // the signup's, then the one the early sign-in mailed again
  const wrong = await app.inject({
    method: 'POST',
    url: '/signup/confirm',
    payload: { email, code: code === '000000' ? '111111' : '000000', password: PASSWORD }
  })
  t.equal(wrong.statusCode, 400)
  t.equal(wrong.json().code, 'invalid_code')
  const confirmed = await app.inject({
    method: 'POST',
    url: '/signup/confirm',
    payload: { email, code, password: PASSWORD }
  })
  t.equal(confirmed.statusCode, 200, confirmed.body)
  t.same(confirmed.json(), { email, confirmed: true })

  const signin = await app.inject({ method: 'POST', url: '/signin', payload: { email, password: PASSWORD } })
  // tokens never in the test output
  t.equal(signin.statusCode, 200, signin.statusCode === 200 ? 'signed in' : signin.body)
  const tokens = signin.json()
  t.match(
    tokens,
    { idToken: String, accessToken: String, refreshToken: String, expiresIn: Number, tokenType: 'Bearer' }
  )
  t.equal(tokens.token, tokens.idToken, 'token is the id token, for the old clients')

  const me = await app.inject({ url: '/me', headers: { authorization: `Bearer ${tokens.idToken}` } })
  t.equal(me.statusCode, 200, me.body)
  t.equal(me.json().email, email)
  t.same(me.json().groups, [])

  const meAccess = await app.inject({ url: '/me', headers: { authorization: `Bearer ${tokens.accessToken}` } })
  t.equal(meAccess.statusCode, 200, 'an access token works too')
  t.equal(meAccess.json().sub, me.json().sub)
  t.equal(
    meAccess.json().email,
    email,
    "and answers the caller's email too (asked of Cognito: the access token has none)"
  )

  const refreshed = await app.inject({
    method: 'POST',
    url: '/token/refresh',
    payload: { refreshToken: tokens.refreshToken }
  })
  // tokens never in the test output
  t.equal(refreshed.statusCode, 200, refreshed.statusCode === 200 ? 'refreshed' : refreshed.body)
  t.match(refreshed.json(), { idToken: String, accessToken: String, tokenType: 'Bearer' })
  const meAgain = await app.inject({ url: '/me', headers: { authorization: `Bearer ${refreshed.json().idToken}` } })
  t.equal(meAgain.statusCode, 200)
  t.equal(meAgain.json().sub, me.json().sub)

  const badRefresh = await app.inject({
    method: 'POST',
    url: '/token/refresh',
    payload: { refreshToken: 'not-a-refresh-token' }
  })
  t.equal(badRefresh.statusCode, 401)
  t.equal(badRefresh.json().code, 'invalid_refresh_token')
})

t.test('the seed body shape: username, with the body\'s pool and client ignored', async (t) => {
  const app = await build(t, { env: stackEnv() })
  const email = uniqueEmail()
  const signup = await app.inject({
    method: 'POST',
    url: '/signup',
    payload: { username: email, password: PASSWORD, clientId: 'someone-elses', userPoolId: 'us-east-1_Other' }
  })
  t.equal(signup.statusCode, 202, signup.body)
  const confirmed = await app.inject({
    method: 'POST',
    url: '/signup/confirm',
    payload: { email, code: await codeFromMailbox(email), password: PASSWORD }
  })
  t.equal(confirmed.statusCode, 200)
  const signin = await app.inject({ method: 'POST', url: '/signin', payload: { username: email, password: PASSWORD } })
  t.equal(signin.statusCode, 200)
})

// A second signup answered 409 account_exists, telling who has an account.
t.test('signup answers the same for a new and a taken address; the owner is told by mail, and the account is ' +
  'unchanged', async (t) => {
  const tables = await createTables(t)
  const app = await build(t, { env: { ...stackEnv(), ...tables } })
  const email = uniqueEmail()
  const first = await app.inject({ method: 'POST', url: '/signup', payload: { email, password: PASSWORD } })
  await app.inject({
    method: 'POST',
    url: '/signup/confirm',
    payload: { email, code: await codeFromMailbox(email), password: PASSWORD }
  })
  const dup = await app.inject({
    method: 'POST',
    url: '/signup',
    payload: { email, password: 'Another-Pass-2', name: 'Mallory' }
  })
  const dupCase = await app.inject({
    method: 'POST',
    url: '/signup',
    payload: { email: email.toUpperCase(), password: 'Another-Pass-2' }
  })
  for (const res of [first, dup, dupCase]) {
    t.equal(res.statusCode, 202)
    t.same(res.json(), { email, nextStep: 'confirm_signup' }, 'the same answer as for a new address')
  }
  const notices = await until('the notice to the owner', async () => {
    const found = (await mailbox(email)).filter((m) => /tried to sign up/.test(m.subject))
    return found.length > 0 ? found : undefined
  })
  t.equal(notices.length, 1, 'one notice for two attempts within the hour')
  t.match(notices[0]!.text, 'Your account is unchanged')
  t.equal(
    (await mailbox(email)).filter((m) => /confirmation code/i.test(m.subject)).length,
    1,
    'no new code for a confirmed account'
  )

  t.equal(
    (await app.inject({ method: 'POST', url: '/signin', payload: { email, password: PASSWORD } })).statusCode,
    200,
    'the first password works'
  )
  const second = await app.inject({ method: 'POST', url: '/signin', payload: { email, password: 'Another-Pass-2' } })
  t.equal(second.statusCode, 401, 'the second does not')
  t.equal(second.json().code, 'invalid_credentials')
})

t.test('resend and confirm answer the same for an unknown address', async (t) => {
  const app = await build(t, { env: stackEnv() })
  const pending = uniqueEmail()
  await app.inject({ method: 'POST', url: '/signup', payload: { email: pending, password: PASSWORD } })
  await codeFromMailbox(pending)
  const unknown = uniqueEmail()
  const resends = [
    await app.inject({ method: 'POST', url: '/signup/resend', payload: { email: pending } }),
    await app.inject({ method: 'POST', url: '/signup/resend', payload: { email: unknown } })
  ]
  t.same(resends.map((r) => r.statusCode), [202, 202])
  t.same(resends.map((r) => r.json().nextStep), ['confirm_signup', 'confirm_signup'])
  const fresh = await codeFromMailbox(pending, 1)
  t.same(await mailbox(unknown), [], 'nothing mailed to an unknown address')
  const strip = (r: { json: () => Record<string, unknown> }) => ({ ...r.json(), requestId: undefined })
  const confirmUnknown = await app.inject({
    method: 'POST',
    url: '/signup/confirm',
    payload: { email: unknown, code: fresh, password: PASSWORD }
  })
  const confirmWrongPassword = await app.inject({
    method: 'POST',
    url: '/signup/confirm',
    payload: { email: pending, code: fresh, password: 'Not-The-One-9' }
  })
  t.equal(confirmUnknown.statusCode, 400)
  t.same(strip(confirmUnknown), strip(confirmWrongPassword), 'an unknown address looks like a wrong password')
  const ok = await app.inject({
    method: 'POST',
    url: '/signup/confirm',
    payload: { email: pending, code: fresh, password: PASSWORD }
  })
  t.equal(ok.statusCode, 200, 'the newest code confirms')
})

// Anyone could sign up with someone else's email, the account was confirmed
// at once, and the order mail went to the victim; the owner then could not sign up.
t.test("someone else's email: no account without the code, the owner signs up over it, and confirms only their " +
  'own', async (t) => {
  const app = await build(t, { env: stackEnv() })
  const victim = uniqueEmail()
  const squat = await app.inject({
    method: 'POST',
    url: '/signup',
    payload: { email: victim, password: 'Attacker-Pass-1' }
  })
  t.equal(squat.statusCode, 202)
  const attackerSignin = await app.inject({
    method: 'POST',
    url: '/signin',
    payload: { email: victim, password: 'Attacker-Pass-1' }
  })
  t.equal(attackerSignin.statusCode, 401, 'the squatter gets no tokens: the address is not proven')
  const attackerCode = await codeFromMailbox(victim, 1) // the signup's, then the one the sign-in mailed again

  const owner = await app.inject({ method: 'POST', url: '/signup', payload: { email: victim, password: PASSWORD } })
  t.equal(owner.statusCode, 202, 'the owner can sign up: the unproven signup is replaced')
  const ownerCode = await codeFromMailbox(victim, 2)
  const stale = await app.inject({
    method: 'POST',
    url: '/signup/confirm',
    payload: { email: victim, code: attackerCode, password: 'Attacker-Pass-1' }
  })
  t.equal(stale.statusCode, 400, "the squatter's password no longer belongs to a signup")
  const confirmed = await app.inject({
    method: 'POST',
    url: '/signup/confirm',
    payload: { email: victim, code: ownerCode, password: PASSWORD }
  })
  t.equal(confirmed.statusCode, 200)
  t.equal(
    (await app.inject({
      method: 'POST',
      url: '/signin',
      payload: { email: victim, password: 'Attacker-Pass-1' }
    })).statusCode,
    401,
    "the squatter's password does not sign in"
  )
  const signin = await app.inject({ method: 'POST', url: '/signin', payload: { email: victim, password: PASSWORD } })
  t.equal(signin.statusCode, 200)
  const me = await app.inject({ url: '/me', headers: { authorization: `Bearer ${signin.json().idToken as string}` } })
  t.equal(me.json().email, victim)
})

t.test('an account confirmed without proving its email (as every account was before) cannot order until it verifies ' +
  'it', async (t) => {
  const tables = await createTables(t)
  const app = await build(t, { env: { ...stackEnv(), ...tables } })
  const at = new Date().toISOString()
  await app.aws.ddb.send(new PutCommand({
    TableName: tables.ITEMS_TABLE,
    Item: {
      id: 'anything',
      category: 'accessories',
      type: 'cable',
      brand: 'Acme',
      title: 'Cable',
      description: 'A cable',
      colorPreference: [],
      price: 500,
      currency: 'USD',
      stock: 10,
      searchText: 'cable',
      createdAt: at,
      updatedAt: at
    }
  }))
  const email = uniqueEmail()
  await app.inject({ method: 'POST', url: '/signup', payload: { email, password: PASSWORD } })
  const admin = cognitoAdmin()
  t.teardown(() => { admin.destroy() })
  await admin.send(new AdminConfirmSignUpCommand({ UserPoolId: stackEnv().USER_POOL_ID, Username: email }))
  const signin = await app.inject({ method: 'POST', url: '/signin', payload: { email, password: PASSWORD } })
  t.equal(signin.statusCode, 200)
  const order = await app.inject({
    method: 'POST',
    url: '/orders',
    headers: { authorization: `Bearer ${signin.json().idToken as string}` },
    payload: { items: [{ id: 'anything', count: 1 }] }
  })
  t.equal(order.statusCode, 403)
  t.equal(order.json().code, 'email_unverified')

  // Its owner verifies it: a code to the address, entered with the access token.
  const access = { authorization: `Bearer ${signin.json().accessToken as string}` }
  const codesBefore = (await mailbox(email)).filter((m) => /confirmation code/i.test(m.subject)).length
  const sent = await app.inject({ method: 'POST', url: '/me/email/code', headers: access })
  t.equal(sent.statusCode, 202, sent.body)
  const code = await codeFromMailbox(email, codesBefore)
  t.equal(
    (await app.inject({
      method: 'POST',
      url: '/me/email/verify',
      headers: access,
      payload: { code: code === '000000' ? '111111' : '000000' }
    })).json().code,
    'invalid_code'
  )
  const verified = await app.inject({ method: 'POST', url: '/me/email/verify', headers: access, payload: { code } })
  t.equal(verified.statusCode, 200, verified.body)
  const again = await app.inject({
    method: 'POST',
    url: '/orders',
    headers: { authorization: `Bearer ${signin.json().idToken as string}` },
    payload: { items: [{ id: 'anything', count: 1 }] }
  })
  t.equal(again.statusCode, 201, 'verified: it may order')
})

t.test('wrong password and unknown user give the same 401', async (t) => {
  const app = await build(t, { env: stackEnv() })
  const email = uniqueEmail()
  await signUpConfirmed(app, { email, password: PASSWORD })
  const wrong = await app.inject({ method: 'POST', url: '/signin', payload: { email, password: 'Wrong-Pass-9' } })
  const unknown = await app.inject({
    method: 'POST',
    url: '/signin',
    payload: { email: uniqueEmail(), password: 'Wrong-Pass-9' }
  })
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

  t.equal(
    (await app.inject({ method: 'POST', url: '/signup', payload: { email: 'nope', password: PASSWORD } })).statusCode,
    400
  )
  t.equal((await app.inject({ method: 'POST', url: '/signin', payload: { email } })).statusCode, 400)
  t.equal(
    (await app.inject({
      method: 'POST',
      url: '/signin',
      payload: { email, password: PASSWORD, admin: true }
    })).statusCode,
    400
  )
})

t.test('a token from the emulator for another app client is refused', async (t) => {
  const env = stackEnv()
  const app = await build(t, { env })
  const email = uniqueEmail()
  await signUpConfirmed(app, { email, password: PASSWORD })
  const { idToken } = (await app.inject({
    method: 'POST',
    url: '/signin',
    payload: { email, password: PASSWORD }
  })).json()
  // The same pool and issuer, but this app trusts a different client id.
  const other = await build(t, { env: { ...env, USER_POOL_CLIENT_ID: 'another-client' } })
  const res = await other.inject({ url: '/me', headers: { authorization: `Bearer ${idToken}` } })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'token_invalid')
})
