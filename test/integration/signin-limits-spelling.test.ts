// The sign-in failure budget belongs to the account, however its address is spelled: the pool's
// usernames are case-insensitive, so `Victim@`, `VICTIM@` and `victim@` are one account and must
// share one budget (else each spelling would buy an attacker a fresh set of guesses). And the
// shipped defaults, with no limit set in the environment, are the ones that apply.
// Over the routes only: how the limiter keys its counters is its own business.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { build } from '../helpers/app.js'
import { createTables, stackEnv, type TestTables } from '../helpers/stack.js'
import { signUpConfirmed } from '../helpers/accounts.js'
import { RATE_LIMIT_DEFAULTS } from '../../core/config.js'
import { SIGNIN_FAILURE_WINDOW_MS } from '../../plugins/rate-limit.js'
import { middleOfNextWindow } from '../helpers/limit-clock.js'

const PASSWORD = 'Correct-Horse-1'
const WRONG = 'Wrong-Pass-1'

const middleOfWindow = (): number => middleOfNextWindow(SIGNIN_FAILURE_WINDOW_MS)

interface Teardown { teardown: (fn: () => unknown) => void }
type Env = Record<string, string>

async function limitedApp (t: Teardown, tables: TestTables, env: Env = {}): Promise<FastifyInstance> {
  const now = middleOfWindow()
  return await build(t, { env: { ...stackEnv(), ...tables, RATE_LIMITS: 'on', ...env }, deps: { clock: () => now } })
}

async function signin (app: FastifyInstance, ip: string, email: string, pass: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/signin', remoteAddress: ip, payload: { email, password: pass } })
}

t.test('sign-in limits', async (t) => {
  const tables = await createTables(t)

  t.test('every spelling of one address spends the same failure budget', async (t) => {
    const app = await limitedApp(t, tables,
      { RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT_CLIENT: '3', RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '6' })
    const local = `victim-${randomUUID().slice(0, 8)}`
    const victim = `${local}@example.com`
    await signUpConfirmed(app, { email: victim, password: PASSWORD })
    t.equal((await signin(app, '203.0.113.1', `${local.toUpperCase()}@EXAMPLE.COM`, PASSWORD)).statusCode, 200,
      'the account signs in under any capitalisation (one account)')

    // A padded address is no address: refused before it reaches the limiter or Cognito.
    const padded = await signin(app, '203.0.113.1', ` ${victim} `, WRONG)
    t.equal(padded.statusCode, 400, 'a padded address is refused by validation')
    t.equal(padded.json().code, 'validation_failed')

    // Three spellings, one wrong password each, from one address: the third failure fills the budget of 3.
    const spellings = [`V${local.slice(1)}@example.com`, `${local.toUpperCase()}@EXAMPLE.COM`, `${local}@Example.Com`]
    for (const spelling of spellings) {
      t.equal((await signin(app, '203.0.113.1', spelling, WRONG)).statusCode, 401, `${spelling}: 401`)
    }
    for (const spelling of [victim, ...spellings]) {
      const res = await signin(app, '203.0.113.1', spelling, PASSWORD)
      t.equal(res.statusCode, 429, `${spelling}: refused, even with the right password`)
      t.match(res.json().detail, /failed sign-ins for this account from this address/)
    }

    // The account's own ceiling (6) is shared by the spellings too, across addresses.
    for (const [i, spelling] of spellings.entries()) {
      t.equal((await signin(app, `203.0.113.${10 + i}`, spelling, WRONG)).statusCode, 401)
    }
    const locked = await signin(app, '203.0.113.99', victim.toUpperCase(), PASSWORD)
    t.equal(locked.statusCode, 429, 'a fresh address is refused: the spellings together reached the account\'s ceiling')
    t.match(locked.json().detail, /failed sign-ins for this account;/)
  })

  t.test('the shipped defaults apply when the environment sets no limit', async (t) => {
    // Only RATE_LIMITS: 'on' (the test helper turns limits off); every number is the default.
    const app = await limitedApp(t, tables)
    const victim = `defaults-${randomUUID().slice(0, 8)}@example.com`
    await signUpConfirmed(app, { email: victim, password: PASSWORD })
    // The documented default, written out: a changed default must change this test too.
    const perAccountClient = 5
    t.equal(RATE_LIMIT_DEFAULTS.signinFailuresPerAccountClient, perAccountClient,
      'the shipped default: five failures per account and address')

    const statuses: number[] = []
    for (let i = 0; i < perAccountClient; i++) {
      statuses.push((await signin(app, '198.18.0.1', victim, WRONG)).statusCode)
    }
    t.same(statuses, Array(perAccountClient).fill(401), `${perAccountClient} wrong passwords are each answered`)
    const refused = await signin(app, '198.18.0.1', victim, PASSWORD)
    t.equal(refused.statusCode, 429, 'the next attempt is refused, even with the right password')
    t.equal(refused.headers['ratelimit-limit'], String(perAccountClient))
    t.equal((await signin(app, '198.18.0.2', victim, PASSWORD)).statusCode, 200, 'another address still signs in')
  })
})
