import t from 'tap'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'

t.test('GET /health reports the version and each dependency as reachable', async (t) => {
  const tables = await createTables(t)
  const app = await build(t, { env: { ...stackEnv(), ...tables, APP_VERSION: '9.9.9' } })
  const res = await app.inject({ url: '/health' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    status: 'ok',
    version: '9.9.9',
    dependencies: { itemsTable: { ok: true }, ordersTable: { ok: true }, cognito: { ok: true } }
  })
})

t.test('an unreachable dependency is reported, not a failure of /health', async (t) => {
  const app = await build(t, { env: { ...stackEnv(), ITEMS_TABLE: 'no-such-table' } })
  const res = await app.inject({ url: '/health' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { status: 'degraded', dependencies: { itemsTable: { ok: false, error: 'unreachable' } } })
  t.notMatch(res.body, /ResourceNotFound|Cannot do operations/)
})
