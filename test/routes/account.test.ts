// The account routes without an emulator: input validation, /me with the test issuer's tokens,
// and Cognito's answers and faults through aws-sdk-client-mock.
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import {
  AdminDeleteUserCommand, AdminGetUserCommand, CognitoIdentityProviderClient, ConfirmSignUpCommand, InitiateAuthCommand,
  ResendConfirmationCodeCommand, SignUpCommand
} from '@aws-sdk/client-cognito-identity-provider'
import { build } from '../helpers/app.js'
import { startTestIssuer } from '../helpers/tokens.js'

const cognitoError = (name: string, message = `${name} from Cognito: internal detail`) => Object.assign(
  new Error(message),
  { name, $metadata: {} }
)

async function withMockedCognito (tt: Parameters<typeof build>[0]) {
  const client = new CognitoIdentityProviderClient({ region: 'us-east-1', maxAttempts: 1 })
  const cognito = mockClient(client)
  const app = await build(tt, { deps: { aws: { cognito: async () => client } } })
  return { app, cognito }
}

const post = (app: Awaited<ReturnType<typeof build>>, url: string, payload: unknown) => app.inject({
  method: 'POST',
  url,
  payload: payload as object
})

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
    [
      'unknown property',
      { email: 'a@example.com', password: 'Abcdefg1', role: 'admin' },
      /body\.role is not an allowed property/
    ],
    [
      'email and username differ',
      { email: 'a@example.com', username: 'b@example.com', password: 'Abcdefg1' },
      /body\.username/
    ]
  ]
  for (const [name, body, detail] of cases) {
    const res = await post(app, '/signup', body)
    t.equal(res.statusCode, 400, `${name}: 400`)
    t.equal(res.json().code, 'validation_failed', name)
    t.match(res.json().detail, detail, `${name}: says which rule failed`)
  }
  t.equal(cognito.calls().length, 0, 'Cognito never called for bad input')
})

t.test('signup: pool and client come from config, the body\'s are ignored; the email is normalised; a code is ' +
  'mailed', async (t) => {
  const { app, cognito } = await withMockedCognito(t)
  cognito.on(SignUpCommand).resolves({ UserSub: 'sub-1', UserConfirmed: false })
  const res = await post(
    app,
    '/signup',
    { username: 'Ada@Example.com', password: 'Abcdefg1', clientId: 'evil-client', userPoolId: 'evil-pool' }
  )
  t.equal(res.statusCode, 202)
  t.same(res.json(), { email: 'ada@example.com', nextStep: 'confirm_signup' })
  t.match(
    cognito.commandCalls(SignUpCommand)[0].args[0].input,
    { ClientId: 'test-client', Username: 'ada@example.com' }
  )
  t.equal(cognito.calls().length, 1, 'nothing confirms the account but the mailed code')
})

// Signup answered 409 account_exists, telling who has an account.
t.test('signup answers the same for a new, a confirmed and a pending address; only a pending signup is ' +
  'replaced', async (t) => {
  const { app, cognito } = await withMockedCognito(t)
  cognito.on(SignUpCommand).resolves({ UserSub: 'sub-new', UserConfirmed: false })
  const fresh = await post(app, '/signup', { email: 'new@example.com', password: 'Abcdefg1' })

  cognito.reset()
  cognito.on(SignUpCommand).rejects(cognitoError('UsernameExistsException'))
  cognito.on(AdminGetUserCommand).resolves({ Username: 'u', UserStatus: 'CONFIRMED', Enabled: true })
  const taken = await post(app, '/signup', { email: 'new@example.com', password: 'Other-Pass-2', name: 'Mallory' })
  t.equal(cognito.commandCalls(AdminDeleteUserCommand).length, 0, 'a confirmed account is left alone')
  t.equal(cognito.commandCalls(SignUpCommand).length, 1)

  cognito.reset()
  cognito.on(SignUpCommand).rejectsOnce(cognitoError('UsernameExistsException')).resolves({
    UserSub: 'sub-owner',
    UserConfirmed: false
  })
  cognito.on(AdminGetUserCommand).resolves({ Username: 'u', UserStatus: 'UNCONFIRMED', Enabled: true })
  cognito.on(AdminDeleteUserCommand).resolves({})
  const pending = await post(app, '/signup', { email: 'new@example.com', password: 'Owners-Pass-3' })
  t.equal(
    cognito.commandCalls(AdminDeleteUserCommand).length,
    1,
    'an unconfirmed signup (which proved nothing) is replaced'
  )
  t.equal(cognito.commandCalls(SignUpCommand).length, 2, 'and signed up again: a new code goes to the address')

  for (const res of [fresh, taken, pending]) {
    t.equal(res.statusCode, 202)
    t.same(res.json(), { email: 'new@example.com', nextStep: 'confirm_signup' }, 'the same answer')
  }
})

