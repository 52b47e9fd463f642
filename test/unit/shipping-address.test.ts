// The shipping address rules (domain/shipping-address.ts): codes, postal formats, the snapshot,
// what each partner sees, and the emails that show it.
import t from 'tap'
import fc from 'fast-check'
import { Problem } from '../../core/problem.js'
import {
  addressLines, checkShippingAddress, isCountryCode, POSTAL_CODE_FORMATS, recipientOf, destinationOf,
  type ShippingAddress
} from '../../domain/shipping-address.js'
import { partnerOrder } from '../../domain/partner-views.js'
import { publicOrder, type StoredOrder } from '../../domain/orders.js'
import { renderOrderEmail } from '../../domain/emails.js'
import { order } from '../helpers/worker-fixtures.js'
import { destination } from '../../local/partner-simulator.js'

const ADA: ShippingAddress = {
  name: 'Ada Lovelace',
  line1: '12 St James\'s Square',
  city: 'London',
  postalCode: 'SW1Y 4JH',
  country: 'GB',
  phone: '+442079460958'
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (err) {
    if (err instanceof Problem) return err.code
    throw err
  }
}

t.test('a valid address is kept trimmed, in NFC, the postal code upper case, only the known fields', async (t) => {
  const snapshot = checkShippingAddress({
    name: '  Zoe\u0308 Ólafsdóttir ',
    line1: ' Laugavegur 1 ',
    line2: '',
    city: 'Reykjavík',
    postalCode: ' sw1y 4jh ',
    country: 'GB',
    phone: '+3545511234'
  })
  t.same(snapshot, {
    name: 'Zoë Ólafsdóttir',
    line1: 'Laugavegur 1',
    city: 'Reykjavík',
    postalCode: 'SW1Y 4JH',
    country: 'GB',
    phone: '+3545511234'
  })
  t.equal(snapshot.name, 'Zo\u00EB Ólafsdóttir', 'composed (NFC)')
  const tokyo = {
    name: '山田 太郎',
    line1: '千代田1-1',
    city: '千代田区',
    region: '東京都',
    postalCode: '100-0001',
    country: 'JP',
    phone: '+81312345678'
  }
  t.same(checkShippingAddress(tokyo).name, '山田 太郎', 'any script')
})

t.test('each malformed field answers its documented code', async (t) => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['lower-case country', { country: 'gb' }, 'invalid_country'],
    ['unassigned country', { country: 'XX' }, 'invalid_country'],
    ['three letters', { country: 'GBR' }, 'invalid_country'],
    ['no country', { country: undefined }, 'invalid_country'],
    ['a national phone', { phone: '020 7946 0958' }, 'invalid_phone'],
    ['spaces in the phone', { phone: '+44 20 7946 0958' }, 'invalid_phone'],
    ['16 digits', { phone: '+4420794609581234' }, 'invalid_phone'],
    ['a leading zero', { phone: '+0442079460958' }, 'invalid_phone'],
    ['a US ZIP in GB', { postalCode: '10001' }, 'invalid_postal_code'],
    ['no postal code in GB', { postalCode: undefined }, 'invalid_postal_code'],
    ['a postal code with a symbol', { country: 'IE', postalCode: 'D02#X285' }, 'invalid_postal_code'],
    ['a 4-digit ZIP', { country: 'US', postalCode: '1000' }, 'invalid_postal_code'],
    ['a blank name', { name: '   ' }, 'validation_failed'],
    ['a line break in line1', { line1: 'a\r\nBcc: x@example.com' }, 'validation_failed'],
    ['a name too long', { name: 'é'.repeat(101) }, 'validation_failed'],
    ['an unknown field', { email: 'ada@example.com' }, 'validation_failed']
  ]
  for (const [what, change, code] of cases) {
    t.equal(codeOf(() => checkShippingAddress({ ...ADA, ...change })), code, what)
  }
  t.equal(codeOf(() => checkShippingAddress(null)), 'validation_failed', 'not an object')
  const ireland = { ...ADA, country: 'IE', postalCode: undefined }
  t.equal(codeOf(() => checkShippingAddress(ireland)), undefined, 'optional where no format is listed')
  const long = { ...ADA, name: 'é'.repeat(100) }
  t.equal(codeOf(() => checkShippingAddress(long)), undefined, '100 characters, not bytes')
})

t.test('the country list is ISO 3166-1 alpha-2: the 249 assigned codes, no user-assigned ones', async (t) => {
  let n = 0
  for (let a = 65; a < 91; a++) for (let b = 65; b < 91; b++) if (isCountryCode(String.fromCharCode(a, b))) n++
  t.equal(n, 249)
  for (const code of ['US', 'DE', 'JP', 'BR', 'SS', 'AX']) t.ok(isCountryCode(code), code)
  for (const code of ['XK', 'ZZ', 'AA', 'QM', 'UK', 'EU']) t.notOk(isCountryCode(code), code)
  for (const code of Object.keys(POSTAL_CODE_FORMATS)) t.ok(isCountryCode(code), `${code} is a real country`)
})

t.test('property: any E.164 number passes, anything with a non-digit after the + does not', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 9 }), fc.stringMatching(/^[0-9]{6,14}$/), (first, rest) => {
    return checkShippingAddress({ ...ADA, phone: `+${first}${rest}` }).phone === `+${first}${rest}`
  }))
  const notE164 = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/^\+[1-9][0-9]{6,14}$/.test(s))
  fc.assert(fc.property(notE164, (phone) => {
    return codeOf(() => checkShippingAddress({ ...ADA, phone })) === 'invalid_phone'
  }))
})

