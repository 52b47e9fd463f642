// POST /items with an Idempotency-Key, against DynamoDB Local: a retry after a lost answer gets the
// item the first request created (no second item), the same key with another body is a 422, and
// another admin's key is their own.
import t from 'tap'
import { ScanCommand } from '@aws-sdk/lib-dynamodb'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'

const BODY = {
  category: 'phone',
  type: 'smart',
  brand: 'Acme',
  title: 'Acme One',
  description: 'A phone',
  colorPreference: [],
  price: 100,
  currency: 'EUR',
  stock: 3
}

t.test('a retried POST /items with its Idempotency-Key creates one item', async (t) => {
  const tables = await createTables(t)
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const app = await build(t, { env: { ...stackEnv(), ...tables, ...issuer.env } })
  const admin = {
    authorization: `Bearer ${issuer.token({ sub: 'admin-1', groups: ['admin'] })}`,
    'idempotency-key': 'create-acme-1'
  }
  const post = async (headers: Record<string, string>, payload: object = BODY) => await app.inject({
    method: 'POST',
    url: '/items',
    headers,
    payload
  })
  const [first, retry] = await Promise.all([post(admin), post(admin)])
  t.equal(first.statusCode, 201)
  t.equal(retry.statusCode, 201)
  t.equal(retry.json().id, first.json().id, 'the same item')
  t.ok([first, retry].some((r) => r.headers['idempotent-replayed'] === 'true'), 'one of them is a replay')
  t.equal(first.headers.location, `/items/${first.json().id as string}`)
  t.notOk('createdBy' in first.json(), 'the fingerprint stays internal')
  const later = await post(admin)
  t.equal(later.statusCode, 201)
  t.equal(later.headers['idempotent-replayed'], 'true')
  const reused = await post(admin, { ...BODY, title: 'Acme Two' })
  t.equal(reused.statusCode, 422)
  t.equal(reused.json().code, 'idempotency_key_reused')
  const other = await post({ ...admin, authorization: `Bearer ${issuer.token({ sub: 'admin-2', groups: ['admin'] })}` })
  t.not(other.json().id, first.json().id, "another admin's key is their own")
  const plain = await post({ authorization: admin.authorization })
  t.not(plain.json().id, first.json().id, 'without a key, a new item')
  const items = (await app.aws.ddb.send(new ScanCommand({ TableName: tables.ITEMS_TABLE }))).Items ?? []
  t.equal(items.length, 3, 'three items, not five')
})