t.test('Cognito errors map to problems and never leak', async (t) => {
  const { app, cognito } = await withMockedCognito(t)
  cognito.on(SignUpCommand).rejects(cognitoError('TooManyRequestsException'))
  const throttled = await post(app, '/signup', { email: 'a@example.com', password: 'Abcdefg1' })
  t.equal(throttled.statusCode, 503)
  t.equal(throttled.json().code, 'service_busy')
  t.ok(throttled.headers['retry-after'])

  cognito.on(InitiateAuthCommand).rejects(cognitoError('SomethingNewException'))
  const unknown = await post(app, '/signin', { email: 'a@example.com', password: 'x' })
  t.equal(unknown.statusCode, 500)
  for (const res of [throttled, unknown]) {
    t.notMatch(
      res.body,
      /from Cognito|internal detail|Exception/,
      'no Cognito text'
    )
  }
})

t.test('signin: wrong password and unknown user are the same 401', async (t) => {
  const { app, cognito } = await withMockedCognito(t)
  cognito.on(InitiateAuthCommand, { AuthParameters: { USERNAME: 'known@example.com', PASSWORD: 'wrong' } }).rejects(
    cognitoError('NotAuthorizedException', 'Incorrect username or password.')
  )
  cognito.on(InitiateAuthCommand, { AuthParameters: { USERNAME: 'nobody@example.com', PASSWORD: 'wrong' } }).rejects(
    cognitoError('UserNotFoundException', 'User does not exist.')
  )
  const a = await post(app, '/signin', { email: 'known@example.com', password: 'wrong' })
  const b = await post(app, '/signin', { email: 'nobody@example.com', password: 'wrong' })
  t.equal(a.statusCode, 401)
  t.equal(b.statusCode, 401)
  const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined })
  t.same(strip(a.json()), strip(b.json()), 'identical bodies')
  t.equal(a.json().code, 'invalid_credentials')
})

t.test('confirm: the code confirms only with the signup\'s password; every failure before that looks the same', async (
  t
) => {
  const { app, cognito } = await withMockedCognito(t)
  const body = { email: 'ada@example.com', code: '123456', password: 'Abcdefg1' }
  cognito.on(InitiateAuthCommand).rejects(cognitoError('UserNotConfirmedException'))
  cognito.on(ConfirmSignUpCommand).resolves({})
  const ok = await post(app, '/signup/confirm', body)
  t.equal(ok.statusCode, 200, ok.body)
  t.same(ok.json(), { email: 'ada@example.com', confirmed: true })
  t.match(
    cognito.commandCalls(ConfirmSignUpCommand)[0].args[0].input,
    { ClientId: 'test-client', Username: 'ada@example.com', ConfirmationCode: '123456' }
  )

  const strip = (res: { json: () => Record<string, unknown> }) => ({ ...res.json(), requestId: undefined })
  cognito.reset()
  cognito.on(InitiateAuthCommand).rejects(cognitoError('NotAuthorizedException'))
  const wrongPassword = await post(app, '/signup/confirm', body)
  t.equal(cognito.commandCalls(ConfirmSignUpCommand).length, 0, 'a wrong password never reaches the code')
  cognito.reset()
  cognito.on(InitiateAuthCommand).rejects(cognitoError('UserNotFoundException'))
  const unknown = await post(app, '/signup/confirm', body)
  cognito.reset()
  cognito.on(InitiateAuthCommand).rejects(cognitoError('UserNotConfirmedException'))
  cognito.on(ConfirmSignUpCommand).rejects(cognitoError('CodeMismatchException'))
  const wrongCode = await post(app, '/signup/confirm', body)
  for (const res of [wrongPassword, unknown, wrongCode]) {
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'invalid_code')
  }
  t.same(strip(wrongPassword), strip(unknown), 'an unknown address looks like a wrong password')
  t.same(strip(wrongPassword), strip(wrongCode), 'and like a wrong code')

  cognito.on(ConfirmSignUpCommand).rejects(cognitoError('ExpiredCodeException'))
  t.equal(
    (await post(app, '/signup/confirm', body)).json().code,
    'code_expired',
    'an expired code, once the password is proven'
  )
  cognito.on(ConfirmSignUpCommand).rejects(cognitoError('TooManyFailedAttemptsException'))
  const locked = await post(app, '/signup/confirm', body)
  t.equal(locked.statusCode, 429)
  t.equal(locked.json().code, 'too_many_attempts')
  t.ok(Number(locked.headers['retry-after']) > 0)

  cognito.reset()
  cognito.on(InitiateAuthCommand).resolves({
    AuthenticationResult: { IdToken: 'i', AccessToken: 'a', RefreshToken: 'r', ExpiresIn: 3600 }
  })
  t.equal((await post(app, '/signup/confirm', body)).statusCode, 200, 'confirmed already, with its password: 200 again')
  t.equal(cognito.commandCalls(ConfirmSignUpCommand).length, 0)

  for (const bad of [
    { ...body, code: '12345' },
    { ...body, code: 'abcdef' },
    { email: body.email, code: body.code },
    { ...body, extra: 1 }
  ]) {
    t.equal((await post(app, '/signup/confirm', bad)).statusCode, 400, `refused: ${JSON.stringify(bad)}`)
  }
})

