// The shoppers' client against a scripted API: tokens kept and refreshed once on token_expired,
// the Idempotency-Key made once per order and kept across retries, errors as CommerceProblem.
import t from 'tap'
import { createCommerceClient, type Tokens } from '../src/commerce-client.js'
import { CommerceProblem, isCommerceProblem, UNEXPECTED_RESPONSE } from '../src/problem.js'
import { fakeApi, json, ORDER, problem, recordedSleep, TOKENS, type Sent } from './fake-api.js'

const BASE = 'http://api.test/dev'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const ME = { sub: 'user-1', email: 'ada@example.com', groups: [] }
const bearer = (c: Sent): string | undefined => c.headers.authorization

/** An API whose id tokens `id-1` are expired and whose refresh hands out `id-2`. */
function expiringApi (opts: { refresh?: (sent: Sent) => Response } = {}) {
  return fakeApi((sent) => {
    if (sent.path === '/dev/token/refresh') {
      return opts.refresh?.(sent) ?? json(
        200,
        { idToken: 'id-2', accessToken: 'access-2', expiresIn: 3600, tokenType: 'Bearer', token: 'id-2' }
      )
    }
    if (bearer(sent) === 'Bearer id-1') {
      return problem(401, 'token_expired', {}, { 'www-authenticate': 'Bearer error="invalid_token"' })
    }
    if (sent.path === '/dev/me') return json(200, ME)
    if (sent.path === '/dev/orders' && sent.method === 'POST') return json(201, ORDER)
    return problem(404, 'route_not_found')
  })
}

t.test('signIn keeps the tokens and sends the id token; signOut signs out at the API and forgets them', async (t) => {
  const seen: Array<Tokens | undefined> = []
  const api = fakeApi((sent) => sent.path === '/dev/signin'
    ? json(200, { ...TOKENS, expiresIn: 3600, tokenType: 'Bearer', token: TOKENS.idToken })
    : sent.path === '/dev/signout' ? new Response(null, { status: 204 }) : json(200, ME))
  const client = createCommerceClient({ baseUrl: BASE, fetch: api.fetch, onTokens: (tokens) => seen.push(tokens) })
  const result = await client.signIn({ email: 'ada@example.com', password: 'Correct-Horse-1' })
  t.equal(result.refreshToken, 'refresh-1')
  t.same(client.tokens, TOKENS)
  t.same(seen, [TOKENS], 'onTokens heard of the sign-in')
  t.equal(api.calls[0]!.headers.authorization, undefined, 'sign-in itself carries no token')
  t.same(JSON.parse(api.calls[0]!.body), { email: 'ada@example.com', password: 'Correct-Horse-1' })
  t.same(await client.getMe(), ME)
  t.equal(bearer(api.calls[1]!), 'Bearer id-1')
  await client.signOut()
  t.equal(
    `${api.calls[2]!.method} ${api.calls[2]!.path} ${bearer(api.calls[2]!) ?? '-'}`,
    'POST /dev/signout Bearer id-1',
    'the API signs the user out everywhere'
  )
  t.equal(client.tokens, undefined)
  t.same(seen, [TOKENS, undefined], 'onTokens heard of the sign-out')
  await client.getMe()
  t.equal(bearer(api.calls[3]!), undefined, 'signed out: no token sent')
  await client.signOut()
  t.equal(api.calls.length, 4, 'signing out when signed out calls nothing')
})

t.test('signOut forgets the tokens even when the API cannot be reached', async (t) => {
  const api = fakeApi(() => problem(401, 'token_revoked'))
  const client = createCommerceClient({ baseUrl: BASE, fetch: api.fetch, tokens: TOKENS })
  await t.rejects(client.signOut(), { code: 'token_revoked' })
  t.equal(client.tokens, undefined)
})

t.test('signup, confirm and resend carry no token; the email verification calls carry the access token', async (t) => {
  const api = fakeApi((sent) => {
    if (sent.path === '/dev/signup' || sent.path === '/dev/signup/resend') {
      return json(202, { email: 'ada@example.com', nextStep: 'confirm_signup' })
    }
    if (sent.path === '/dev/signup/confirm') return json(200, { email: 'ada@example.com', confirmed: true })
    if (sent.path === '/dev/me/email/code') return json(202, { nextStep: 'verify_email' })
    if (sent.path === '/dev/me/email/verify') return json(200, { emailVerified: true })
    return problem(404, 'route_not_found')
  })
  const client = createCommerceClient({ baseUrl: BASE, fetch: api.fetch })
  t.same(
    await client.signUp({ email: 'ada@example.com', password: 'Correct-Horse-1' }),
    { email: 'ada@example.com', nextStep: 'confirm_signup' }
  )
  t.same(
    await client.resendConfirmationCode({ email: 'ada@example.com' }),
    { email: 'ada@example.com', nextStep: 'confirm_signup' }
  )
  t.same(
    await client.confirmSignUp({ email: 'ada@example.com', code: '123456', password: 'Correct-Horse-1' }),
    { email: 'ada@example.com', confirmed: true }
  )
  t.same(JSON.parse(api.calls[2]!.body), { email: 'ada@example.com', code: '123456', password: 'Correct-Horse-1' })
  t.ok(api.calls.every((c) => bearer(c) === undefined), 'no token on the account calls')
  await t.rejects(client.sendEmailVerificationCode(), /Not signed in/)
  client.setTokens(TOKENS)
  t.same(await client.sendEmailVerificationCode(), { nextStep: 'verify_email' })
  t.same(await client.verifyEmail({ code: '654321' }), { emailVerified: true })
  t.same(
    api.calls.slice(3).map(bearer),
    [`Bearer ${TOKENS.accessToken}`, `Bearer ${TOKENS.accessToken}`],
    'the access token authorizes them'
  )
})