t.test('property: Unicode text is kept as sent (NFC, trimmed) or refused, never altered otherwise', async (t) => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), (name) => {
    let kept: ShippingAddress
    try {
      kept = checkShippingAddress({ ...ADA, name })
    } catch (err) {
      return err instanceof Problem && err.status === 400 && err.code === 'validation_failed'
    }
    // eslint-disable-next-line no-control-regex -- control characters are what the check looks for
    const clean = !/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/.test(kept.name)
    return kept.name === name.normalize('NFC').trim() && kept.name !== '' && clean
  }))
})

t.test('property: a 5-digit ZIP (with or without +4) is a US postal code; other shapes are refused', async (t) => {
  const us = (postalCode: string): ShippingAddress => ({ ...ADA, country: 'US', postalCode })
  const zip = fc.stringMatching(/^[0-9]{5}(-[0-9]{4})?$/)
  fc.assert(fc.property(zip, (z) => checkShippingAddress(us(z)).postalCode === z))
  const notZip = fc.stringMatching(/^[0-9A-Z -]{1,16}$/).filter((z) => !/^\d{5}(-\d{4})?$/.test(z.trim()))
  fc.assert(fc.property(notZip, (zip) => codeOf(() => checkShippingAddress(us(zip))) === 'invalid_postal_code'))
})

t.test('the order keeps a copy: the caller changing its object later never moves the order', async (t) => {
  const sent = { ...ADA }
  const snapshot = checkShippingAddress(sent)
  sent.city = 'Paris'
  t.equal(snapshot.city, 'London')
  const stored = { ...order(), shippingAddress: { ...snapshot, internal: 'x' } } as unknown as StoredOrder
  t.same(publicOrder(stored).shippingAddress, snapshot, 'the answer has the known fields only')
  t.notOk('shippingAddress' in publicOrder(order() as StoredOrder), 'an old order has none')
})

t.test('partners: warehouse gets name and country, delivery the address; no email, no user id', async (t) => {
  const o = { ...order(), shippingAddress: ADA } as StoredOrder
  const warehouse = partnerOrder(o, 'warehouse')
  const delivery = partnerOrder(o, 'delivery')
  t.same(warehouse.recipient, { name: 'Ada Lovelace', country: 'GB' })
  t.notOk('shippingAddress' in warehouse)
  t.same(delivery.shippingAddress, ADA)
  t.notOk('recipient' in delivery)
  for (const view of [warehouse, delivery]) {
    const text = JSON.stringify(view)
    t.notMatch(text, o.userEmail, 'no email')
    t.notMatch(text, o.userId, 'no user id')
    t.same(view.history.map((h) => h.by), ['user'])
  }
  const old = order() as StoredOrder
  t.equal(partnerOrder(old, 'warehouse').recipient, null, 'an old order: null, said explicitly')
  t.equal(partnerOrder(old, 'delivery').shippingAddress, null)
  t.equal(recipientOf(undefined), null)
  t.equal(destinationOf(undefined), null)
})

t.test('"placed" and "packed" emails show the address, escaped; the others and the subject do not', async (t) => {
  const evil = { ...ADA, name: '<script>alert(1)</script> & "Co"', line1: 'Bcc: victim@example.com' }
  const o = { ...order(), shippingAddress: evil }
  for (const status of ['placed', 'packed'] as const) {
    const { subject, html, text } = renderOrderEmail(status, { ...o, status })
    t.notMatch(html, /<script>/, `${status}: no markup from the address`)
    t.match(html, '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;')
    t.match(html, 'SW1Y 4JH London')
    const block = 'Shipping to:\n  <script>alert(1)</script> & "Co"\n  Bcc: victim@example.com\n  SW1Y 4JH London\n  GB'
    t.match(text, block,
      `${status}: the text part, as plain text`)
    t.notMatch(subject, /Bcc|script|London/, `${status}: the subject has the order id only`)
  }
  t.notMatch(renderOrderEmail('delivered', { ...o, status: 'delivered' }).text, 'Shipping to')
  t.notMatch(renderOrderEmail('placed', order()).text, 'Shipping to', 'an old order: no block')
  t.same(addressLines({ ...ADA, line2: 'Flat 2', region: 'Greater London' }),
    ['Ada Lovelace', '12 St James\'s Square', 'Flat 2', 'SW1Y 4JH London Greater London', 'GB'])
})

t.test('the partner simulator prints the destination each webhook gives', async (t) => {
  t.equal(destination({ shippingAddress: { ...ADA, line2: 'Flat 2' } }),
    '; deliver to Ada Lovelace, 12 St James\'s Square, Flat 2, SW1Y 4JH London, GB (phone +442079460958)')
  t.equal(destination({ shippingAddress: null }), '; no shipping address')
  t.equal(destination({ order: { recipient: { name: 'Ada Lovelace', country: 'GB' } } }), '; for Ada Lovelace, GB')
  t.equal(destination({ order: { recipient: null } }), '; no shipping address')
  t.equal(destination({ order: {} }), '', 'a body of another kind: nothing')
})
