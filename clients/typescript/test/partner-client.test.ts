// The partners' client: the key in x-api-key, the body optional, every call safe to repeat.
import t from 'tap'
import { createPartnerClient } from '../src/partner-client.js'
import { fakeApi, json, ORDER, problem, recordedSleep } from './fake-api.js'

t.test('markPacked and markDelivered, with and without details', async (t) => {
  const api = fakeApi((sent) => json(200, { ...ORDER, status: sent.path.includes('packed') ? 'packed' : 'delivered' }))
  const partner = createPartnerClient({ baseUrl: 'http://api.test', apiKey: 'wh-key', fetch: api.fetch })
  t.equal((await partner.markPacked('ord-1')).status, 'packed')
  t.match(
    api.calls[0],
    { method: 'POST', path: '/orderpacked/ord-1', body: '', headers: { 'x-api-key': 'wh-key' } },
    'no body at all'
  )
  t.equal(api.calls[0]!.headers['content-type'], undefined, 'and no content-type')
  await partner.markPacked('ord-1', { packageId: 'PKG-1' })
  t.same(JSON.parse(api.calls[1]!.body), { packageId: 'PKG-1' })
  t.equal(api.calls[1]!.headers['content-type'], 'application/json')
  t.equal((await partner.markDelivered('ord-1', { carrier: 'UPS', trackingNumber: '1Z' })).status, 'delivered')
  t.match(api.calls[2], { path: '/orderdelivered/ord-1', body: '{"carrier":"UPS","trackingNumber":"1Z"}' })
})

t.test('a lost answer is retried (a transition made twice answers 200); a 409 is thrown', async (t) => {
  const { sleep } = recordedSleep()
  let n = 0
  const api = fakeApi(() =>
    (n++ === 0
      ? json(503, { message: 'Service Unavailable' })
      : problem(
        409,
        'invalid_transition',
        { currentStatus: 'cancelled' }
      )))
  const partner = createPartnerClient({ baseUrl: 'http://api.test', apiKey: 'wh-key', fetch: api.fetch, sleep })
  await t.rejects(
    partner.markPacked('ord-1'),
    { status: 409, code: 'invalid_transition', body: { currentStatus: 'cancelled' } }
  )
  t.equal(api.calls.length, 2)
})