t.test('token_expired: one refresh, the call retried with the new token, the refresh token kept', async (t) => {
  const seen: Array<Tokens | undefined> = []
  const api = expiringApi()
  const client = createCommerceClient({
    baseUrl: BASE,
    fetch: api.fetch,
    tokens: TOKENS,
    onTokens: (tokens) => seen.push(tokens)
  })
  t.same(await client.getMe(), ME)
  t.same(api.calls.map((c) => `${c.method} ${c.path} ${bearer(c) ?? '-'}`), [
    'GET /dev/me Bearer id-1', 'POST /dev/token/refresh -', 'GET /dev/me Bearer id-2'
  ])
  t.same(JSON.parse(api.calls[1]!.body), { refreshToken: 'refresh-1' })
  const fresh = { idToken: 'id-2', accessToken: 'access-2', refreshToken: 'refresh-1' }
  t.same(client.tokens, fresh)
  t.same(seen, [fresh], 'onTokens heard of the refresh')
})

t.test('calls that find the token expired together share one refresh', async (t) => {
  const api = expiringApi()
  const client = createCommerceClient({ baseUrl: BASE, fetch: api.fetch, tokens: TOKENS })
  await Promise.all([client.getMe(), client.getMe(), client.getMe()])
  t.equal(api.calls.filter((c) => c.path === '/dev/token/refresh').length, 1, 'one refresh')
  t.equal(api.calls.filter((c) => bearer(c) === 'Bearer id-2').length, 3, 'every call retried with the new token')
})

t.test('a refused refresh ends the session: tokens dropped, the 401 thrown', async (t) => {
  const seen: Array<Tokens | undefined> = []
  const api = expiringApi({ refresh: () => problem(401, 'token_invalid') })
  const client = createCommerceClient({
    baseUrl: BASE,
    fetch: api.fetch,
    tokens: TOKENS,
    onTokens: (tokens) => seen.push(tokens)
  })
  const err = await client.getMe().catch((e: unknown) => e)
  t.ok(isCommerceProblem(err, 'token_expired'), 'the call fails with its own 401')
  t.match(err, { status: 401 })
  t.equal(client.tokens, undefined)
  t.same(seen, [undefined], 'onTokens: signed out')
  t.equal(api.calls.length, 2, 'refreshed once, not retried')
})

t.test('a refresh that fails for another reason keeps the tokens', async (t) => {
  const { sleep } = recordedSleep()
  const api = expiringApi({ refresh: () => problem(500, 'internal_error') })
  const client = createCommerceClient({ baseUrl: BASE, fetch: api.fetch, tokens: TOKENS, sleep })
  await t.rejects(client.getMe(), { code: 'token_expired' })
  t.same(client.tokens, TOKENS)
})

t.test('a 401 that is not token_expired is not refreshed', async (t) => {
  const api = fakeApi(() => problem(401, 'token_invalid'))
  const client = createCommerceClient({ baseUrl: BASE, fetch: api.fetch, tokens: TOKENS })
  await t.rejects(client.getMe(), { code: 'token_invalid', status: 401 })
  t.equal(api.calls.length, 1)
})

t.test('refreshTokens() refreshes on demand; without tokens it says so', async (t) => {
  const api = expiringApi()
  const client = createCommerceClient({ baseUrl: BASE, fetch: api.fetch })
  await t.rejects(client.refreshTokens(), /Not signed in/)
  client.setTokens(TOKENS)
  t.same(await client.refreshTokens(), { idToken: 'id-2', accessToken: 'access-2', refreshToken: 'refresh-1' })
})

