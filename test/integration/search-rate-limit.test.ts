// Search is public and its cost depends on its words: a client's searches are limited like the
// other public costs (429 with Retry-After through the shared @fastify/rate-limit store), while
// the plain list and the filters, which read what they answer, are not counted.
import t from 'tap'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { loadConfig } from '../../core/config.js'
import { loadTemplate } from '../../infra/template.js'
import { middleOfNextWindow } from '../helpers/limit-clock.js'

t.test('searches per client address: 429 with Retry-After past the limit; lists and filters not counted', async (t) => {
  const tables = await createTables(t)
  // Minutes into the real future (the counters' TTL: test/helpers/limit-clock.ts), half a minute into a minute.
  let now = middleOfNextWindow(15 * 60_000)
  const app = await build(
    t,
    { env: { ...stackEnv(), ...tables, RATE_LIMITS: 'on', RATE_LIMIT_SEARCH_PER_IP: '3' }, deps: { clock: () => now } }
  )
  for (let i = 0; i < 5; i++) {
    t.equal(
      (await app.inject({ url: '/items?category=phone' })).statusCode,
      200,
      'a filter is not a search'
    )
  }
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ url: `/items?q=word${i}` })).statusCode, 200)
  const refused = await app.inject({ url: '/items?q=another' })
  t.equal(refused.statusCode, 429)
  t.match(refused.json(), { code: 'rate_limited', detail: /Too many searches from this address/ })
  t.ok(Number(refused.headers['retry-after']) > 0, 'Retry-After')
  t.equal(
    (await app.inject({ url: '/items?q=x', remoteAddress: '10.9.8.7' })).statusCode,
    200,
    'another client has its own budget'
  )
  t.equal((await app.inject({ url: '/items' })).statusCode, 200, 'the plain list is not counted')
  now += 60_000
  t.equal((await app.inject({ url: '/items?q=again' })).statusCode, 200, 'a new window')
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  t.match(
    doc.paths['/items'].get.description,
    /Rate limited, by default: searches \(with q\) 120 a minute per client address/
  )
  t.ok(doc.paths['/items'].get.responses['429'], 'the 429 is documented')
})

t.test('the template sets the limit from a parameter whose default is the config\'s', async (t) => {
  const template = loadTemplate() as unknown as {
    Parameters: Record<string, { Default?: unknown }>;
    Resources: Record<string, {
      Properties?: { Environment?: { Variables?: Record<string, unknown> } }
    }>
  }
  t.same(
    template.Resources.ApiFunction?.Properties?.Environment?.Variables?.RATE_LIMIT_SEARCH_PER_IP,
    { Ref: 'SearchLimitPerIp' }
  )
  t.equal(
    template.Parameters.SearchLimitPerIp?.Default,
    loadConfig({ USER_POOL_ID: 'us-east-1_abc', USER_POOL_CLIENT_ID: 'c' }).rateLimits.searchPerIp
  )
})
