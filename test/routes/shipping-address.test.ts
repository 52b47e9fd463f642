// POST /orders with a malformed shipping address: every one gets its documented 400 (the schema's
// and the domain's), before anything is read or written (the app points at no DynamoDB here).
import t from 'tap'
import { build } from '../helpers/app.js'
import { startTestIssuer } from '../helpers/tokens.js'

const ADDRESS = {
  name: 'Ada Lovelace',
  line1: '12 St James\'s Square',
  city: 'London',
  postalCode: 'SW1Y 4JH',
  country: 'GB',
  phone: '+442079460958'
}

t.test('every malformed address answers its documented 400', async (t) => {
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const app = await build(t, { env: issuer.env })
  const headers = { authorization: `Bearer ${issuer.token({ sub: 'user-ada', email: 'ada@example.com' })}` }
  type Answer = { status: number; code: string; body: Record<string, unknown> }
  const place = async (shippingAddress: unknown): Promise<Answer> => {
    const payload = { items: [{ id: 'cable', count: 1 }], shippingAddress }
    const res = await app.inject({ method: 'POST', url: '/orders', headers, payload })
    const body = res.json()
    t.match(res.headers['content-type'], /^application\/problem\+json/, 'the one problem format')
    return { status: res.statusCode, code: body.code, body }
  }
  const cases: Array<[string, unknown, string]> = [
    // The schema's own refusals, with the field's code
    ['a three-letter country', { ...ADDRESS, country: 'GBR' }, 'invalid_country'],
    ['a lower-case country', { ...ADDRESS, country: 'gb' }, 'invalid_country'],
    ['a number for a country', { ...ADDRESS, country: 44 }, 'invalid_country'],
    ['no country', { ...ADDRESS, country: undefined }, 'invalid_country'],
    ['a national phone number', { ...ADDRESS, phone: '020 7946 0958' }, 'invalid_phone'],
    ['a phone without +', { ...ADDRESS, phone: '442079460958' }, 'invalid_phone'],
    ['a phone too long', { ...ADDRESS, phone: '+44207946095812345' }, 'invalid_phone'],
    ['no phone', { ...ADDRESS, phone: undefined }, 'invalid_phone'],
    ['a postal code with symbols', { ...ADDRESS, postalCode: 'SW1Y<4JH>' }, 'invalid_postal_code'],
    ['a postal code too long', { ...ADDRESS, postalCode: '1'.repeat(17) }, 'invalid_postal_code'],
    // The domain's: what a schema cannot know
    ['a country code nobody has', { ...ADDRESS, country: 'XX' }, 'invalid_country'],
    ['UK (GB is the code)', { ...ADDRESS, country: 'UK' }, 'invalid_country'],
    ['a US ZIP for GB', { ...ADDRESS, postalCode: '10001' }, 'invalid_postal_code'],
    ['no postal code for DE', { ...ADDRESS, country: 'DE', postalCode: undefined }, 'invalid_postal_code'],
    ['a 4-digit postal code for DE', { ...ADDRESS, country: 'DE', postalCode: '1011' }, 'invalid_postal_code'],
    ['a blank name', { ...ADDRESS, name: '   ' }, 'validation_failed'],
    // Everything else is validation_failed
    ['an unknown property', { ...ADDRESS, email: 'ada@example.com' }, 'validation_failed'],
    ['no name', { ...ADDRESS, name: undefined }, 'validation_failed'],
    ['an empty city', { ...ADDRESS, city: '' }, 'validation_failed'],
    ['a name too long', { ...ADDRESS, name: 'x'.repeat(101) }, 'validation_failed'],
    ['a line break (header injection)', { ...ADDRESS, line1: '1 Road\r\nBcc: x@example.com' }, 'validation_failed'],
    ['a control character in the name', { ...ADDRESS, name: 'Ada\u0000' }, 'validation_failed'],
    ['a line separator', { ...ADDRESS, line2: 'a\u2028b' }, 'validation_failed'],
    ['a string instead of an object', 'London', 'validation_failed'],
    ['null', null, 'validation_failed']
  ]
  for (const [what, address, code] of cases) {
    const res = await place(address)
    t.equal(res.status, 400, what)
    t.equal(res.code, code, `${what}: ${code}`)
    t.match(res.body.detail, /shippingAddress/, `${what}: the detail names the field`)
  }
})

t.test('the OpenAPI document states the address and its codes', async (t) => {
  const app = await build(t)
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  const op = doc.paths['/orders'].post
  const text = JSON.stringify(op)
  for (const code of ['invalid_country', 'invalid_postal_code', 'invalid_phone']) t.match(text, code, code)
  t.match(text, 'shippingAddress')
  const packed = JSON.stringify(doc.paths['/orderpacked/{orderId}'].post.responses['200'])
  const delivered = JSON.stringify(doc.paths['/orderdelivered/{orderId}'].post.responses['200'])
  t.match(packed, 'recipient')
  t.match(delivered, 'shippingAddress')
  for (const answer of [packed, delivered]) {
    t.notMatch(answer, 'userEmail', 'no customer email in a partner answer')
    t.notMatch(answer, '"userId"', 'no user id in a partner answer')
  }
})
