// Credentials before anything else: every operation of the served OpenAPI document that requires
// credentials answers a caller without the right ones 401 or 403, whatever its path, body, content
// type or size, so such a caller learns nothing of the operation's rules.
// The operations come from GET /openapi.json, not from a list kept here.
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { build } from '../helpers/app.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { LOCAL_DEFAULTS } from '../../core/config.js'

type Json = Record<string, any>

const PARTNER_KEYS = [LOCAL_DEFAULTS.WAREHOUSE_API_KEY, LOCAL_DEFAULTS.DELIVERY_API_KEY]

/** Operations whose security requires a credential (an empty requirement `{}` makes it optional). */
function securedOperations (doc: Json): Array<{ method: string; path: string; scheme: string; op: Json }> {
  const out: Array<{ method: string; path: string; scheme: string; op: Json }> = []
  for (const [path, item] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(item)) {
      const security = op.security as Array<Record<string, string[]>> | undefined
      if (security === undefined || security.length === 0 || security.some((s) => Object.keys(s).length === 0)) continue
      out.push({ method: method.toUpperCase(), path, scheme: Object.keys(security[0]!)[0]!, op })
    }
  }
  return out
}

t.test('every secured operation checks credentials before the path, the body and its size', async (t) => {
  const issuer = await startTestIssuer()
  t.teardown(issuer.close)
  const app: FastifyInstance = await build(t, { env: issuer.env })
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  const operations = securedOperations(doc)
  t.ok(operations.length >= 12, `the document has the secured operations (${operations.length})`)
  t.ok(
    operations.some((o) => o.scheme === 'partnerApiKey') && operations.some((o) => o.scheme === 'bearerAuth'),
    'both schemes'
  )

  // A shopper whose email is not verified yet: refused by admin operations (no group) and by
  // POST /orders (no verified address), both with the credentials, before validation.
  const shopper = `Bearer ${issuer.token({ sub: 'unverified-shopper', groups: [] })}`
  issuer.users.get('unverified-shopper')!.emailVerified = false
  const expired = `Bearer ${issuer.token({ expiresIn: -3600 })}`
  // Invalid on every count: a path parameter no pattern accepts, an unknown property, no JSON.
  const badPath = (path: string): string => path.replace(/\{[^}]+\}/g, '%20!!')
  const bodies: Array<[string, Record<string, string>, string]> = [
    ['an invalid JSON body', { 'content-type': 'application/json' }, '{"unexpected": true, "items": "no"}'],
    ['malformed JSON', { 'content-type': 'application/json' }, '{"items": ['],
    ['an unsupported content type', { 'content-type': 'text/plain' }, 'hello'],
    ['a body over the size limit', { 'content-type': 'application/json' }, `{"x":"${'a'.repeat(300 * 1024)}"}`]
  ]
  const send = async (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: [Record<string, string>, string]
  ): Promise<LightMyRequestResponse> =>
    await app.inject({
      method: method as 'GET',
      url: `${badPath(path)}?unexpected=1&limit=1e999`,
      headers: { ...headers, ...body?.[0] },
      ...(body === undefined ? {} : { payload: body[1] })
    })

  for (const { method, path, scheme, op } of operations) {
    const key = `${method} ${path}`
    const variants: Array<[string, [Record<string, string>, string] | undefined]> = ['GET', 'DELETE'].includes(method)
      ? [['no body', undefined]]
      : bodies.map(([name, headers, body]) => [name, [headers, body]])
    for (const [what, body] of variants) {
      if (scheme === 'bearerAuth') {
        const none = await send(method, path, {}, body)
        t.equal(none.statusCode, 401, `${key}, no token, ${what}: 401`)
        t.equal(none.json().code, 'token_missing', `${key}, no token, ${what}: token_missing`)
        const bad = await send(method, path, { authorization: expired }, body)
        t.equal(bad.statusCode, 401, `${key}, an expired token, ${what}: 401`)
        t.equal(bad.json().code, 'token_expired')
        if (op.responses['403'] !== undefined) {
          const shopperRes = await send(method, path, { authorization: shopper }, body)
          t.equal(shopperRes.statusCode, 403, `${key}, a shopper's token, ${what}: 403 before validation`)
          t.ok(['forbidden', 'email_unverified'].includes(shopperRes.json().code), `${key}: ${shopperRes.json().code}`)
        }
      } else {
        const none = await send(method, path, {}, body)
        t.equal(none.statusCode, 401, `${key}, no key, ${what}: 401`)
        t.equal(none.json().code, 'api_key_missing')
        const wrong = await send(method, path, { 'x-api-key': 'not-a-partner-key-0123456789' }, body)
        t.equal(wrong.statusCode, 401, `${key}, an invalid key, ${what}: 401`)
        t.equal(wrong.json().code, 'api_key_invalid')
        // One partner's key is the wrong partner's here (403); the other is the right one, and only
        // then do the path and body get checked.
        const answers = await Promise.all(
          PARTNER_KEYS.map(async (k) => await send(method, path, { 'x-api-key': k }, body))
        )
        const statuses = answers.map((a) => a.statusCode).sort()
        t.equal(
          statuses.filter((s) => s === 403).length,
          1,
          `${key}, ${what}: the other partner's key is 403 (got ${statuses.join(', ')})`
        )
        t.ok(
          statuses.some((s) => s === 400 || s === 413 || s === 415),
          `${key}, ${what}: the right key reaches validation`
        )
      }
    }
  }
})
