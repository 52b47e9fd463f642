// The rate limits against DynamoDB Local (their counters) and cognito-local (sign-in): each limit
// refuses with a 429 in the problem format with Retry-After and RateLimit-* headers; two app
// instances (two Lambda containers) share one budget; the client's address is the socket's (API
// Gateway's sourceIp), so a forged X-Forwarded-For changes nothing; windows end on the clock.
// Small limits keep it fast; the clock is the test's.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import awsLambdaFastify from '@fastify/aws-lambda'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { build } from '../helpers/app.js'
import { createTables, stackEnv, type TestTables } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { codeFromMailbox, signUpConfirmed } from '../helpers/accounts.js'
import { LOCAL_DEFAULTS } from '../../core/config.js'
import { SIGNIN_FAILURE_WINDOW_MS } from '../../plugins/rate-limit.js'
import { middleOfNextWindow } from '../helpers/limit-clock.js'

const PASSWORD = 'Correct-Horse-1'
const email = (): string => `limits-${randomUUID().slice(0, 8)}@example.com`

function testClock (): { now: () => number; advance: (ms: number) => void } {
  // No window ends while a test runs unless it says so; counters expire in the real future.
  let now = middleOfNextWindow(SIGNIN_FAILURE_WINDOW_MS)
  return { now: () => now, advance: (ms) => { now += ms } }
}

interface Setup { tables: TestTables; clock: ReturnType<typeof testClock> }

async function limited (
  t: { teardown: (fn: () => unknown) => void },
  s: Setup,
  env: Record<string, string> = {}
): Promise<FastifyInstance> {
  return await build(
    t,
    { env: { ...stackEnv(), ...s.tables, RATE_LIMITS: 'on', ...env }, deps: { clock: s.clock.now } }
  )
}

const from = (ip: string, options: InjectOptions): InjectOptions => ({ ...options, remoteAddress: ip })

type Assert = (...args: any[]) => unknown
interface Test { equal: Assert; match: Assert; ok: Assert }

