// The account routes as an attacker walks between them, against DynamoDB Local and cognito-local,
// each client on an address of its own (as API Gateway's sourceIp would differ): concurrent guesses
// never check more passwords or codes than the budget; sign-in and confirm spend one budget per
// account; the owner's address that signed in before is not locked out by others' guessing; no
// sequence of signup, sign-in, confirm and resend tells who has an account; and one inbox gets at
// most the mail cap. The clock is the test's; small limits keep it fast.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { ConfirmSignUpCommand, InitiateAuthCommand, SignUpCommand } from '@aws-sdk/client-cognito-identity-provider'
import { build } from '../helpers/app.js'
import { createTables, stackEnv, type TestTables } from '../helpers/stack.js'
import { codeFromMailbox, cognitoAdmin, mailbox, signUpConfirmed, until } from '../helpers/accounts.js'
import { secretHash } from '../../data/accounts.js'
import { SIGNIN_FAILURE_WINDOW_MS } from '../../plugins/rate-limit.js'
import { middleOfNextWindow } from '../helpers/limit-clock.js'

const PASSWORD = 'Correct-Horse-1'
const WRONG = 'Wrong-Pass-1'
const email = (): string => `abuse-${randomUUID().slice(0, 8)}@example.com`

function testClock (): () => number {
  const now = middleOfNextWindow(SIGNIN_FAILURE_WINDOW_MS)
  return () => now
}

type Teardown = { teardown: (fn: () => unknown) => void }

async function limited (t: Teardown, tables: TestTables, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const limits = { RATE_LIMITS: 'on', RATE_LIMIT_SIGNIN_PER_IP: '1000' }
  return await build(t, { env: { ...stackEnv(), ...tables, ...limits, ...env }, deps: { clock: testClock() } })
}

const from = (ip: string, options: InjectOptions): InjectOptions => ({ ...options, remoteAddress: ip })
type Answer = Promise<LightMyRequestResponse>
const signin = async (app: FastifyInstance, ip: string, who: string, password: string): Answer =>
  await app.inject(from(ip, { method: 'POST', url: '/signin', payload: { email: who, password } }))
const confirm = async (app: FastifyInstance, ip: string, who: string, code: string, password = PASSWORD): Answer =>
  await app.inject(from(ip, { method: 'POST', url: '/signup/confirm', payload: { email: who, code, password } }))
const count = (answers: LightMyRequestResponse[], status: number): number =>
  answers.filter((a) => a.statusCode === status).length

