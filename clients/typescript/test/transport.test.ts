// Retries: backoff with jitter on 429 and 503, Retry-After honoured, never another 4xx; each
// attempt sends the same request again (body and headers).
import t from 'tap'
import { createRetryingFetch, retryAfterMs } from '../src/transport.js'
import { CommerceProblem } from '../src/problem.js'
import { fakeApi, json, problem, recordedSleep } from './fake-api.js'

const URL_ = 'http://api.test/orders'
const post = (headers: Record<string, string> = {}): Request =>
  new Request(
    URL_,
    {
      method: 'POST',
      body: '{"items":[{"id":"a","count":1}]}',
      headers: { 'content-type': 'application/json', ...headers }
    }
  )

/** Answers the scripted responses in order, then 200. */
const script = (...answers: Array<() => Response>) =>
  fakeApi((_sent, calls) => answers[calls.length - 1]?.() ?? json(200, { ok: true }))

t.test('a 503 from the API is retried after its Retry-After, the same request each time', async (t) => {
  const api = script(
    () => problem(503, 'service_busy', {}, { 'retry-after': '2' }),
    () => problem(503, 'service_busy', {}, { 'retry-after': '1' })
  )
  const { sleep, waits } = recordedSleep()
  const res = await createRetryingFetch({ fetch: api.fetch, sleep, random: () => 0.5 })(post())
  t.equal(res.status, 200)
  t.equal(api.calls.length, 3, 'two retries')
  t.same(waits, [2000 + 125, 1000 + 125], 'Retry-After, plus a jitter of up to baseDelayMs')
  t.same(new Set(api.calls.map((c) => c.body)).size, 1, 'the same body on every attempt')
  t.equal(api.calls[2]!.body, '{"items":[{"id":"a","count":1}]}')
})

t.test('a 429 is retried whatever the method (the request was refused, not run)', async (t) => {
  const api = script(() => problem(429, 'rate_limited', {}, { 'retry-after': '1' }))
  const { sleep, waits } = recordedSleep()
  const res = await createRetryingFetch({ fetch: api.fetch, sleep, random: () => 0 })(post())
  t.equal(res.status, 200)
  t.same(waits, [1000])
})

t.test('without Retry-After: exponential backoff with jitter, capped, then the last answer', async (t) => {
  const busy = (): Response => problem(503, 'service_busy')
  const api = script(busy, busy, busy, busy, busy)
  const low = recordedSleep()
  const res = await createRetryingFetch({
    fetch: api.fetch,
    sleep: low.sleep,
    random: () => 0,
    retry: { retries: 4, baseDelayMs: 100, maxDelayMs: 500 }
  })(post())
  t.equal(res.status, 503, 'the last answer once the retries are spent')
  t.equal(api.calls.length, 5, 'the first attempt and 4 retries')
  t.same(low.waits, [50, 100, 200, 250], 'at least half of base x 2^attempt (capped at maxDelayMs)')
  const high = recordedSleep()
  await createRetryingFetch({
    fetch: script(busy, busy, busy).fetch,
    sleep: high.sleep,
    random: () => 0.999999,
    retry: { baseDelayMs: 100, maxDelayMs: 500 }
  })(post())
  t.same(high.waits.map(Math.round), [100, 200, 400], 'at most base x 2^attempt')
})

t.test('a Retry-After longer than maxDelayMs is not waited for: the caller sees it', async (t) => {
  const api = script(() => problem(429, 'rate_limited', {}, { 'retry-after': '120' }))
  const { sleep, waits } = recordedSleep()
  const res = await createRetryingFetch({ fetch: api.fetch, sleep })(post())
  t.equal(res.status, 429)
  t.same(waits, [])
  t.equal(new CommerceProblem(res.status, await res.json(), res.headers).retryAfterSeconds, 120)
})

t.test('never another 4xx, nor a 500', async (t) => {
  for (const status of [400, 401, 403, 404, 409, 413, 415, 422, 500, 502]) {
    const api = script(() => problem(status, 'nope'))
    const { sleep, waits } = recordedSleep()
    const res = await createRetryingFetch({ fetch: api.fetch, sleep })(post({ 'idempotency-key': 'k' }))
    t.equal(res.status, status)
    t.same([api.calls.length, waits.length], [1, 0], `${status}: one attempt`)
  }
})

t.test("a 503 that is not the API's own (a gateway's) is retried only when the request may run twice", async (t) => {
  const gateway = (): Response => json(503, { message: 'Service Unavailable' })
  const { sleep } = recordedSleep()
  const once = script(gateway)
  t.equal(
    (await createRetryingFetch({ fetch: once.fetch, sleep })(post())).status,
    503,
    'a POST without a key may have run: not retried'
  )
  t.equal(once.calls.length, 1)
  const keyed = script(gateway)
  t.equal(
    (await createRetryingFetch({ fetch: keyed.fetch, sleep })(post({ 'idempotency-key': 'k-1' }))).status,
    200,
    'with an Idempotency-Key it is retried'
  )
  t.same(keyed.calls.map((c) => c.headers['idempotency-key']), ['k-1', 'k-1'], 'with the same key')
  const get = script(gateway)
  t.equal((await createRetryingFetch({ fetch: get.fetch, sleep })(new Request(URL_))).status, 200, 'a GET is retried')
  const marked = script(gateway)
  t.equal(
    (await createRetryingFetch({ fetch: marked.fetch, sleep, repeatable: () => true })(post())).status,
    200,
    'and what `repeatable` allows'
  )
})

t.test('network errors: retried when the request may run twice, thrown otherwise', async (t) => {
  const { sleep } = recordedSleep()
  let calls = 0
  const flaky = async (): Promise<Response> => {
    if (calls++ === 0) throw new TypeError('fetch failed'); return json(
      200,
      {}
    )
  }
  t.equal((await createRetryingFetch({ fetch: flaky, sleep })(new Request(URL_))).status, 200)
  calls = 0
  await t.rejects(
    createRetryingFetch({ fetch: flaky, sleep })(post()),
    /fetch failed/,
    'a POST without a key is not sent twice'
  )
})

t.test('an abort stops the pauses', async (t) => {
  const controller = new AbortController()
  const api = script(() => { controller.abort(new Error('user left')); return problem(503, 'service_busy') })
  await t.rejects(
    createRetryingFetch({ fetch: api.fetch })(new Request(URL_, { signal: controller.signal })),
    /user left/
  )
  t.equal(api.calls.length, 1)
})

t.test('retry: false sends once', async (t) => {
  const api = script(() => problem(503, 'service_busy'))
  t.equal((await createRetryingFetch({ fetch: api.fetch, retry: false })(post())).status, 503)
  t.equal(api.calls.length, 1)
})

t.test('Retry-After: seconds or an HTTP date', async (t) => {
  t.equal(retryAfterMs('3'), 3000)
  t.equal(retryAfterMs(' 0 '), 0)
  t.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000)
  t.equal(retryAfterMs(new Date(1_000).toUTCString(), 4_000), 0, 'a date in the past: no wait')
  t.equal(retryAfterMs('soon'), undefined)
  t.equal(retryAfterMs(null), undefined)
})
