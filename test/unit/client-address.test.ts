// What a client is counted by (plugins/client-address.ts): IPv4 as is, IPv6 by its /64 however it
// is written, IPv4-mapped IPv6 as the IPv4; CloudFront's viewer header read without its port.
import t from 'tap'
import { clientKey, viewerAddress } from '../../plugins/client-address.js'

t.test('client keys', async (t) => {
  t.equal(clientKey('203.0.113.7'), '203.0.113.7')
  t.equal(clientKey('2001:db8:1:2::7'), '2001:db8:1:2::/64')
  t.equal(
    clientKey('2001:0DB8:0001:0002:ffff:0:0:1'),
    '2001:db8:1:2::/64',
    'the same /64, written in full and upper-case'
  )
  t.equal(clientKey('2001:db8:1:2:a:b:c:d'), clientKey('2001:db8:1:2::1'), 'rotating within a /64 stays one caller')
  t.not(clientKey('2001:db8:1:3::1'), clientKey('2001:db8:1:2::1'), 'another /64 is another caller')
  t.equal(clientKey('::ffff:198.51.100.4'), '198.51.100.4', 'IPv4-mapped')
  t.equal(clientKey('::1'), '0:0:0:0::/64')
  t.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64', 'a zone id is dropped')
  t.equal(clientKey('2001:db8::1.2.3.4'), '2001:db8:0:0::/64', 'a dotted tail')
  for (const odd of ['not-an-ip', '1:2:3', '1::2::3', ':::', '2001:db8:1:2:3:4:5:6:7']) {
    t.equal(
      clientKey(odd),
      odd.toLowerCase(),
    `"${odd}" is kept as it is`
    )
  }
})

t.test('CloudFront-Viewer-Address', async (t) => {
  t.equal(viewerAddress('198.51.100.7:46532'), '198.51.100.7')
  t.equal(viewerAddress('2001:db8::1:443'), '2001:db8::1')
  t.equal(viewerAddress('garbage'), undefined)
  t.equal(viewerAddress('<script>:1'), undefined)
})
