// Revocation is honoured. A token of a deleted, disabled or signed-out user,
// or of a user removed from a group, stops working within the configured bound (here 1 s, so the
// test waits a bounded 1.2 s instead of the default minutes) on every route; POST /signout also
// revokes the refresh token. Against cognito-local, with real tokens.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { PutCommand } from '@aws-sdk/lib-dynamodb'
import {
  AdminAddUserToGroupCommand, AdminDeleteUserCommand, AdminDisableUserCommand, AdminRemoveUserFromGroupCommand
} from '@aws-sdk/client-cognito-identity-provider'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { cognitoAdmin, signUpConfirmed } from '../helpers/accounts.js'

const PASSWORD = 'Correct-Horse-1'
/** Past the 1 s bound the apps below are built with. */
const pastTheBound = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, 1200)) }

interface Session { email: string; idToken: string; accessToken: string; refreshToken: string }

async function setup (t: { teardown: (fn: () => unknown) => void }): Promise<{
  app: FastifyInstance
  session: (groups?: string[]) => Promise<Session>
}> {
  const tables = await createTables(t)
  const app = await build(t, { env: { ...stackEnv(), ...tables, REVOCATION_CHECK_SECONDS: '1' } })
  const now = new Date().toISOString()
  await app.aws.ddb.send(new PutCommand({
    TableName: tables.ITEMS_TABLE,
    Item: {
      id: 'cable',
      category: 'accessories',
      type: 'cable',
      brand: 'Acme',
      title: 'Cable',
      description: 'A cable',
      colorPreference: [],
      price: 500,
      currency: 'USD',
      stock: 1000,
      searchText: 'cable',
      createdAt: now,
      updatedAt: now
    }
  }))
  const admin = cognitoAdmin()
  t.teardown(() => { admin.destroy() })
  const session = async (groups: string[] = []): Promise<Session> => {
    const email = `revoked-${randomUUID().slice(0, 8)}@example.com`
    await signUpConfirmed(app, { email, password: PASSWORD })
    for (const g of groups) {
      await admin.send(
        new AdminAddUserToGroupCommand({ UserPoolId: stackEnv().USER_POOL_ID, Username: email, GroupName: g })
      )
    }
    const signin = await app.inject({ method: 'POST', url: '/signin', payload: { email, password: PASSWORD } })
    if (signin.statusCode !== 200) throw new Error(`signin answered ${signin.statusCode}`)
    return { email, ...signin.json() as Omit<Session, 'email'> }
  }
  return { app, session }
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })
const order = { items: [{ id: 'cable', count: 1 }] }

t.test('a deleted or disabled user: every token stops working within the bound, on every route', async (t) => {
  const { app, session } = await setup(t)
  const admin = cognitoAdmin()
  t.teardown(() => { admin.destroy() })
  for (const [what, Command] of [['deleted', AdminDeleteUserCommand], ['disabled', AdminDisableUserCommand]] as const) {
    const s = await session()
    t.equal((await app.inject({ url: '/me', headers: bearer(s.idToken) })).statusCode, 200, `${what}: /me works before`)
    t.equal(
      (await app.inject({ method: 'POST', url: '/orders', headers: bearer(s.idToken), payload: order })).statusCode,
      201,
      `${what}: an order before`
    )
    await admin.send(new Command({ UserPoolId: stackEnv().USER_POOL_ID, Username: s.email }))
    await pastTheBound()
    for (const token of [s.idToken, s.accessToken]) {
      const me = await app.inject({ url: '/me', headers: bearer(token) })
      t.equal(me.statusCode, 401, `${what}: /me refuses the old token`)
      t.equal(me.json().code, 'token_revoked')
      t.match(me.headers['www-authenticate'], /error="invalid_token"/)
      t.equal(
        (await app.inject({ method: 'POST', url: '/orders', headers: bearer(token), payload: order })).statusCode,
        401,
        `${what}: no order`
      )
      t.equal((await app.inject({ url: '/orders', headers: bearer(token) })).statusCode, 401, `${what}: no order list`)
    }
  }
})

t.test('removed from the admin group: admin operations refuse the old token within the bound', async (t) => {
  const { app, session } = await setup(t)
  const s = await session(['admin'])
  const stockChange = {
    method: 'POST' as const,
    url: '/items/cable/stock',
    headers: bearer(s.idToken),
    payload: { delta: 1 }
  }
  t.equal((await app.inject(stockChange)).statusCode, 200, 'an admin operation works while in the group')
  const admin = cognitoAdmin()
  t.teardown(() => { admin.destroy() })
  await admin.send(
    new AdminRemoveUserFromGroupCommand({ UserPoolId: stackEnv().USER_POOL_ID, Username: s.email, GroupName: 'admin' })
  )
  await pastTheBound()
  const refused = await app.inject(stockChange)
  t.equal(refused.statusCode, 403, 'the token still claims admin, but the user no longer is')
  t.equal(refused.json().code, 'forbidden')
  t.equal(
    (await app.inject({ url: '/me', headers: bearer(s.idToken) })).json().groups.length,
    0,
    '/me shows the groups the user still has'
  )
})

t.test('POST /signout: the refresh token is revoked, and every token issued before stops working', async (t) => {
  const { app, session } = await setup(t)
  const s = await session()
  const other = await app.inject({ method: 'POST', url: '/signin', payload: { email: s.email, password: PASSWORD } })
  t.equal(other.statusCode, 200, 'signed in on a second device')
  const out = await app.inject({ method: 'POST', url: '/signout', headers: bearer(s.accessToken) })
  t.equal(out.statusCode, 204, out.body)
  for (const refreshToken of [s.refreshToken, other.json().refreshToken as string]) {
    const refresh = await app.inject({ method: 'POST', url: '/token/refresh', payload: { refreshToken } })
    t.equal(refresh.statusCode, 401, 'every refresh token of the user is revoked')
    t.equal(refresh.json().code, 'invalid_refresh_token')
  }
  for (const token of [s.idToken, s.accessToken, other.json().idToken as string]) {
    const me = await app.inject({ url: '/me', headers: bearer(token) })
    t.equal(me.statusCode, 401, 'a token issued before the sign-out is refused at once in this container')
    t.equal(me.json().code, 'token_revoked')
  }
  // Another container learns it within the bound.
  const elsewhere = await build(t, { env: { ...stackEnv(), REVOCATION_CHECK_SECONDS: '1' } })
  t.equal(
    (await elsewhere.inject({ url: '/me', headers: bearer(s.idToken) })).statusCode,
    401,
    'and in any other container'
  )
  // Signing in again works, with new tokens.
  await pastTheBound()
  const again = await app.inject({ method: 'POST', url: '/signin', payload: { email: s.email, password: PASSWORD } })
  t.equal(again.statusCode, 200)
  t.equal(
    (await app.inject({ url: '/me', headers: bearer(again.json().idToken as string) })).statusCode,
    200,
    'a new sign-in is not revoked'
  )
  t.equal((await app.inject({ method: 'POST', url: '/signout' })).statusCode, 401, 'signing out needs a token')
})