t.test('account abuse', async (t) => {
  const tables = await createTables(t)

  // Found: the account's failures were read before Cognito and written after it, so 30 concurrent
  // wrong passwords from one client got 13 password checks (budget 5).
  t.test('reserve, then check: concurrent guesses never check more than the budget', async (t) => {
    const app = await limited(t, tables,
      { RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT_CLIENT: '5', RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '10' })
    const victim = email()
    await signUpConfirmed(app, { email: victim, password: PASSWORD })
    // A limiter call over its deadline (a very loaded machine) is the documented outage: this
    // container then counts in its memory as well, so the bound is the budget twice (docs/ARCHITECTURE.md).
    let outage = false
    const warn = app.log.warn.bind(app.log)
    app.log.warn = ((obj: unknown, msg?: string) => {
      if (/rate-limit table unreachable/.test(String(msg))) outage = true
      warn(obj as object, msg)
    }) as typeof app.log.warn
    const budget = (n: number): number => outage ? 2 * n : n
    const burst = await Promise.all(Array.from({ length: 30 },
      async () => await signin(app, '192.0.2.10', victim, WRONG)))
    t.ok(count(burst, 401) <= budget(5), `at most 5 passwords checked from one client (${count(burst, 401)})`)
    t.ok(count(burst, 401) >= 1, 'and some were')
    t.equal(count(burst, 401) + count(burst, 429), 30, 'the others refused')

    // 4 clients x 5 concurrent wrong codes on /signup/confirm against an account budget of 10.
    const pending = email()
    const signup = { method: 'POST' as const, url: '/signup', payload: { email: pending, password: PASSWORD } }
    t.equal((await app.inject(from('192.0.2.11', signup))).statusCode, 202)
    const code = await codeFromMailbox(pending)
    const wrong = code === '000000' ? '111111' : '000000'
    const waves = await Promise.all(Array.from({ length: 20 },
      async (_, i) => await confirm(app, `192.0.2.${20 + (i % 4)}`, pending, wrong)))
    const checked = waves.filter((a) => a.statusCode === 400 && a.json().code === 'invalid_code').length
    t.ok(checked <= budget(10), `at most 10 codes checked for the account (${checked})`)
    t.equal(checked + count(waves, 429), 20, 'the others refused')
  })

  // Found: /signup/confirm with code 000000 and the right password answered 200 for a confirmed
  // account, a wrong password 400: a second password oracle with a budget of its own.
  t.test('sign-in and confirm spend one failure budget per account, keyed by the lower-cased address', async (t) => {
    const app = await limited(t, tables,
      { RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT_CLIENT: '3', RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '4' })
    const victim = email()
    await signUpConfirmed(app, { email: victim, password: PASSWORD })
    for (let i = 0; i < 3; i++) t.equal((await signin(app, '192.0.2.30', victim, WRONG)).statusCode, 401)
    const oracle = await confirm(app, '192.0.2.30', victim.toUpperCase(), '000000', PASSWORD)
    t.equal(oracle.statusCode, 429, 'confirm from the same client is refused: its failures were counted by sign-in')
    t.match(oracle.json(), { code: 'rate_limited' })
    t.equal((await confirm(app, '192.0.2.31', victim, '000000', WRONG)).json().code, 'invalid_code',
      'a fourth failure, through confirm')
    t.equal((await signin(app, '192.0.2.32', victim.toUpperCase(), PASSWORD)).statusCode, 429,
      'the account\'s four are spent, whichever route spent them')
    t.equal((await confirm(app, '192.0.2.33', victim, '000000', PASSWORD)).statusCode, 429,
      'confirm refuses too: no second budget')
  })

  // Found: 12 clients x 5 wrong passwords refused the owner's right password for the window, from
  // the address they had signed in from minutes before.
  t.test('others\' guessing never refuses the owner from an address that signed in before; new ones meet the limit',
    async (t) => {
      const app = await limited(t, tables,
        { RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT_CLIENT: '5', RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '10' })
      const owner = email()
      await signUpConfirmed(app, { email: owner, password: PASSWORD })
      t.equal((await signin(app, '203.0.113.10', owner, PASSWORD)).statusCode, 200, 'the owner signs in from home')
      const attack: number[] = []
      for (let c = 0; c < 4; c++) {
        for (let i = 0; i < 5; i++) attack.push((await signin(app, `198.51.100.${100 + c}`, owner, WRONG)).statusCode)
      }
      t.equal(attack.filter((s) => s === 401).length, 10, 'the account\'s ten failures are spent')
      t.equal(attack.filter((s) => s === 429).length, 10)
      t.equal((await signin(app, '198.51.100.200', owner, PASSWORD)).statusCode, 429,
        'an address new to the account meets the account\'s limit')
      t.equal((await signin(app, '203.0.113.10', owner, PASSWORD)).statusCode, 200,
        'the owner, from home, with the right password: in')
      const again = await signin(app, '203.0.113.10', owner, PASSWORD)
      t.equal(again.statusCode, 200, 'and again: a success gives its slot back')
      for (let i = 0; i < 5; i++) t.equal((await signin(app, '203.0.113.10', owner, WRONG)).statusCode, 401)
      t.equal((await signin(app, '203.0.113.10', owner, PASSWORD)).statusCode, 429,
        'the home address still has a budget of its own, not an unlimited one')
    })

  // Found: POST /signup, then POST /signin with the caller's own password, answered 401 for an
  // address with an account and 403 account_unconfirmed for a free one.
  t.test('no sequence of signup, sign-in, confirm and resend tells who has an account', async (t) => {
    const app = await limited(t, tables)
    const taken = email()
    await signUpConfirmed(app, { email: taken, password: 'Owner-Secret-9' })
    const free = email()
    const probe = async (who: string, ip: string): Promise<unknown[]> => {
      const shape = (res: LightMyRequestResponse): unknown => ({ status: res.statusCode, body: res.json() })
      const caller = 'Attacker-Pass-1'
      const signup = await app.inject(from(ip,
        { method: 'POST', url: '/signup', payload: { email: who, password: caller } }))
      const first = await signin(app, ip, who, caller)
      const wrong = await signin(app, ip, who, 'Attacker-Pass-2')
      const code = await confirm(app, ip, who, '000000', caller)
      const resend = await app.inject(from(ip, { method: 'POST', url: '/signup/resend', payload: { email: who } }))
      // Everything but the address echoed back and the request's own id.
      const normalize = (r: LightMyRequestResponse): unknown => {
        const s = shape(r) as { body: { email?: string; requestId?: string } }
        if (s.body.email !== undefined) s.body.email = 'x'
        delete s.body.requestId
        return s
      }
      return [signup, first, wrong, code, resend].map(normalize)
    }
    const answers = { taken: await probe(taken, '192.0.2.60'), free: await probe(free, '192.0.2.61') }
    t.same(answers.free, answers.taken, 'the same answers, step by step')
    t.match(answers.free[1], { status: 401, body: { code: 'invalid_credentials' } },
      'an unconfirmed account with its right password: a wrong password\'s 401')
    // The owner of the free address learns it from the inbox: the signup's code and, again, the
    // sign-in's and the resend's.
    const codes = await until('three codes for the free address', async () => {
      const mails = (await mailbox(free)).filter((m) => /confirmation code/i.test(m.subject))
      return mails.length >= 3 ? mails : undefined
    })
    t.equal(codes.length, 3, 'signup, sign-in with the right password and resend each mailed the code')
  })

  // Found: the app client was public and its id is in every token: SignUp, ConfirmSignUp and
  // InitiateAuth called on Cognito directly met none of the API's limits.
  t.test('Cognito around the API: the client is confidential, a call without its SECRET_HASH is refused', async (t) => {
    const app = await limited(t, tables)
    const owner = email()
    await signUpConfirmed(app, { email: owner, password: PASSWORD })
    const env = stackEnv()
    const cognito = cognitoAdmin()
    t.teardown(() => { cognito.destroy() })
    const ClientId = env.USER_POOL_CLIENT_ID
    const direct = {
      SignUp: async (hash?: string) => await cognito.send(new SignUpCommand({
        ClientId, Username: email(), Password: PASSWORD, ...(hash !== undefined ? { SecretHash: hash } : {})
      })),
      ConfirmSignUp: async (hash?: string) => await cognito.send(new ConfirmSignUpCommand({
        ClientId, Username: owner, ConfirmationCode: '000000', ...(hash !== undefined ? { SecretHash: hash } : {})
      })),
      InitiateAuth: async (hash?: string) => await cognito.send(new InitiateAuthCommand({
        ClientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: owner, PASSWORD, ...(hash !== undefined ? { SECRET_HASH: hash } : {}) }
      }))
    }
    for (const [name, call] of Object.entries(direct)) {
      await t.rejects(call(), { name: 'NotAuthorizedException', message: /SECRET_HASH was not received/ },
        `${name} without SECRET_HASH`)
      await t.rejects(call('d3Jvbmc='), { name: 'NotAuthorizedException', message: /Unable to verify secret hash/ },
        `${name} with a guessed one`)
    }
    const signedIn = await direct.InitiateAuth(secretHash(env.USER_POOL_CLIENT_SECRET!, owner, ClientId!))
    t.ok(signedIn.AuthenticationResult?.IdToken, 'only the holder of the client secret (the API) gets through')
    const viaApi = await signin(app, '192.0.2.100', owner, PASSWORD)
    t.equal(viaApi.statusCode, 200, 'the API signs its calls')
    const refreshed = await app.inject({
      method: 'POST',
      url: '/token/refresh',
      payload: { refreshToken: viaApi.json().refreshToken }
    })
    t.equal(refreshed.statusCode, 200, 'and refreshes with the client secret (GetTokensFromRefreshToken)')
  })

  // Found: 20 signups of one free address from 20 clients mailed it 20 codes.
  t.test('a cap per recipient on every mail of the account flow, across routes and clients', async (t) => {
    const app = await limited(t, tables, { MAIL_CAP_PER_ADDRESS: '3' })
    const inbox = email()
    const answers: number[] = []
    for (let i = 0; i < 6; i++) {
      answers.push((await app.inject(from(`192.0.2.${70 + i}`,
        { method: 'POST', url: '/signup', payload: { email: inbox, password: PASSWORD } }))).statusCode)
    }
    answers.push((await app.inject(from('192.0.2.80',
      { method: 'POST', url: '/signup/resend', payload: { email: inbox } }))).statusCode)
    answers.push((await signin(app, '192.0.2.81', inbox, PASSWORD)).statusCode)
    t.same(answers, [202, 202, 202, 202, 202, 202, 202, 401], 'every answer as usual')
    const mails = await until('the capped mails',
      async () => { const m = await mailbox(inbox); return m.length >= 3 ? m : undefined })
    t.equal(mails.length, 3, 'three mails reached the inbox, whatever was asked after')

    // A taken address: the "someone signed up with your address" notice counts against the same cap.
    const taken = email()
    await signUpConfirmed(app, { email: taken, password: PASSWORD }) // its code: one
    const resend = { method: 'POST' as const, url: '/signup/resend', payload: { email: taken } }
    for (let i = 0; i < 2; i++) t.equal((await app.inject(from('192.0.2.90', resend))).statusCode, 202)
    const again = { method: 'POST' as const, url: '/signup', payload: { email: taken, password: PASSWORD } }
    t.equal((await app.inject(from('192.0.2.91', again))).statusCode, 202)
    t.same((await mailbox(taken)).map((m) => /confirmation code/i.test(m.subject)), [true],
      'the resends spent the cap: no notice went out')
  })
})
