// Partner API keys: local keys from the environment, and rotated keys from a (mocked) Secrets
// Manager secret with the cache's TTL and outage behaviour. The cache runs on the app's clock,
// which these tests move past the TTL instead of waiting for it.
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../app/app.js'
import { loadConfig } from '../../core/config.js'
import { BASE_TEST_ENV } from '../helpers/app.js'
import { presentedKey, sameKey } from '../../plugins/partner-keys.js'

interface Teardown { teardown: (fn: () => unknown) => void }

/** A clock only the test moves: the secrets cache's TTL passes when the test says so. */
function testClock (): { now: () => number; advance: (ms: number) => void } {
  let now = Date.now()
  return { now: () => now, advance: (ms) => { now += ms } }
}
const TTL_MS = 1000
const PAST_TTL_MS = TTL_MS + 100

const WAREHOUSE_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:warehouse-keys-AbCdEf'
const DELIVERY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:delivery-keys-AbCdEf'
/** Keys from Secrets Manager, cached for 1 s of the test's clock. */
const ROTATED = {
  WAREHOUSE_KEYS_SECRET_ARN: WAREHOUSE_ARN,
  DELIVERY_KEYS_SECRET_ARN: DELIVERY_ARN,
  SECRETS_TTL_SECONDS: String(
    TTL_MS / 1000
  )
}
const LOCAL = {
  WAREHOUSE_API_KEY: 'local-warehouse-key-000000000001',
  DELIVERY_API_KEY: 'local-delivery-key-0000000000001'
}

async function setup (tt: Teardown, env: Record<string, string>, client?: SecretsManagerClient,
  clock = testClock()): Promise<FastifyInstance> {
  const aws = client ? { aws: { secrets: async () => client } } : {}
  const app = buildApp(loadConfig({ ...BASE_TEST_ENV, ...env }), { clock: clock.now, ...aws })
  tt.teardown(() => app.close())
  app.register(async (scope) => {
    const who = async (request: { partner: unknown }) => ({ partner: request.partner })
    scope.post('/probe/warehouse', { preHandler: scope.requirePartner('warehouse') }, who)
    scope.post('/probe/delivery', { preHandler: scope.requirePartner('delivery') }, who)
    scope.get('/probe/shopper', { preHandler: scope.requireUser() }, async () => ({ ok: true }))
  })
  await app.ready()
  return app
}

const call = (app: FastifyInstance, url: string, headers: Record<string, string> = {}) =>
  app.inject({ method: url.includes('shopper') ? 'GET' : 'POST', url, headers })

t.test('sameKey compares whole keys of any length', async (t) => {
  t.ok(sameKey('abc', 'abc'))
  t.notOk(sameKey('abc', 'abcd'))
  t.notOk(sameKey('', 'abc'))
  t.notOk(sameKey('abd', 'abc'))
})

t.test('presentedKey reads x-api-key or a raw, non-Bearer Authorization', async (t) => {
  t.equal(presentedKey({ headers: { 'x-api-key': 'k1' } }), 'k1')
  t.equal(presentedKey({ headers: { authorization: 'k2' } }), 'k2')
  t.equal(presentedKey({ headers: { authorization: 'Bearer eyJ.x.y' } }), undefined)
  t.equal(presentedKey({ headers: {} }), undefined)
})

