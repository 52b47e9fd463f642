// The account routes without an emulator: input validation, /me with the test issuer's tokens,
// and Cognito's faults (throttling, a half-finished signup) through aws-sdk-client-mock.
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import {
  AdminConfirmSignUpCommand, CognitoIdentityProviderClient, InitiateAuthCommand, SignUpCommand
} from '@aws-sdk/client-cognito-identity-provider'
import { build } from '../helpers/app.js'
import { startTestIssuer } from '../helpers/tokens.js'

const cognitoError = (name: string, message = `${name} from Cognito: internal detail`) => Object.assign(new Error(message), { name, $metadata: {} })

async function withMockedCognito (tt: Parameters<typeof build>[0]) {
  const client = new CognitoIdentityProviderClient({ region: 'us-east-1', maxAttempts: 1 })
  const cognito = mockClient(client)
  const app = await build(tt, { deps: { aws: { cognito: async () => client } } })
  return { app, cognito }
}

const post = (app: Awaited<ReturnType<typeof build>>, url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object })

t.test('signup input is validated before Cognito is called', async (t) => {
  const { app, cognito } = await withMockedCognito(t)
  const cases: Array<[string, unknown, RegExp]> = [
    ['missing email', { password: 'Abcdefg1' }, /body\.email is required/],
    ['malformed email', { email: 'not-an-email', password: 'Abcdefg1' }, /body\.email/],
    ['missing password', { email: 'a@example.com' }, /body\.password is required/],
    ['too short', { email: 'a@example.com', password: 'Abc1' }, /body\.password must NOT have fewer than 8 characters/],
    ['no upper case', { email: 'a@example.com', password: 'abcdefg1' }, /upper-case/],
    ['no lower case', { email: 'a@example.com', password: 'ABCDEFG1' }, /lower-case/],
    ['no digit', { email: 'a@example.com', password: 'Abcdefgh' }, /digit/],
    ['unknown property', { email: 'a@example.com', password: 'Abcdefg1', role: 'admin' }, /body\.role is not an allowed property/],
    ['email and username differ', { email: 'a@example.com', username: 'b@example.com', password: 'Abcdefg1' }, /body\.username/]
  ]
  for (const [name, body, detail] of cases) {
    const res = await post(app, '/signup', body)
    t.equal(res.statusCode, 400, `${name}: 400`)
    t.equal(res.json().code, 'validation_failed', name)
    t.match(res.json().detail, detail, `${name}: says which rule failed`)
  }
  t.equal(cognito.calls().length, 0, 'Cognito never called for bad input')
})

t.test('signup: pool and client come from config, the body\'s are ignored; the email is normalised', async (t) => {
  const { app, cognito } = await withMockedCognito(t)
  cognito.on(SignUpCommand).resolves({ UserSub: 'sub-1', UserConfirmed: false })
  cognito.on(AdminConfirmSignUpCommand).resolves({})
  const res = await post(app, '/signup', { username: 'Ada@Example.com', password: 'Abcdefg1', clientId: 'evil-client', userPoolId: 'evil-pool' })
  t.equal(res.statusCode, 201)
  t.same(res.json(), { sub: 'sub-1', email: 'ada@example.com', confirmed: true })
  t.match(cognito.commandCalls(SignUpCommand)[0].args[0].input, { ClientId: 'test-client', Username: 'ada@example.com' })
  t.match(cognito.commandCalls(AdminConfirmSignUpCommand)[0].args[0].input, { UserPoolId: 'us-east-1_testpool', Username: 'ada@example.com' })
})

t.test('Cognito errors map to problems and never leak', async (t) => {
  const { app, cognito } = await withMockedCognito(t)
  cognito.on(SignUpCommand).rejects(cognitoError('UsernameExistsException'))
  const dup = await post(app, '/signup', { email: 'a@example.com', password: 'Abcdefg1' })
  t.equal(dup.statusCode, 409)
  t.equal(dup.json().code, 'account_exists')
  t.equal(cognito.commandCalls(AdminConfirmSignUpCommand).length, 0, 'the existing account is not touched')

  cognito.on(SignUpCommand).rejects(cognitoError('TooManyRequestsException'))
  const throttled = await post(app, '/signup', { email: 'a@example.com', password: 'Abcdefg1' })
  t.equal(throttled.statusCode, 503)
  t.equal(throttled.json().code, 'service_busy')
  t.ok(throttled.headers['retry-after'])

  cognito.on(InitiateAuthCommand).rejects(cognitoError('SomethingNewException'))
  const unknown = await post(app, '/signin', { email: 'a@example.com', password: 'x' })
  t.equal(unknown.statusCode, 500)
  for (const res of [dup, throttled, unknown]) t.notMatch(res.body, /from Cognito|internal detail|Exception/, 'no Cognito text')
})

