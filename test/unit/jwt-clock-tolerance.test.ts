// How long past its exp (or before its nbf) a token is honoured: a few seconds of clock skew between
// Cognito and the function, no more. With 60 s an expired or revoked-by-expiry token kept working
// for a minute.
import t from 'tap'
import { buildApp } from '../../app/app.js'
import { loadConfig } from '../../core/config.js'
import { BASE_TEST_ENV } from '../helpers/app.js'
import { CLOCK_SKEW_MS } from '../../plugins/auth.js'
import { startTestIssuer } from '../helpers/tokens.js'

t.test('the clock tolerance is a few seconds: a token expired 15 s ago, or valid only in 15 s, is refused',
  async (t) => {
    t.ok(CLOCK_SKEW_MS <= 5000, `at most 5 s (${CLOCK_SKEW_MS} ms)`)
    const issuer = await startTestIssuer()
    t.teardown(issuer.close)
    const app = buildApp(loadConfig({ ...BASE_TEST_ENV, ...issuer.env }))
    t.teardown(() => app.close())
    app.register(async (scope) => {
      scope.get('/probe', { onRequest: scope.requireUser() }, async () => ({ ok: true }))
    })
    await app.ready()
    const call = async (token: string) => await app.inject({
      url: '/probe',
      headers: { authorization: `Bearer ${token}` }
    })

    const expired = await call(issuer.token({ expiresIn: -15 }))
    t.equal(expired.statusCode, 401, 'expired 15 s ago: refused (the old 60 s tolerance took it)')
    t.equal(expired.json().code, 'token_expired')
    const early = await call(issuer.token({ claims: { nbf: Math.floor(Date.now() / 1000) + 15 } }))
    t.equal(early.statusCode, 401, 'valid only in 15 s: refused')
    t.equal(early.json().code, 'token_not_yet_valid')
    t.equal((await call(issuer.token({ expiresIn: 600 }))).statusCode, 200, 'a current token passes')
  })
