// Names and retries on the catalog, against DynamoDB Local: a brand sent composed (NFC) and
// decomposed (NFD) is one brand in /categories and one filter; a styled title is found by plain
// words; a DELETE retried after its answer was lost answers 204.
import t from 'tap'
import { PutCommand } from '@aws-sdk/lib-dynamodb'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { COUNTS_PARTITION } from '../../domain/catalog-index-rows.js'

const body = (brand: string, title: string) =>
  ({ category: 'food', type: 'dessert', brand, title, description: '', colorPreference: [], price: 5, currency: 'EUR' })

t.test('NFC and NFD spellings are one brand; styled letters are searchable; a retried DELETE is a 204', async (t) => {
  const tables = await createTables(t)
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const app = await build(t, { env: { ...stackEnv(), ...tables, ...issuer.env } })
  const admin = { authorization: `Bearer ${issuer.token({ groups: ['admin'] })}` }
  const nfc = 'Crème'.normalize('NFC')
  const nfd = 'Crème'.normalize('NFD')
  for (const [id, brand, title] of [['a', nfc, 'Pot one'], ['b', nfd, '𝐁𝐨𝐥𝐝 ℌazelnut']]) {
    t.equal(
      (await app.inject({
        method: 'PUT',
        url: `/items/${id}`,
        payload: body(brand as string, title as string),
        headers: admin
      })).statusCode,
      201
    )
  }
  // A counter left by an item stored before names were normalised.
  await app.aws.ddb.send(
    new PutCommand({
      TableName: tables.CATALOG_INDEX_TABLE,
      Item: { pk: COUNTS_PARTITION, sk: `food#brand#${nfd}`, n: 1 }
    })
  )
  const [food] = (await app.inject({ url: '/categories' })).json().categories
  t.same(food, { category: 'food', count: 2, types: ['dessert'], brands: [nfc] }, 'one brand, in NFC')
  for (const spelling of [nfc, nfd]) {
    const res = await app.inject({ url: `/items?category=food&brand=${encodeURIComponent(spelling)}` })
    t.same(res.json().items.map((i: { id: string }) => i.id).sort(), ['a', 'b'], 'either spelling filters both')
  }
  t.same((await app.inject({ url: '/items?q=bold%20hazelnut' })).json().items.map((i: { id: string }) => i.id), ['b'])
  t.equal((await app.inject({ method: 'DELETE', url: '/items/a', headers: admin })).statusCode, 204)
  const again = await app.inject({ method: 'DELETE', url: '/items/a', headers: admin })
  t.equal(again.statusCode, 204, 'the retry answers as the first did')
  t.equal((await app.inject({ url: '/items/a' })).statusCode, 404)
})