t.test('local keys from the environment', async (t) => {
  const app = await setup(t, LOCAL)

  const ok = await call(app, '/probe/warehouse', { 'x-api-key': LOCAL.WAREHOUSE_API_KEY })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { partner: 'warehouse' }, 'request.partner is set')
  t.equal(
    (await call(app, '/probe/delivery', { authorization: LOCAL.DELIVERY_API_KEY })).statusCode,
    200,
    'raw Authorization (seed clients)'
  )

  const missing = await call(app, '/probe/warehouse')
  t.equal(missing.statusCode, 401)
  t.equal(missing.json().code, 'api_key_missing')
  t.ok(missing.headers['www-authenticate'])

  const wrong = await call(app, '/probe/warehouse', { 'x-api-key': 'local-warehouse-key-000000000002' })
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.json().code, 'api_key_invalid')

  const other = await call(app, '/probe/delivery', { 'x-api-key': LOCAL.WAREHOUSE_API_KEY })
  t.equal(other.statusCode, 403, "the warehouse key cannot call the delivery partner's routes")
  t.equal(other.json().code, 'wrong_partner')

  const jwt = await call(app, '/probe/warehouse', { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln' })
  t.equal(jwt.statusCode, 401, "a shopper's JWT cannot call partner routes")
  t.equal(jwt.json().code, 'api_key_missing')

  const asShopper = await call(app, '/probe/shopper', { 'x-api-key': LOCAL.WAREHOUSE_API_KEY })
  t.equal(asShopper.statusCode, 401, 'a partner key cannot call shopper routes')
  t.equal(asShopper.json().code, 'token_missing')
  const rawAsShopper = await call(app, '/probe/shopper', { authorization: LOCAL.WAREHOUSE_API_KEY })
  t.equal(rawAsShopper.statusCode, 401)

  t.notMatch(JSON.stringify([missing.json(), wrong.json(), other.json()]), LOCAL.WAREHOUSE_API_KEY, 'keys never echoed')
})

t.test('rotated keys from Secrets Manager: both valid during rotation, the old one refused after ' +
  'removal', async (t) => {
  const client = new SecretsManagerClient({ region: 'us-east-1' })
  const sm = mockClient(client)
  let warehouse: Record<string, string> = { '2024-01': 'warehouse-old-key-000000000000' }
  sm.on(GetSecretValueCommand, { SecretId: WAREHOUSE_ARN }).callsFake(async () =>
    ({ SecretString: JSON.stringify(warehouse) }))
  sm.on(GetSecretValueCommand, { SecretId: DELIVERY_ARN }).resolves({
    SecretString: JSON.stringify({ main: 'delivery-key-0000000000000000' })
  })
  const clock = testClock()
  const app = await setup(t, ROTATED, client, clock)
  const withKey = (k: string) => call(app, '/probe/warehouse', { 'x-api-key': k })

  t.equal((await withKey('warehouse-old-key-000000000000')).statusCode, 200)
  t.equal(
    (await call(app, '/probe/warehouse', { 'x-api-key': 'delivery-key-0000000000000000' })).json().code,
    'wrong_partner'
  )

  // Rotation step 1: add the new key. It is honoured once the cached secret expires.
  warehouse = { ...warehouse, '2024-07': 'warehouse-new-key-000000000000' }
  t.equal((await withKey('warehouse-new-key-000000000000')).statusCode, 401, 'not yet: the cached secret lacks it')
  clock.advance(PAST_TTL_MS)
  t.equal((await withKey('warehouse-new-key-000000000000')).statusCode, 200, 'new key valid')
  t.equal((await withKey('warehouse-old-key-000000000000')).statusCode, 200, 'old key still valid during the rotation')

  // Rotation step 2: remove the old key.
  warehouse = { '2024-07': 'warehouse-new-key-000000000000' }
  clock.advance(TTL_MS - 200)
  t.equal((await withKey('warehouse-old-key-000000000000')).statusCode, 200, 'cached within the TTL')
  clock.advance(300)
  const old = await withKey('warehouse-old-key-000000000000')
  t.equal(old.statusCode, 401, 'old key refused after removal')
  t.equal(old.json().code, 'api_key_invalid')
  t.equal((await withKey('warehouse-new-key-000000000000')).statusCode, 200)
})

