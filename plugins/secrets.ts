// The API's secrets (app.secrets): the store of core/secret-store.ts, with an unreadable or revoked
// secret answered as a 503 the client may retry (never with a value the store refused), and each
// stale answer, revocation and refusal logged and counted (SecretRefreshFailures, core/metrics.ts).
import fp from 'fastify-plugin'
import type { SecretSource } from '../core/config.js'
import { Problem } from '../core/problem.js'
import { createSecretStore, SecretUnavailableError, type SecretEvent, type SecretStore } from '../core/secret-store.js'

export { createSecretStore, SecretUnavailableError, type SecretStore }

declare module 'fastify' {
  interface FastifyInstance {
    secrets: SecretStore
  }
}

export default fp(async function secretsPlugin (app) {
  const onEvent = (event: SecretEvent): void => {
    const level = event.type === 'stale' ? 'warn' : 'error'
    app.log[level](
      event,
      event.type === 'stale' ? 'secret refresh failed: serving the last value' : `secret ${event.type}`
    )
    // app.metrics (plugins/metrics.ts) is there by the time a request reads a secret.
    app.metrics.add('SecretRefreshFailures', { Outcome: event.type })
  }
  // The app's clock (Date.now, or a test's) times the cache: TTL, stale limit, retry after a failure.
  const store = createSecretStore(app.aws.secrets, app.config.secretsTtlSeconds,
    { maxStaleSeconds: app.config.secretsMaxStaleSeconds, onEvent, now: app.clock })
  // In the API an unreadable secret is a dependency outage: 503, the client may retry.
  const unavailable = (err: unknown): never => {
    if (err instanceof SecretUnavailableError) {
      throw new Problem(
        503,
        'dependency_unavailable',
        'A dependency is unavailable; retry shortly',
        {},
        { 'retry-after': '5' }
      )
    }
    throw err
  }
  app.decorate('secrets', {
    get: async (source: SecretSource) => store.get(source).catch(unavailable),
    getJson: async <T>(source: SecretSource) => store.getJson<T>(source).catch(unavailable)
  } satisfies SecretStore)
}, { name: 'secrets' })