function assertRefused (t: Test, res: LightMyRequestResponse, limit: number, what: RegExp): void {
  t.equal(res.statusCode, 429, `refused: ${res.body.slice(0, 120)}`)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 429, code: 'rate_limited', title: 'Too Many Requests', detail: what })
  const retryAfter = Number(res.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After in seconds (${res.headers['retry-after']})`)
  t.equal(res.headers['ratelimit-limit'], String(limit))
  t.equal(res.headers['ratelimit-remaining'], '0')
  t.equal(res.headers['ratelimit-reset'], String(retryAfter))
}

t.test('rate limits', async (t) => {
  const tables = await createTables(t)

  t.test('sign-up and refresh: per client address, counted before the body is read', async (t) => {
    const s = { tables, clock: testClock() }
    const app = await limited(t, s, { RATE_LIMIT_SIGNUP_PER_IP: '3', RATE_LIMIT_REFRESH_PER_IP: '2' })
    for (let i = 0; i < 3; i++) {
      const res = await app.inject(from('198.51.100.1', { method: 'POST', url: '/signup', payload: {} }))
      t.equal(res.statusCode, 400, 'an invalid body is answered, and counted')
      t.equal(res.headers['ratelimit-remaining'], String(2 - i), 'the budget left is in every answer')
    }
    assertRefused(
      t,
      await app.inject(
        from('198.51.100.1', { method: 'POST', url: '/signup', payload: { email: email(), password: PASSWORD } })
      ),
      3,
      /sign-ups/
    )
    t.equal(
      (await app.inject(from('198.51.100.2', { method: 'POST', url: '/signup', payload: {} }))).statusCode,
      400,
      'another address has its own budget'
    )

    for (let i = 0; i < 2; i++) {
      t.equal(
        (await app.inject(from('198.51.100.1', { method: 'POST', url: '/token/refresh', payload: {} }))).statusCode,
        400
      )
    }
    assertRefused(
      t,
      await app.inject(from('198.51.100.1', { method: 'POST', url: '/token/refresh', payload: {} })),
      2,
      /token refreshes/
    )
    t.equal(
      (await app.inject(from('198.51.100.1', { method: 'POST', url: '/signup', payload: {} }))).statusCode,
      429,
      'each route has its own counter: sign-up is still refused, not reset'
    )

    s.clock.advance(60 * 60_000)
    t.equal(
      (await app.inject(from('198.51.100.1', { method: 'POST', url: '/signup', payload: {} }))).statusCode,
      400,
      'the next window starts afresh'
    )
  })

  t.test('sign-in: failures per account and client, per account, attempts per client; unknown emails ' +
    'alike', async (t) => {
    const s = { tables, clock: testClock() }
    const env = {
      RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT_CLIENT: '3',
      RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '5',
      RATE_LIMIT_SIGNIN_PER_IP: '30'
    }
    const app = await limited(t, s, env)
    const known = email()
    await signUpConfirmed(app, { email: known, password: PASSWORD })
    const signin = async (ip: string, who: string, password: string): Promise<LightMyRequestResponse> =>
      await app.inject(from(ip, { method: 'POST', url: '/signin', payload: { email: who, password } }))

    t.equal((await signin('192.0.2.1', known, PASSWORD)).statusCode, 200, 'the right password signs in')
    for (const who of [known, email()]) {
      const statuses: number[] = []
      for (let i = 0; i < 3; i++) statuses.push((await signin('192.0.2.1', who, 'Wrong-Pass-1')).statusCode)
      t.same(statuses, [401, 401, 401], 'three wrong passwords: three 401s')
      const locked = await signin('192.0.2.1', who, PASSWORD)
      assertRefused(t, locked, 3, /failed sign-ins for this account from this address/)
      t.ok(Number(locked.headers['retry-after']) > 60, 'refused until the 15-minute window ends')
    }
    const unknown = email()
    for (let i = 0; i < 3; i++) await signin('192.0.2.9', unknown, 'Wrong-Pass-1')
    t.same((await signin('192.0.2.9', unknown, 'Wrong-Pass-1')).json().detail, (await signin(
      '192.0.2.1',
      known,
      'Wrong-Pass-1'
    )).json().detail,
    'an unknown email is refused exactly like a known one')

    t.equal(
      (await signin('192.0.2.2', known, PASSWORD)).statusCode,
      200,
      'one address cannot lock the owner out from another'
    )
    // Two more failures from other addresses reach the account's ceiling of 5: every address is refused.
    t.equal((await signin('192.0.2.3', known, 'Wrong-Pass-1')).statusCode, 401)
    t.equal((await signin('192.0.2.4', known, 'Wrong-Pass-1')).statusCode, 401)
    assertRefused(t, await signin('192.0.2.5', known, PASSWORD), 5, /failed sign-ins for this account/)

    s.clock.advance(SIGNIN_FAILURE_WINDOW_MS)
    t.equal((await signin('192.0.2.1', known, PASSWORD)).statusCode, 200, 'the next window starts afresh')

    // Attempts per client address, whichever accounts they name.
    const burst = await limited(t, s, { RATE_LIMIT_SIGNIN_PER_IP: '4' })
    const answers: number[] = []
    for (let i = 0; i < 4; i++) {
      answers.push(
        (await burst.inject(
          from('192.0.2.77', { method: 'POST', url: '/signin', payload: { email: email(), password: 'Wrong-Pass-1' } })
        )).statusCode
      )
    }
    t.same(answers, [401, 401, 401, 401])
    assertRefused(
      t,
      await burst.inject(
        from('192.0.2.77', { method: 'POST', url: '/signin', payload: { email: known, password: PASSWORD } })
      ),
      4,
      /sign-in attempts from this address/
    )
  })

  // The account routes: confirming is guarded like sign-in (a wrong code is a failure on the
  // account); a new code mails someone, so it is limited like sign-up, per address or per user.
  t.test('signup confirmation, new codes and email verification', async (t) => {
    const s = { tables, clock: testClock() }
    const app = await limited(
      t,
      s,
      {
        RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT_CLIENT: '3',
        RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '5',
        RATE_LIMIT_SIGNUP_PER_IP: '2'
      }
    )
    const pending = email()
    t.equal(
      (await app.inject(
        from('192.0.2.180', { method: 'POST', url: '/signup', payload: { email: pending, password: PASSWORD } })
      )).statusCode,
      202
    )
    const code = await codeFromMailbox(pending)
    const wrong = code === '000000' ? '111111' : '000000'
    const confirm = async (ip: string, who: string, c: string): Promise<LightMyRequestResponse> =>
      await app.inject(
        from(ip, { method: 'POST', url: '/signup/confirm', payload: { email: who, code: c, password: PASSWORD } })
      )
    for (const who of [pending, email()]) {
      const answers = []
      for (let i = 0; i < 3; i++) answers.push((await confirm('192.0.2.181', who, wrong)).json().code)
      t.same(answers, ['invalid_code', 'invalid_code', 'invalid_code'], 'three wrong codes: three 400s')
      assertRefused(t, await confirm('192.0.2.181', who, code), 3, /wrong codes for this account from this address/)
    }
    // (A confirmed account answers 200 to any code with its password, so the owner confirms last.)
    t.equal(
      (await confirm('192.0.2.182', pending, wrong)).json().code,
      'invalid_code',
      'one address cannot lock the account out from another'
    )
    t.equal((await confirm('192.0.2.183', pending, wrong)).json().code, 'invalid_code')
    assertRefused(t, await confirm('192.0.2.184', pending, code), 5, /wrong codes for this account;/)
    s.clock.advance(SIGNIN_FAILURE_WINDOW_MS)
    t.equal((await confirm('192.0.2.184', pending, code)).statusCode, 200, 'the next window: the right code confirms')

    const resend = async (ip: string): Promise<number> =>
      (await app.inject(from(ip, { method: 'POST', url: '/signup/resend', payload: { email: email() } }))).statusCode
    t.same([await resend('192.0.2.185'), await resend('192.0.2.185')], [202, 202])
    assertRefused(
      t,
      await app.inject(from('192.0.2.185', { method: 'POST', url: '/signup/resend', payload: { email: email() } })),
      2,
      /confirmation codes asked from this address/
    )
    t.equal(await resend('192.0.2.186'), 202, 'another address has its own budget')

    const issuer = await startTestIssuer()
    t.teardown(issuer.close)
    const mine = await limited(
      t,
      s,
      { ...issuer.env, RATE_LIMIT_SIGNUP_PER_IP: '2', RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '2' }
    )
    const token = { authorization: `Bearer ${issuer.token({ sub: `ver-${randomUUID()}`, tokenUse: 'access' })}` }
    t.equal(
      (await mine.inject({ method: 'POST', url: '/me/email/code' })).statusCode,
      401,
      'no token: 401, not counted'
    )
    for (let i = 0; i < 2; i++) {
      t.not(
        (await mine.inject({ method: 'POST', url: '/me/email/code', headers: token })).statusCode,
        429
      )
    }
    assertRefused(
      t,
      await mine.inject({ method: 'POST', url: '/me/email/code', headers: token }),
      2,
      /verification codes for this account/
    )
    for (let i = 0; i < 2; i++) {
      t.equal(
        (await mine.inject({
          method: 'POST',
          url: '/me/email/verify',
          headers: token,
          payload: { code: 'x' }
        })).statusCode,
        400
      )
    }
    assertRefused(
      t,
      await mine.inject({ method: 'POST', url: '/me/email/verify', headers: token, payload: { code: '123456' } }),
      2,
      /verification attempts for this account/
    )
  })

  t.test('two app instances (two containers) share one account\'s budget', async (t) => {
    const s = { tables, clock: testClock() }
    const env = { RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT_CLIENT: '4' }
    const [a, b] = [await limited(t, s, env), await limited(t, s, env)]
    const victim = email()
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      const app = i % 2 === 0 ? a : b
      statuses.push(
        (await app.inject(
          from('192.0.2.50', { method: 'POST', url: '/signin', payload: { email: victim, password: 'Wrong-Pass-1' } })
        )).statusCode
      )
    }
    t.same(statuses, [401, 401, 401, 401], 'two failures in each container')
    for (const app of [a, b]) {
      const res = await app.inject(
        from('192.0.2.50', { method: 'POST', url: '/signin', payload: { email: victim, password: 'Wrong-Pass-1' } })
      )
      t.equal(res.statusCode, 429, 'both containers refuse: the budget was one')
    }

    const orders = await startTestIssuer()
    t.teardown(orders.close)
    const ordersEnv = { ...orders.env, RATE_LIMIT_ORDERS_PER_USER: '3' }
    const [c, d] = [await limited(t, s, ordersEnv), await limited(t, s, ordersEnv)]
    const token = { authorization: `Bearer ${orders.token({ sub: `user-${randomUUID()}` })}` }
    const placed = []
    for (let i = 0; i < 3; i++) {
      placed.push(
        (await (i % 2 === 0 ? c : d).inject({
          method: 'POST',
          url: '/orders',
          headers: token,
          payload: { items: [] }
        })).statusCode
      )
    }
    t.same(placed, [400, 400, 400])
    assertRefused(
      t,
      await d.inject({ method: 'POST', url: '/orders', headers: token, payload: { items: [] } }),
      3,
      /orders from this account/
    )
  })

  t.test('orders per user and partner calls per key, counted only once the caller is known', async (t) => {
    const s = { tables, clock: testClock() }
    const issuer = await startTestIssuer()
    t.teardown(issuer.close)
    const app = await limited(t, s, { ...issuer.env, RATE_LIMIT_ORDERS_PER_USER: '2', RATE_LIMIT_PARTNER_PER_KEY: '2' })
    const ada = { authorization: `Bearer ${issuer.token({ sub: `ada-${randomUUID()}` })}` }
    const bob = { authorization: `Bearer ${issuer.token({ sub: `bob-${randomUUID()}` })}` }
    for (let i = 0; i < 5; i++) {
      t.equal(
        (await app.inject({ method: 'POST', url: '/orders', payload: { items: [] } })).statusCode,
        401,
        'no token: 401, not counted'
      )
    }
    for (let i = 0; i < 2; i++) {
      t.equal(
        (await app.inject({ method: 'POST', url: '/orders', headers: ada, payload: { items: [] } })).statusCode,
        400
      )
    }
    assertRefused(
      t,
      await app.inject({ method: 'POST', url: '/orders', headers: ada, payload: { items: [] } }),
      2,
      /orders/
    )
    t.equal(
      (await app.inject({ method: 'POST', url: '/orders', headers: bob, payload: { items: [] } })).statusCode,
      400,
      'another user has their own budget'
    )
    t.equal((await app.inject({ url: '/orders', headers: ada })).statusCode, 200, 'only placing orders is limited')

    const warehouse = { 'x-api-key': LOCAL_DEFAULTS.WAREHOUSE_API_KEY }
    for (let i = 0; i < 3; i++) {
      t.equal(
        (await app.inject({
          method: 'POST',
          url: '/orderpacked/no-such-order',
          headers: { 'x-api-key': 'wrong-key-0123456789abcdef' }
        })).statusCode,
        401,
        'a wrong key: 401, not counted'
      )
    }
    for (let i = 0; i < 2; i++) {
      t.equal(
        (await app.inject({ method: 'POST', url: '/orderpacked/no-such-order', headers: warehouse })).statusCode,
        404
      )
    }
    assertRefused(
      t,
      await app.inject({ method: 'POST', url: '/orderpacked/no-such-order', headers: warehouse }),
      2,
      /calls with this API key/
    )
    t.equal(
      (await app.inject({
        method: 'POST',
        url: '/orderdelivered/no-such-order',
        headers: { 'x-api-key': LOCAL_DEFAULTS.DELIVERY_API_KEY }
      })).statusCode,
      404,
      'the other partner is not limited by it'
    )
  })

  t.test('the client address is the socket\'s, or API Gateway\'s sourceIp: a forged X-Forwarded-For changes ' +
    'nothing', async (t) => {
    const s = { tables, clock: testClock() }
    const app = await limited(t, s, { RATE_LIMIT_SIGNUP_PER_IP: '2' })
    for (let i = 0; i < 2; i++) {
      t.equal(
        (await app.inject(
          from(
            '198.51.100.30',
            { method: 'POST', url: '/signup', payload: {}, headers: { 'x-forwarded-for': `10.0.0.${i}` } }
          )
        )).statusCode,
        400
      )
    }
    for (const forged of ['10.9.9.9', '10.9.9.9, 198.51.100.31', '198.51.100.31']) {
      t.equal((await app.inject(
        from(
          '198.51.100.30',
          {
            method: 'POST',
            url: '/signup',
            payload: {},
            headers: { 'x-forwarded-for': forged, 'x-real-ip': '10.1.1.1' }
          }
        )
      )).statusCode, 429,
        `X-Forwarded-For: ${forged} does not reset the limit`)
    }

    // Through @fastify/aws-lambda, as deployed: API Gateway's sourceIp is the address.
    const proxy = awsLambdaFastify(app, { decorateRequest: false })
    const event = (sourceIp: string, xff: string): unknown => {
      const e = JSON.parse(readFileSync(new URL('../../events/http-get-item.json', import.meta.url), 'utf8'))
      Object.assign(e, { rawPath: '/signup', rawQueryString: '', body: '{}', isBase64Encoded: false })
      e.requestContext.http.method = 'POST'
      e.requestContext.http.path = '/signup'
      e.requestContext.http.sourceIp = sourceIp
      // API Gateway appends the real address to whatever the client sent.
      e.headers = { ...e.headers, 'content-type': 'application/json', 'x-forwarded-for': `${xff}, ${sourceIp}` }
      return e
    }
    const invoke = async (sourceIp: string, xff: string): Promise<number> =>
      ((await proxy(event(sourceIp, xff) as never, {} as never)) as { statusCode: number }).statusCode
    t.same([
      await invoke('203.0.113.70', '1.1.1.1'),
      await invoke('203.0.113.70', '2.2.2.2'),
      await invoke('203.0.113.70', '3.3.3.3')
    ], [400, 400, 429],
    'three calls from one sourceIp, each with a different forged X-Forwarded-For: the third is refused')
    t.equal(
      await invoke('203.0.113.71', '203.0.113.70'),
      400,
      'another sourceIp has its own budget, whatever it forges'
    )
  })

  t.test('DynamoDB calls: none more for public reads, one limited request (sign-in: 1 failed, 3 good)', async (t) => {
    const s = { tables, clock: testClock() }
    const issuer = await startTestIssuer()
    t.teardown(issuer.close)
    const counted = async (env: Record<string, string>): Promise<{ app: FastifyInstance; calls: string[] }> => {
      const app = await limited(t, s, env)
      const calls: string[] = []
      app.aws.ddb.middlewareStack.add((next, context) => async (args) => {
        calls.push(`${String(context.commandName)} ${String((args.input as { TableName?: string }).TableName ?? '')}`)
        return await next(args)
      }, { step: 'initialize', name: 'countCalls' })
      return { app, calls }
    }
    const { app, calls } = await counted(issuer.env)
    await app.inject({ url: '/items/some-item' })
    await app.inject({ url: '/items?limit=2' })
    await app.inject({ url: '/categories' })
    t.notOk(
      calls.some((c) => c.includes(tables.RATE_LIMIT_TABLE)),
      `public reads: no call to the rate-limit table (${calls.join('; ')})`
    )
    calls.length = 0
    await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { authorization: `Bearer ${issuer.token()}` },
      payload: { items: [] }
    })
    t.same(calls, [`UpdateItemCommand ${tables.RATE_LIMIT_TABLE}`], 'a limited request: one call, the counter')

    const accounts = await counted({})
    const who = email()
    await signUpConfirmed(accounts.app, { email: who, password: PASSWORD })
    accounts.calls.length = 0
    t.equal(
      (await accounts.app.inject(
        from('192.0.2.90', { method: 'POST', url: '/signin', payload: { email: who, password: PASSWORD } })
      )).statusCode,
      200
    )
    const update = `UpdateItemCommand ${tables.RATE_LIMIT_TABLE}`
    t.same(accounts.calls, ['TransactWriteItemsCommand ', update, update],
      'a sign-in: its transaction over the three limits (reserving a failure slot), then the slot given back and ' +
      'the address remembered')
    accounts.calls.length = 0
    t.equal(
      (await accounts.app.inject(
        from('192.0.2.90', { method: 'POST', url: '/signin', payload: { email: who, password: 'Wrong-Pass-1' } })
      )).statusCode,
      401
    )
    t.same(accounts.calls, ['TransactWriteItemsCommand '],
      'a failed one: the transaction alone (its reserved slot is the failure)')
  })

  t.test('the limiter\'s table unreachable: answered as usual, limited per container, told once', async (t) => {
    const s = { tables, clock: testClock() }
    const app = await limited(
      t,
      s,
      { RATE_LIMIT_TABLE: `missing-${randomUUID().slice(0, 8)}`, RATE_LIMIT_SIGNUP_PER_IP: '2' }
    )
    const warnings: unknown[] = []
    app.log.warn = ((obj: unknown) => { warnings.push(obj) }) as typeof app.log.warn
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await app.inject(from('198.51.100.60', { method: 'POST', url: '/signup', payload: {} }))).statusCode
      )
    }
    t.same(statuses, [400, 400, 429, 429], 'never a 5xx; the limit still holds in this container')
    t.equal(warnings.length, 1, 'one warning for the outage, not one per request')
    t.match(warnings[0], { err: { name: 'ResourceNotFoundException' } })
  })

  t.test('behind the edge: CloudFront-Viewer-Address counts only with the edge secret', async (t) => {
    const s = { tables, clock: testClock() }
    const secret = 'edge-secret-0123456789abcdef'
    const app = await limited(t, s, { RATE_LIMIT_SIGNUP_PER_IP: '1', EDGE_SECRET: secret })
    const edge = (viewer: string, presented = secret): InjectOptions =>
      from(
        '130.176.0.1',
        {
          method: 'POST',
          url: '/signup',
          payload: {},
          headers: { 'cloudfront-viewer-address': viewer, 'x-edge-secret': presented }
        }
      )
    t.equal((await app.inject(edge('198.51.100.40:5000'))).statusCode, 400)
    t.equal(
      (await app.inject(edge('198.51.100.41:5001'))).statusCode,
      400,
      'another viewer behind the same CloudFront address has its own budget'
    )
    t.equal((await app.inject(edge('198.51.100.40:6000'))).statusCode, 429, 'the viewer, whatever its port')
    t.equal((await app.inject(edge('2001:db8:1:2::7:443'))).statusCode, 400, 'IPv6 viewers')
    t.equal((await app.inject(edge('2001:db8:1:2::8:443'))).statusCode, 429, 'counted by their /64')
    // Without the secret (a caller of the HTTP API's own URL), the header is ignored: the socket counts.
    t.equal((await app.inject(edge('198.51.100.50:1', 'guessed'))).statusCode, 400)
    t.equal(
      (await app.inject(edge('198.51.100.51:1', 'guessed'))).statusCode,
      429,
      'a forged viewer address is not believed'
    )
  })
})