t.test('a Secrets Manager outage serves the cached keys; with nothing cached it is a 503', async (t) => {
  const client = new SecretsManagerClient({ region: 'us-east-1' })
  const sm = mockClient(client)
  let down = false
  sm.on(GetSecretValueCommand).callsFake(async (input: { SecretId: string }) => {
    if (down) throw Object.assign(new Error('Service unavailable'), { name: 'InternalServiceError' })
    return {
      SecretString: JSON.stringify({
        k: `${input.SecretId === WAREHOUSE_ARN ? 'warehouse' : 'delivery'}-key-000000000000000`
      })
    }
  })
  const clock = testClock()
  const app = await setup(t, ROTATED, client, clock)
  t.equal((await call(app, '/probe/warehouse', { 'x-api-key': 'warehouse-key-000000000000000' })).statusCode, 200)
  down = true
  const reads = sm.commandCalls(GetSecretValueCommand).length
  clock.advance(PAST_TTL_MS)
  t.equal(
    (await call(app, '/probe/warehouse', { 'x-api-key': 'warehouse-key-000000000000000' })).statusCode,
    200,
    'stale keys served after the TTL'
  )
  t.equal((await call(app, '/probe/warehouse', { 'x-api-key': 'wrong-key-0000000000000000000' })).statusCode, 401)
  t.ok(sm.commandCalls(GetSecretValueCommand).length > reads, 'past the TTL: the store asked Secrets Manager again')

  const cold = await setup(
    t,
    { WAREHOUSE_KEYS_SECRET_ARN: WAREHOUSE_ARN, DELIVERY_KEYS_SECRET_ARN: DELIVERY_ARN },
    client
  )
  const res = await call(cold, '/probe/warehouse', { 'x-api-key': 'warehouse-key-000000000000000' })
  t.equal(res.statusCode, 503, 'a fresh container with Secrets Manager down')
  t.equal(res.json().code, 'dependency_unavailable')
  t.ok(res.headers['retry-after'])
  t.notMatch(res.body, /Service unavailable|InternalServiceError/, 'the AWS error does not leak')
})

t.test('a malformed keys secret is a 503, logged, never a 401 for everyone silently', async (t) => {
  const client = new SecretsManagerClient({ region: 'us-east-1' })
  mockClient(client).on(GetSecretValueCommand).resolves({ SecretString: '["not-a-map"]' })
  const app = await setup(
    t,
    { WAREHOUSE_KEYS_SECRET_ARN: WAREHOUSE_ARN, DELIVERY_KEYS_SECRET_ARN: DELIVERY_ARN },
    client
  )
  const res = await call(app, '/probe/warehouse', { 'x-api-key': 'anything-000000000000000000' })
  t.equal(res.statusCode, 503)
  t.notMatch(res.body, /not-a-map/)
})

// A key revoked in Secrets Manager stops working in a warm
// container at the next refresh, even when Secrets Manager answers with an error.
t.test('a revoked key secret answers 503 with Retry-After, never the old key', async (t) => {
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' }
  })
  const sm = mockClient(client)
  t.teardown(() => sm.restore())
  const leaked = 'leaked-warehouse-key-00000000001'
  sm.on(GetSecretValueCommand, { SecretId: WAREHOUSE_ARN }).resolvesOnce({
    SecretString: JSON.stringify({ primary: leaked })
  })
    .rejects(Object.assign(new Error('secret deleted'), { name: 'ResourceNotFoundException' }))
  sm.on(GetSecretValueCommand, { SecretId: DELIVERY_ARN }).resolves({
    SecretString: JSON.stringify({ primary: 'delivery-key-000000000000001' })
  })
  const clock = testClock()
  const app = await setup(t, ROTATED, client, clock)
  t.equal(
    (await call(app, '/probe/warehouse', { 'x-api-key': leaked })).statusCode,
    200,
    'accepted while the secret holds it'
  )
  // Past the 1 s TTL: the next request refreshes the secret.
  clock.advance(PAST_TTL_MS)
  for (let i = 0; i < 3; i++) {
    const res = await call(app, '/probe/warehouse', { 'x-api-key': leaked })
    t.equal(res.statusCode, 503, 'the deleted secret: no partner call is accepted')
    t.equal(res.json().code, 'dependency_unavailable')
    t.ok(Number(res.headers['retry-after']) > 0, 'with Retry-After')
  }
})
