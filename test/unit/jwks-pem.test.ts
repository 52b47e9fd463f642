// The signing keys' PEM is made once per key get-jwks holds, not on every token: get-jwks converts
// the JWK (jwk-to-pem) on each getPublicKey, which was most of a warm order's token check. A key
// get-jwks reads again (its entry expired, or a rotation) is converted again.
import t from 'tap'
import buildGetJwks from 'get-jwks'
import { createSigningKeys } from '../../plugins/jwks.js'
import { startTestIssuer } from '../helpers/tokens.js'

t.test('one conversion per key held, a new one when get-jwks reads the key again', async (t) => {
  const issuer = await startTestIssuer()
  t.teardown(issuer.close)
  const made: Array<ReturnType<typeof buildGetJwks>> = []
  let conversions = 0
  const counting = (options: Parameters<typeof buildGetJwks>[0]): ReturnType<typeof buildGetJwks> => {
    const getJwks = buildGetJwks(options)
    const getPublicKey = getJwks.getPublicKey.bind(getJwks)
    getJwks.getPublicKey = async (signature) => { conversions++; return await getPublicKey(signature) }
    made.push(getJwks)
    return getJwks
  }
  const keys = createSigningKeys({
    issuer: issuer.issuer, now: Date.now, ttlMs: 60_000, cooldownMs: 60_000, buildJwks: counting
  })
  const key = { kid: issuer.keys.primary.kid, alg: 'RS256', domain: issuer.issuer }
  const first = await keys.publicKey(key)
  t.equal(first.replace(/\s/g, ''), issuer.keys.primary.publicKeyPem.replace(/\s/g, ''), 'the key published')
  for (let i = 0; i < 5; i++) t.equal(await keys.publicKey(key), first)
  t.equal(conversions, 1, 'converted once for six tokens')
  t.equal(issuer.jwksRequests(), 1)

  // get-jwks forgets the key (its ttl): the next token reads the JWKS and converts again.
  ;(made[0]?.cache as unknown as { clear: () => void }).clear()
  t.equal(await keys.publicKey(key), first)
  t.equal(conversions, 2)
  t.equal(issuer.jwksRequests(), 2)
})
