// Partner authentication by API key. Each partner (warehouse, delivery) has its keys in a secret:
// locally one key from the environment, deployed a Secrets Manager secret holding a JSON map of key
// name to key, so a rotation adds the new key before removing the old. The secret is cached by
// app.secrets (short TTL, stale value served during an outage).
import fp from 'fastify-plugin'
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import type { PartnerName, SecretSource } from '../core/config.js'
import { Problem } from '../core/problem.js'
import type { SecretStore } from './secrets.js'

declare module 'fastify' {
  interface FastifyInstance {
    requirePartner: (partner: PartnerName) => preHandlerAsyncHookHandler
  }
  interface FastifyRequest {
    /** The partner whose key authenticated the request (set by requirePartner). */
    partner: PartnerName
  }
}

export const PARTNERS: readonly PartnerName[] = ['warehouse', 'delivery']

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest()

/** Constant-time equality: hashing both sides first means neither content nor length leaks. */
export function sameKey (presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected))
}

/** The key a request carries: `x-api-key`, or (the seed's clients) a raw, non-Bearer Authorization. */
export function presentedKey (request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const header = request.headers['x-api-key']
  if (typeof header === 'string' && header !== '') return header
  const authorization = request.headers.authorization
  if (typeof authorization === 'string' && authorization !== '' && !/^Bearer\s/i.test(authorization)) {
    return authorization
  }
  return undefined
}

/** A partner's current keys: one local value, or every value of the secret's JSON map. */
export async function partnerKeys (secrets: SecretStore, source: SecretSource): Promise<string[]> {
  if ('value' in source) return [source.value]
  const map = await secrets.getJson<unknown>(source)
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw new Error(`Secret ${source.secretArn} must be a JSON object of key name to key`)
  }
  return Object.values(map).filter((k): k is string => typeof k === 'string' && k !== '')
}

/** Which partners the key belongs to. Every key is compared, so timing does not tell which matched. */
export async function partnersOwning (
  secrets: SecretStore,
  sources: Record<PartnerName, SecretSource>,
  presented: string
): Promise<Set<PartnerName>> {
  const owners = new Set<PartnerName>()
  const keys = await Promise.all(PARTNERS.map(async (p) => [p, await partnerKeys(secrets, sources[p])] as const))
  for (const [partner, list] of keys) {
    for (const key of list) if (sameKey(presented, key)) owners.add(partner)
  }
  return owners
}

const CHALLENGE = { 'www-authenticate': 'ApiKey realm="serverless-commerce", header="x-api-key"' }

export default fp(async function partnerKeysPlugin (app) {
  app.decorateRequest('partner', null as unknown as PartnerName)
  app.decorate('requirePartner', (partner: PartnerName): preHandlerAsyncHookHandler => {
    return async function requirePartner (request) {
      const key = presentedKey(request)
      if (key === undefined) {
        throw new Problem(
          401,
          'api_key_missing',
          `Send the ${partner} partner's API key in the x-api-key header`,
          {},
          CHALLENGE
        )
      }
      let owners: Set<PartnerName>
      try {
        owners = await partnersOwning(app.secrets, app.config.partnerKeys, key)
      } catch (err) {
        if (err instanceof Problem) throw err
        request.log.error({ err: (err as Error).message }, 'partner keys unreadable')
        throw new Problem(
          503,
          'dependency_unavailable',
          'Partner keys cannot be checked right now; retry shortly',
          {},
          { 'retry-after': '5' }
        )
      }
      if (owners.has(partner)) {
        request.partner = partner
        return
      }
      if (owners.size > 0) {
        throw new Problem(403, 'wrong_partner', `This key does not grant the ${partner} partner's operations`)
      }
      throw new Problem(401, 'api_key_invalid', 'The API key is not valid', {}, CHALLENGE)
    }
  })
}, { name: 'partner-keys', dependencies: ['secrets'] })
