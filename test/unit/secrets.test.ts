import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { createSecretStore, SecretUnavailableError } from '../../plugins/secrets.js'
import type { SecretEvent } from '../../core/secret-store.js'

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbCdEf'

function setup (ttlSeconds = 60, maxStaleSeconds = 3600) {
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' }
  })
  const sm = mockClient(client)
  let clock = 1_000_000
  const events: SecretEvent[] = []
  const store = createSecretStore(
    async () => client,
    ttlSeconds,
    { now: () => clock, maxStaleSeconds, onEvent: (e) => { events.push(e) } }
  )
  return { sm, store, events, advance: (ms: number) => { clock += ms } }
}

/** An error as the SDK throws it: its name is the service's error code. */
const awsError = (name: string): Error => Object.assign(new Error(`${name} (test)`), { name, $fault: 'client' })
const HOUR = 3_600_000

t.test('a local value is returned as is, with no AWS call', async (t) => {
  const { sm, store } = setup()
  t.equal(await store.get({ value: 'local-secret-value' }), 'local-secret-value')
  t.same(await store.getJson({ value: '{"a":1}' }), { a: 1 })
  t.equal(sm.calls().length, 0)
})

t.test('a secret is fetched once and cached for the TTL, then refetched', async (t) => {
  const { sm, store, advance } = setup(60)
  sm.on(GetSecretValueCommand, { SecretId: ARN }).resolvesOnce({ SecretString: 'v1' }).resolves({ SecretString: 'v2' })
  t.equal(await store.get({ secretArn: ARN }), 'v1')
  advance(59_000)
  t.equal(await store.get({ secretArn: ARN }), 'v1', 'still cached within the TTL')
  t.equal(sm.commandCalls(GetSecretValueCommand).length, 1)
  advance(2_000)
  t.equal(await store.get({ secretArn: ARN }), 'v2', 'refetched after the TTL')
  t.equal(sm.commandCalls(GetSecretValueCommand).length, 2)
})

t.test('concurrent misses share one fetch', async (t) => {
  const { sm, store } = setup()
  sm.on(GetSecretValueCommand).callsFake(async () => {
    await new Promise((resolve) => setTimeout(resolve, 20))
    return { SecretString: '{"k":"v"}' }
  })
  const results = await Promise.all(Array.from({ length: 10 }, () => store.getJson<{ k: string }>({ secretArn: ARN })))
  t.ok(results.every((r) => r.k === 'v'))
  t.equal(sm.commandCalls(GetSecretValueCommand).length, 1)
})

t.test('an outage after expiry serves the stale value, and backs off before retrying', async (t) => {
  const { sm, store, advance } = setup(60)
  sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'good' }).rejects(new Error('ServiceUnavailable'))
  t.equal(await store.get({ secretArn: ARN }), 'good')
  advance(61_000)
  t.equal(await store.get({ secretArn: ARN }), 'good', 'stale value served during the outage')
  t.equal(sm.commandCalls(GetSecretValueCommand).length, 2)
  advance(1_000)
  t.equal(await store.get({ secretArn: ARN }), 'good')
  t.equal(sm.commandCalls(GetSecretValueCommand).length, 2, 'no new call during the back-off')
  sm.on(GetSecretValueCommand).resolves({ SecretString: 'recovered' })
  advance(30_000)
  t.equal(await store.get({ secretArn: ARN }), 'recovered', 'picked up again once the service answers')
})

t.test('a failure with nothing cached is an error naming the secret, not its value', async (t) => {
  const { sm, store } = setup()
  sm.on(GetSecretValueCommand).rejects(new Error('AccessDenied'))
  const err = await store.get({ secretArn: ARN }).catch((e: unknown) => e)
  t.ok(err instanceof SecretUnavailableError)
  t.match((err as Error).message, ARN)
  // The failure is not cached: the next call asks again.
  sm.on(GetSecretValueCommand).resolves({ SecretString: 'now-ok' })
  t.equal(await store.get({ secretArn: ARN }), 'now-ok')
})

t.test('binary secrets are decoded and invalid JSON is reported without the content', async (t) => {
  const { sm, store } = setup()
  sm.on(GetSecretValueCommand).resolves({ SecretBinary: new TextEncoder().encode('not-json-secret') })
  t.equal(await store.get({ secretArn: ARN }), 'not-json-secret')
  const err = await store.getJson({ secretArn: ARN }).catch((e: unknown) => e as Error)
  t.ok(err instanceof Error)
  t.notMatch((err as Error).message, 'not-json-secret')
})

// A revoked secret must stop working in warm containers.
t.test('"not found", "access denied" and "cannot decrypt" end the cached value at once, for good', async (t) => {
  for (const name of ['ResourceNotFoundException', 'AccessDeniedException', 'DecryptionFailure']) {
    await t.test(name, async (t) => {
      const { sm, store, advance, events } = setup(60)
      sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'leaked-key' }).rejects(awsError(name))
      t.equal(await store.get({ secretArn: ARN }), 'leaked-key')
      advance(61_000)
      const err = await store.get({ secretArn: ARN }).catch((e: unknown) => e)
      t.ok(err instanceof SecretUnavailableError, 'the first refresh after revocation refuses')
      t.equal((err as SecretUnavailableError).revoked, true)
      advance(720 * HOUR)
      t.ok(
        await store.get({ secretArn: ARN }).then(() => false, (e: unknown) => e instanceof SecretUnavailableError),
        'still refused at t=720 h'
      )
      t.match(events, [{ type: 'revoked', secretArn: ARN, errorName: name }], 'the revocation is reported')
      t.notMatch(JSON.stringify(events), 'leaked-key', 'no event carries the value')
    })
  }
})

t.test('an outage serves the last value for maxStaleSeconds at most, reporting each stale answer', async (t) => {
  const { sm, store, advance, events } = setup(60, 3600)
  sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'good' }).rejects(awsError('InternalServiceError'))
  t.equal(await store.get({ secretArn: ARN }), 'good')
  advance(30 * 60_000)
  t.equal(await store.get({ secretArn: ARN }), 'good', 'within the bound: the last value')
  t.match(events, [{ type: 'stale', secretArn: ARN, errorName: 'InternalServiceError', ageSeconds: 1800 }])
  advance(31 * 60_000)
  const err = await store.get({ secretArn: ARN }).catch((e: unknown) => e)
  t.ok(err instanceof SecretUnavailableError, 'past an hour since the last good read: refused')
  t.equal((err as SecretUnavailableError).revoked, false)
  t.match(events.at(-1), { type: 'unavailable', secretArn: ARN })
  sm.on(GetSecretValueCommand).resolves({ SecretString: 'back' })
  advance(31_000)
  t.equal(await store.get({ secretArn: ARN }), 'back', 'served again once Secrets Manager answers')
})

t.test('maxStaleSeconds 0 serves no stale value at all', async (t) => {
  const { sm, store, advance } = setup(60, 0)
  sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'good' }).rejects(awsError('ThrottlingException'))
  t.equal(await store.get({ secretArn: ARN }), 'good')
  advance(61_000)
  t.ok(await store.get({ secretArn: ARN }).then(() => false, (e: unknown) => e instanceof SecretUnavailableError))
})
