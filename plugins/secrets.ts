// The API's secrets (app.secrets): the store of core/secret-store.ts, with an unreadable secret
// answered as a 503 the client may retry.
import fp from 'fastify-plugin'
import type { SecretSource } from '../core/config.js'
import { Problem } from '../core/problem.js'
import { createSecretStore, SecretUnavailableError, type SecretStore } from '../core/secret-store.js'

export { createSecretStore, SecretUnavailableError, type SecretStore }

declare module 'fastify' {
  interface FastifyInstance {
    secrets: SecretStore
  }
}

export default fp(async function secretsPlugin (app) {
  const store = createSecretStore(app.aws.secrets, app.config.secretsTtlSeconds)
  // In the API an unreadable secret is a dependency outage: 503, the client may retry.
  const unavailable = (err: unknown): never => {
    if (err instanceof SecretUnavailableError) {
      app.log.error({ secretArn: err.secretArn, cause: (err.cause as Error | undefined)?.name }, 'secret unavailable')
      throw new Problem(503, 'dependency_unavailable', 'A dependency is unavailable; retry shortly', {}, { 'retry-after': '5' })
    }
    throw err
  }
  app.decorate('secrets', {
    get: async (source: SecretSource) => store.get(source).catch(unavailable),
    getJson: async <T>(source: SecretSource) => store.getJson<T>(source).catch(unavailable)
  } satisfies SecretStore)
}, { name: 'secrets' })