t.test('resend: the same 202 for a pending, a confirmed and an unknown address', async (t) => {
  const { app, cognito } = await withMockedCognito(t)
  const answers = []
  cognito.on(ResendConfirmationCodeCommand).resolves({ CodeDeliveryDetails: { DeliveryMedium: 'EMAIL' } })
  answers.push(await post(app, '/signup/resend', { email: 'pending@example.com' }))
  for (const name of ['InvalidParameterException', 'UserNotFoundException', 'LimitExceededException']) {
    cognito.on(ResendConfirmationCodeCommand).rejects(cognitoError(name))
    answers.push(await post(app, '/signup/resend', { email: 'pending@example.com' }))
  }
  for (const res of answers) {
    t.equal(res.statusCode, 202)
    t.same(res.json(), { email: 'pending@example.com', nextStep: 'confirm_signup' })
  }
  t.equal(cognito.commandCalls(ResendConfirmationCodeCommand)[0].args[0].input.ClientId, 'test-client')
})

t.test('signin before confirming: the right password answers like a wrong one (401) and mails the code again',
  async (t) => {
    const { app, cognito } = await withMockedCognito(t)
    cognito.on(InitiateAuthCommand)
      .rejectsOnce(cognitoError('UserNotConfirmedException'))
      .rejectsOnce(cognitoError('NotAuthorizedException'))
    cognito.on(ResendConfirmationCodeCommand).resolves({})
    const unconfirmed = await post(app, '/signin', { email: 'half@example.com', password: 'Abcdefg1' })
    const wrong = await post(app, '/signin', { email: 'half@example.com', password: 'Abcdefg2' })
    t.equal(unconfirmed.statusCode, 401)
    const { requestId: _a, ...answer } = unconfirmed.json()
    const { requestId: _b, ...wrongAnswer } = wrong.json()
    t.same(answer, wrongAnswer, 'the same answer as a wrong password')
    t.equal(cognito.commandCalls(ResendConfirmationCodeCommand).length, 1,
      'the owner gets the code again, the caller learns nothing')
    t.match(cognito.commandCalls(ResendConfirmationCodeCommand)[0]!.args[0].input,
      { ClientId: 'test-client', Username: 'half@example.com' })
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
  const token = issuer.token({ sub: 'me-1', email: 'me@example.com', groups: ['admin'] })
  const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { sub: 'me-1', email: 'me@example.com', groups: ['admin'] })
  issuer.users.get('me-1')!.groups = []
  const fresh = await build(t, { env: issuer.env })
  const removed = await fresh.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
  t.same(removed.json().groups, [], 'a group the user no longer holds is not theirs, whatever the token claims')
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
  t.same(doc.paths['/signout'].post.security, [{ bearerAuth: [] }])
  for (const path of ['/signup', '/signup/confirm', '/signup/resend', '/signin', '/token/refresh']) {
    t.same(doc.paths[path].post.security, [], `${path} is public`)
    t.ok(doc.paths[path].post.responses['400'], `${path} documents 400`)
  }
})