t.test('placeOrder: one Idempotency-Key per order, the same on every retry and after a refresh', async (t) => {
  const { sleep } = recordedSleep()
  let busy = 2
  const api = fakeApi((sent) => {
    if (sent.path === '/dev/token/refresh') {
      return json(200, { idToken: 'id-2', accessToken: 'a', expiresIn: 1, tokenType: 'Bearer', token: 'id-2' })
    }
    if (bearer(sent) === 'Bearer id-1') return problem(401, 'token_expired')
    if (busy-- > 0) {
      return busy === 1
        ? problem(503, 'service_busy', {}, { 'retry-after': '1' })
        : json(
          503,
          { message: 'Service Unavailable' }
        )
    }
    return json(201, ORDER)
  })
  const client = createCommerceClient({ baseUrl: BASE, fetch: api.fetch, tokens: TOKENS, sleep })
  const order = await client.placeOrder({ items: [{ id: 'phone-1', count: 1 }] })
  t.equal(order.id, 'ord-1')
  const posts = api.calls.filter((c) => c.path === '/dev/orders')
  t.equal(posts.length, 4, 'expired token, refresh, two busy answers (the API\'s and a gateway\'s), then the order')
  const keys = posts.map((c) => c.headers['idempotency-key'])
  t.match(keys[0], UUID, 'a UUID v4')
  t.same(new Set(keys).size, 1, 'the same key on every attempt')
  t.same(new Set(posts.map((c) => c.body)).size, 1, 'and the same body')

  await client.placeOrder({ items: [{ id: 'phone-1', count: 1 }] })
  const next = api.calls.at(-1)!.headers['idempotency-key']
  t.not(next, keys[0], 'another order, another key')
  await client.placeOrder({ items: [{ id: 'phone-1', count: 1 }] }, { idempotencyKey: 'checkout-42' })
  t.equal(api.calls.at(-1)!.headers['idempotency-key'], 'checkout-42', "the caller's own key when given")
})

t.test('errors are CommerceProblems with status, code, detail and requestId', async (t) => {
  const api = fakeApi((sent) => sent.path === '/dev/orders'
    ? problem(
      409,
      'insufficient_stock',
      { detail: 'Not enough stock for: phone-1', items: [{ id: 'phone-1', requested: 3, available: 1 }] }
    )
    : new Response(
      '<html>Bad Gateway</html>',
      { status: 502, headers: { 'content-type': 'text/html', 'x-request-id': 'gw-1' } }
    ))
  const client = createCommerceClient({ baseUrl: BASE, fetch: api.fetch, tokens: TOKENS })
  const err = await client.placeOrder({ items: [{ id: 'phone-1', count: 3 }] }).catch((e: unknown) => e)
  t.ok(err instanceof CommerceProblem && err instanceof Error)
  const p = err as CommerceProblem
  t.match(
    p,
    {
      name: 'CommerceProblem',
      status: 409,
      code: 'insufficient_stock',
      detail: 'Not enough stock for: phone-1',
      requestId: 'req-insufficient_stock',
      message: 'Not enough stock for: phone-1'
    }
  )
  t.same(p.body.items, [{ id: 'phone-1', requested: 3, available: 1 }], 'the extra members')
  t.ok(isCommerceProblem(err, 'insufficient_stock'))
  t.notOk(isCommerceProblem(err, 'validation_failed'))

  const other = await client.getItem('x').catch((e: unknown) => e)
  t.match(
    other,
    { status: 502, code: UNEXPECTED_RESPONSE, requestId: 'gw-1', detail: '<html>Bad Gateway</html>' },
    'an answer that is not problem details'
  )

  const validation = new CommerceProblem(
    400,
    {
      code: 'validation_failed',
      detail: 'body.items[0].count must be <= 99',
      requestId: 'r',
      errors: [{ path: 'body.items[0].count', message: 'must be <= 99' }]
    }
  )
  t.same(validation.errors, [{ path: 'body.items[0].count', message: 'must be <= 99' }])
})

t.test('catalog and orders: paths, queries and the cancel retried after a lost answer', async (t) => {
  const { sleep } = recordedSleep()
  let cancels = 0
  const api = fakeApi((sent) => {
    if (sent.path.endsWith('/cancel')) {
      return cancels++ === 0
        ? json(503, { message: 'Service Unavailable' })
        : json(
          200,
          { ...ORDER, status: 'cancelled' }
        )
    }
    if (sent.path === '/dev/items') return json(200, { items: [] })
    if (sent.path === '/dev/orders') return json(200, { orders: [ORDER] })
    if (sent.path === '/dev/categories') return json(200, { categories: [] })
    return json(200, ORDER)
  })
  const client = createCommerceClient({ baseUrl: BASE, fetch: api.fetch, tokens: TOKENS, sleep })
  t.same(await client.listItems({ category: 'phone', q: 'black titanium', limit: 5 }), { items: [] })
  t.equal(api.calls[0]!.query, '?category=phone&q=black%20titanium&limit=5')
  await client.listItems()
  t.equal(api.calls[1]!.query, '', 'no query at all')
  t.same(await client.listCategories(), { categories: [] })
  t.same((await client.listOrders({ status: 'placed' })).orders[0]?.id, 'ord-1')
  await client.getOrder('ord 1/x')
  t.equal(api.calls.at(-1)!.path, '/dev/orders/ord%201%2Fx', 'path parameters are encoded')
  t.equal((await client.cancelOrder('ord-1')).status, 'cancelled')
  t.same(api.calls.filter((c) => c.path.endsWith('/cancel')).map((c) =>
    `${c.method} ${c.body === '' ? 'no body' : c.body} ${c.headers['content-type'] ?? 'no type'}`),
  ['POST no body no type', 'POST no body no type'], 'cancelling twice is safe: retried after a gateway 503, ' +
      'without a body')
})