t.test('signin: wrong password and unknown user are the same 401', async (t) => {
  const { app, cognito } = await withMockedCognito(t)
  cognito.on(InitiateAuthCommand, { AuthParameters: { USERNAME: 'known@example.com', PASSWORD: 'wrong' } }).rejects(cognitoError('NotAuthorizedException', 'Incorrect username or password.'))
  cognito.on(InitiateAuthCommand, { AuthParameters: { USERNAME: 'nobody@example.com', PASSWORD: 'wrong' } }).rejects(cognitoError('UserNotFoundException', 'User does not exist.'))
  const a = await post(app, '/signin', { email: 'known@example.com', password: 'wrong' })
  const b = await post(app, '/signin', { email: 'nobody@example.com', password: 'wrong' })
  t.equal(a.statusCode, 401)
  t.equal(b.statusCode, 401)
  const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined })
  t.same(strip(a.json()), strip(b.json()), 'identical bodies')
  t.equal(a.json().code, 'invalid_credentials')
})

t.test('a signup whose confirmation failed is finished by the first signin with the right password', async (t) => {
  const { app, cognito } = await withMockedCognito(t)
  cognito.on(SignUpCommand).resolves({ UserSub: 'sub-2', UserConfirmed: false })
  cognito.on(AdminConfirmSignUpCommand).rejectsOnce(cognitoError('InternalErrorException')).resolves({})
  const signup = await post(app, '/signup', { email: 'half@example.com', password: 'Abcdefg1' })
  t.equal(signup.statusCode, 503, 'the confirmation step failed: retry later')

  cognito.on(InitiateAuthCommand)
    .rejectsOnce(cognitoError('UserNotConfirmedException'))
    .resolves({ AuthenticationResult: { IdToken: 'id.t.x', AccessToken: 'ac.t.x', RefreshToken: 'rt', ExpiresIn: 3600 } })
  const signin = await post(app, '/signin', { email: 'half@example.com', password: 'Abcdefg1' })
  t.equal(signin.statusCode, 200)
  t.same(signin.json(), { idToken: 'id.t.x', accessToken: 'ac.t.x', refreshToken: 'rt', expiresIn: 3600, tokenType: 'Bearer', token: 'id.t.x' })
  t.equal(cognito.commandCalls(AdminConfirmSignUpCommand).length, 2)
})

t.test('refresh: a bad refresh token is 401; input validated', async (t) => {
  const { app, cognito } = await withMockedCognito(t)
  cognito.on(InitiateAuthCommand).rejects(cognitoError('NotAuthorizedException', 'Invalid Refresh Token'))
  const res = await post(app, '/token/refresh', { refreshToken: 'nope' })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'invalid_refresh_token')
  t.equal((await post(app, '/token/refresh', {})).statusCode, 400)
  t.equal((await post(app, '/token/refresh', { refreshToken: 'x', extra: 1 })).statusCode, 400)
})

t.test('GET /me answers the verified caller', async (t) => {
  const issuer = await startTestIssuer()
  t.teardown(issuer.close)
  const app = await build(t, { env: issuer.env })
  const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${issuer.token({ sub: 'me-1', email: 'me@example.com', groups: ['admin'] })}` } })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { sub: 'me-1', email: 'me@example.com', groups: ['admin'] })
  const anon = await app.inject({ url: '/me' })
  t.equal(anon.statusCode, 401)
  t.equal(anon.json().code, 'token_missing')
})

t.test('the OpenAPI document marks /me as bearer-protected and the rest public', async (t) => {
  const issuer = await startTestIssuer()
  t.teardown(issuer.close)
  const app = await build(t, { env: issuer.env })
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  t.same(doc.paths['/me'].get.security, [{ bearerAuth: [] }])
  for (const path of ['/signup', '/signin', '/token/refresh']) {
    t.same(doc.paths[path].post.security, [], `${path} is public`)
    t.ok(doc.paths[path].post.responses['400'], `${path} documents 400`)
  }
})
