// Orders against DynamoDB Local: the lifecycle, every validation error, ownership, pagination,
// idempotency, and the concurrency guarantees (stock never below zero, one order per key, one of
// two racing transitions).
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { build } from '../helpers/app.js'
import { createTables, stackEnv } from '../helpers/stack.js'
import { startTestIssuer, type TestIssuer } from '../helpers/tokens.js'
import { LOCAL_DEFAULTS } from '../../core/config.js'

const WAREHOUSE = { 'x-api-key': LOCAL_DEFAULTS.WAREHOUSE_API_KEY }
const DELIVERY = { 'x-api-key': LOCAL_DEFAULTS.DELIVERY_API_KEY }

interface Line { id: string; count: number; color?: string | number }

const now = new Date().toISOString()
const item = (id: string, stock: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  category: 'accessories',
  type: 'cable',
  brand: 'Acme',
  title: `Item ${id} <b>`,
  description: 'A test item',
  colorPreference: [],
  price: 1250,
  currency: 'USD',
  stock,
  searchText: `item ${id}`,
  createdAt: now,
  updatedAt: now,
  ...extra
})

t.test('orders against DynamoDB Local', async (t) => {
  const tables = await createTables(t)
  const issuer: TestIssuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const app: FastifyInstance = await build(t, { env: { ...stackEnv(), ...tables, ...issuer.env } })
  const ddb = app.aws.ddb
  const put = async (i: Record<string, unknown>): Promise<void> => {
    await ddb.send(
      new PutCommand({ TableName: tables.ITEMS_TABLE, Item: i })
    )
  }
  const stockOf = async (id: string): Promise<number> =>
    (await ddb.send(new GetCommand({
      TableName: tables.ITEMS_TABLE,
      Key: { id },
      ConsistentRead: true
    }))).Item?.stock as number

  // "Nothing was written" is proved by a strongly consistent scan of the table: GET /orders reads
  // an index that lags behind writes on DynamoDB (not on DynamoDB Local), so it proves nothing there.
  const ordersWith = async (userId: string, itemId: string): Promise<number> => {
    const res = await ddb.send(new ScanCommand({ TableName: tables.ORDERS_TABLE, ConsistentRead: true }))
    return (res.Items ?? []).filter((o) =>
      o.userId === userId && (o.lines as Array<{ id: string }>).some((l) => l.id === itemId)).length
  }
  const tokenFor = (sub: string, groups: string[] = []): Record<string, string> =>
    ({ authorization: `Bearer ${issuer.token({ sub, email: `${sub}@example.com`, groups })}` })
  const ada = tokenFor('user-ada')
  const bob = tokenFor('user-bob')
  const admin = tokenFor('user-admin', ['admin'])
  const place = (
    headers: Record<string, string>,
    items: Line[] | unknown,
    extra: Record<string, string> = {}
  ): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'POST', url: '/orders', headers: { ...headers, ...extra }, payload: { items } })

  await put(item('cable', 100))
  await put(item('phone', 10, {
    price: 99900,
    title: 'Phone',
    colorPreference: [
      { colorCode: '#000', displayValue: 'Black' },
      { colorCode: '7', displayValue: 'Seven' }
    ]
  }))
  await put(item('euro', 10, { currency: 'EUR' }))
  await put(item('scarce', 1))

  t.test('the whole lifecycle: place, read, pack, deliver', async (t) => {
    const res = await place(ada, [{ id: 'cable', count: 3 }, { id: 'phone', count: 1, color: '#000' }])
    t.equal(res.statusCode, 201, res.body)
    const order = res.json()
    t.equal(res.headers.location, `/orders/${order.id}`)
    t.match(order, {
      userId: 'user-ada',
      userEmail: 'user-ada@example.com',
      status: 'placed',
      total: 3 * 1250 + 99900,
      currency: 'USD',
      lines: [
        { id: 'cable', title: 'Item cable <b>', count: 3, unitPrice: 1250 },
        { id: 'phone', title: 'Phone', color: 'Black', colorCode: '#000', count: 1, unitPrice: 99900 }
      ]
    })
    t.equal(order.history.length, 1)
    t.equal(order.history[0].by, 'user:user-ada')
    t.equal(await stockOf('cable'), 97, 'stock taken')
    t.equal(await stockOf('phone'), 9)

    // A later catalog edit does not change the order.
    await put(item('cable', 97, { price: 9999, title: 'Renamed' }))
    const read = await app.inject({ url: `/orders/${order.id}`, headers: ada })
    t.equal(read.statusCode, 200)
    t.same(read.json(), order, 'the snapshot is kept')
    const legacy = await app.inject({ url: `/order/${order.id}`, headers: ada })
    t.same(legacy.json(), order, 'the deprecated alias answers the same')

    const packed = await app.inject({
      method: 'POST',
      url: `/orderpacked/${order.id}`,
      headers: WAREHOUSE,
      payload: { packageId: 'PKG-1' }
    })
    t.equal(packed.statusCode, 200, packed.body)
    t.match(packed.json(), { status: 'packed', packageId: 'PKG-1' })
    t.equal(packed.json().history[1].by, 'partner:warehouse')
    const again = await app.inject({ method: 'POST', url: `/orderpacked/${order.id}`, headers: WAREHOUSE })
    t.equal(again.statusCode, 200, 'a repeated transition answers the order')
    t.equal(again.json().history.length, 2, 'and changes nothing')

    const cancel = await app.inject({ method: 'POST', url: `/orders/${order.id}/cancel`, headers: ada })
    t.equal(cancel.statusCode, 409)
    t.match(cancel.json(), { code: 'invalid_transition', currentStatus: 'packed' })

    const wrongKey = await app.inject({ method: 'POST', url: `/orderdelivered/${order.id}`, headers: WAREHOUSE })
    t.equal(wrongKey.statusCode, 403, 'the warehouse key cannot deliver')
    const noKey = await app.inject({ method: 'POST', url: `/orderdelivered/${order.id}` })
    t.equal(noKey.statusCode, 401)
    const delivered = await app.inject({
      method: 'POST',
      url: `/orderdelivered/${order.id}`,
      headers: DELIVERY,
      payload: { trackingNumber: '1Z', carrier: 'UPS' }
    })
    t.equal(delivered.statusCode, 200)
    t.match(delivered.json(), { status: 'delivered', trackingNumber: '1Z', carrier: 'UPS', packageId: 'PKG-1' })
    t.same(delivered.json().history.map((h: { status: string }) => h.status), ['placed', 'packed', 'delivered'])

    const late = await app.inject({ method: 'POST', url: `/orderpacked/${order.id}`, headers: WAREHOUSE })
    t.equal(late.statusCode, 200, 'packing a delivered order repeats a transition already made')
    const unknown = await app.inject({ method: 'POST', url: '/orderpacked/no-such-order', headers: WAREHOUSE })
    t.equal(unknown.statusCode, 404)
    t.equal(unknown.json().code, 'order_not_found')
    const extra = await app.inject({
      method: 'POST',
      url: `/orderpacked/${order.id}`,
      headers: WAREHOUSE,
      payload: { packageId: 'x', size: 3 }
    })
    t.equal(extra.statusCode, 400, 'unknown properties are rejected')
    const emptyJson = await app.inject({
      method: 'POST',
      url: `/orderpacked/${order.id}`,
      headers: { ...WAREHOUSE, 'content-type': 'application/json' },
      payload: ''
    })
    t.equal(emptyJson.statusCode, 200, 'an empty body with a JSON content type is no body')
    const malformed = await app.inject({
      method: 'POST',
      url: `/orderpacked/${order.id}`,
      headers: { ...WAREHOUSE, 'content-type': 'application/json' },
      payload: '{"packageId":'
    })
    t.equal(malformed.statusCode, 400, 'malformed JSON is still a 400')
    t.equal(malformed.json().code, 'malformed_json')
  })

  // An order mails its customer, so its address must be the customer's.
  t.test('an account whose email is not verified cannot order (403 email_unverified); a verified one can, and its ' +
    'order says so', async (t) => {
    const eve = tokenFor('user-eve')
    issuer.users.get('user-eve')!.emailVerified = false
    const refused = await place(eve, [{ id: 'cable', count: 1 }])
    t.equal(refused.statusCode, 403, refused.body)
    t.equal(refused.json().code, 'email_unverified')
    t.match(refused.json().detail, /POST \/signup\/confirm|verif/i)
    t.equal((await app.inject({ url: '/orders', headers: eve })).statusCode, 200, 'reading is still allowed')
    const ok = await place(ada, [{ id: 'cable', count: 1 }])
    t.equal(ok.statusCode, 201)
    t.equal(ok.json().userEmailVerified, true, 'the order records that its address was verified')
  })

  t.test('delivering an order that is not packed is a 409 naming its status', async (t) => {
    const order = (await place(ada, [{ id: 'cable', count: 1 }])).json()
    const res = await app.inject({ method: 'POST', url: `/orderdelivered/${order.id}`, headers: DELIVERY })
    t.equal(res.statusCode, 409)
    t.match(res.json(), { code: 'invalid_transition', currentStatus: 'placed' })
  })

  t.test('every validation error names the line and the reason', async (t) => {
    const cases: Array<[string, unknown, number, string, RegExp?]> = [
      ['no lines', [], 400, 'validation_failed'],
      ['51 lines', Array.from({ length: 51 }, (_, i) => ({ id: `x${i}`, count: 1 })), 400, 'validation_failed'],
      ['count 0', [{ id: 'cable', count: 0 }], 400, 'validation_failed'],
      ['count 100', [{ id: 'cable', count: 100 }], 400, 'validation_failed'],
      ['count 1.5', [{ id: 'cable', count: 1.5 }], 400, 'validation_failed'],
      ['unknown property', [{ id: 'cable', count: 1, price: 1 }], 400, 'validation_failed'],
      ['unknown item', [{ id: 'cable', count: 1 }, { id: 'nope', count: 1 }], 400, 'unknown_item', /items\[1\]/],
      [
        'duplicate line',
        [{ id: 'cable', count: 1 }, { id: 'cable', count: 2 }],
        400,
        'duplicate_line',
        /items\[1\].*items\[0\]/
      ],
      ['colour missing', [{ id: 'phone', count: 1 }], 400, 'color_required', /#000, 7/],
      ['wrong colour', [{ id: 'phone', count: 1, color: '#fff' }], 400, 'invalid_color', /items\[0\]/],
      ['colour on a plain item', [{ id: 'cable', count: 1, color: 'red' }], 400, 'invalid_color', /no colours/],
      ['mixed currencies', [{ id: 'cable', count: 1 }, { id: 'euro', count: 1 }], 400, 'mixed_currency', /EUR.*USD/],
      [
        'not enough stock',
        [{ id: 'cable', count: 1 }, { id: 'scarce', count: 2 }],
        409,
        'insufficient_stock',
        /scarce \(requested 2, available 1\)/
      ]
    ]
    const before = await stockOf('cable')
    for (const [name, items, status, code, detail] of cases) {
      const res = await place(ada, items)
      t.equal(res.statusCode, status, `${name}: ${res.body}`)
      t.match(res.headers['content-type'], /^application\/problem\+json/, name)
      t.equal(res.json().code, code, name)
      if (detail !== undefined) t.match(res.json().detail, detail, name)
    }
    const short = await place(ada, [{ id: 'scarce', count: 2 }])
    t.same(short.json().items, [{ id: 'scarce', requested: 2, available: 1 }], 'the 409 names what is short')
    t.equal(await stockOf('cable'), before, 'no failed order took stock')
    const numeric = await place(ada, [{ id: 'phone', count: 1, color: 7 }])
    t.equal(numeric.statusCode, 201, 'a colour code given as a number')
    t.equal(numeric.json().lines[0].color, 'Seven')
    const noToken = await app.inject(
      { method: 'POST', url: '/orders', payload: { items: [{ id: 'cable', count: 1 }] } }
    )
    t.equal(noToken.statusCode, 401)
    const badKey = await place(ada, [{ id: 'cable', count: 1 }], { 'idempotency-key': 'x'.repeat(256) })
    t.equal(badKey.statusCode, 400, 'an Idempotency-Key over 255 characters')
  })

  t.test("another user's order is invisible, exactly like a missing one; admins see all", async (t) => {
    const order = (await place(ada, [{ id: 'cable', count: 1 }])).json()
    const theirs = await app.inject({ url: `/orders/${order.id}`, headers: bob })
    const missing = await app.inject({ url: '/orders/00000000-0000-0000-0000-000000000000', headers: bob })
    t.equal(theirs.statusCode, 404)
    t.equal(theirs.json().code, missing.json().code)
    t.equal(theirs.json().title, missing.json().title)
    t.equal((await app.inject({ url: `/order/${order.id}`, headers: bob })).statusCode, 404)
    t.equal(
      (await app.inject({ method: 'POST', url: `/orders/${order.id}/cancel`, headers: bob })).statusCode,
      404,
      'nor can they cancel it'
    )
    const list = await app.inject({ url: '/orders', headers: bob })
    t.notOk(list.json().orders.some((o: { id: string }) => o.id === order.id))
    t.equal(
      (await app.inject({ url: `/orders/${order.id}`, headers: admin })).statusCode,
      200,
      'an admin reads any order'
    )
  })

  t.test('cancel restores the stock in the same transaction, and repeats answer the same order', async (t) => {
    const before = await stockOf('cable')
    const order = (await place(ada, [{ id: 'cable', count: 5 }])).json()
    t.equal(await stockOf('cable'), before - 5)
    const res = await app.inject({ method: 'POST', url: `/orders/${order.id}/cancel`, headers: ada })
    t.equal(res.statusCode, 200)
    t.equal(res.json().status, 'cancelled')
    t.equal(await stockOf('cable'), before, 'stock restored')
    const again = await app.inject({ method: 'POST', url: `/orders/${order.id}/cancel`, headers: ada })
    t.equal(again.statusCode, 200)
    t.same(again.json(), res.json(), 'a second cancel answers the same cancelled order')
    t.equal(await stockOf('cable'), before, 'and restores nothing twice')
    const pack = await app.inject({ method: 'POST', url: `/orderpacked/${order.id}`, headers: WAREHOUSE })
    t.equal(pack.statusCode, 409)
    t.equal(pack.json().currentStatus, 'cancelled')
  })

  t.test('lists are the caller\'s, newest first, paginated, filtered by status', async (t) => {
    const carol = tokenFor('user-carol')
    const ids: string[] = []
    for (let i = 0; i < 7; i++) ids.push((await place(carol, [{ id: 'cable', count: 1 }])).json().id)
    await app.inject({ method: 'POST', url: `/orders/${ids[1]}/cancel`, headers: carol })
    await app.inject({ method: 'POST', url: `/orders/${ids[4]}/cancel`, headers: carol })
    const walk = async (url: string): Promise<string[]> => {
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const res = await app.inject({
          url: `${url}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
          headers: carol
        })
        t.equal(res.statusCode, 200, res.body)
        seen.push(...res.json().orders.map((o: { id: string }) => o.id))
        cursor = res.json().nextCursor
      } while (cursor !== undefined)
      return seen
    }
    t.same(await walk('/orders?limit=3'), [...ids].reverse(), 'all, newest first, no gaps or repeats')
    t.same(await walk('/orderslist?limit=2'), [...ids].reverse(), 'the deprecated alias pages the same')
    t.same(await walk('/orders?limit=1&status=cancelled'), [ids[4], ids[1]], 'filtered pages')
    t.same(await walk('/orders?limit=2&status=placed'), [ids[6], ids[5], ids[3], ids[2], ids[0]])
    const first = (await app.inject({ url: '/orders?limit=2', headers: carol })).json()
    const stolen = await app.inject({
      url: `/orders?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`,
      headers: bob
    })
    t.equal(stolen.statusCode, 400, "another user's cursor is refused")
    t.equal(stolen.json().code, 'invalid_cursor')
    const otherFilter = await app.inject({
      url: `/orders?limit=2&status=placed&cursor=${encodeURIComponent(first.nextCursor)}`,
      headers: carol
    })
    t.equal(otherFilter.statusCode, 400, 'a cursor is bound to its filter')
    t.equal((await app.inject({ url: '/orders?status=lost', headers: carol })).statusCode, 400)
  })

  t.test('idempotency: replays, a reused key with another body, and 20 concurrent retries', async (t) => {
    const key = { 'idempotency-key': 'order-key-1' }
    const first = await place(ada, [{ id: 'cable', count: 2 }], key)
    t.equal(first.statusCode, 201)
    const before = await stockOf('cable')
    const replay = await place(ada, [{ id: 'cable', count: 2 }], key)
    t.equal(replay.statusCode, 201)
    t.equal(replay.headers['idempotent-replayed'], 'true')
    t.same(replay.json(), first.json(), 'the same response')
    t.equal(await stockOf('cable'), before, 'no second stock decrement')
    const reused = await place(ada, [{ id: 'cable', count: 3 }], key)
    t.equal(reused.statusCode, 422)
    t.equal(reused.json().code, 'idempotency_key_reused')
    const otherUser = await place(bob, [{ id: 'cable', count: 2 }], key)
    t.equal(otherUser.statusCode, 201, "keys are per user: bob's key is his own")
    t.not(otherUser.json().id, first.json().id)

    const failed = await place(ada, [{ id: 'scarce', count: 5 }], { 'idempotency-key': 'retry-after-fix' })
    t.equal(failed.statusCode, 409)
    const fixed = await place(ada, [{ id: 'scarce', count: 1 }], { 'idempotency-key': 'retry-after-fix' })
    t.equal(fixed.statusCode, 201, 'a failed request frees its key for the corrected request')

    await put(item('burst', 100))
    const burst = { 'idempotency-key': 'burst-key' }
    const results = await Promise.all(Array.from({ length: 20 }, () => place(ada, [{ id: 'burst', count: 1 }], burst)))
    const created = results.filter((r) => r.statusCode === 201)
    t.equal(created.length, 20, `every concurrent retry answers 201 (${results.map((r) => r.statusCode).join(',')})`)
    t.equal(new Set(created.map((r) => r.json().id)).size, 1, 'every 201 is the same order')
    t.equal(
      created.filter((r) => r.headers['idempotent-replayed'] === 'true').length,
      19,
      'one placed it, 19 replayed it'
    )
    t.equal(await stockOf('burst'), 99, 'one order, one stock decrement')
    t.equal(await ordersWith('user-ada', 'burst'), 1, 'exactly one order exists')
  })

  t.test('200 concurrent orders for stock 50: exactly 50 orders, stock 0', async (t) => {
    await put(item('hot', 50))
    const buyers = Array.from({ length: 200 }, (_, i) => tokenFor(`buyer-${i % 20}`))
    const results = await Promise.all(buyers.map((h) => place(h, [{ id: 'hot', count: 1 }])))
    const codes = new Map<number, number>()
    for (const r of results) codes.set(r.statusCode, (codes.get(r.statusCode) ?? 0) + 1)
    t.equal(codes.get(201), 50, `50 created (${JSON.stringify([...codes])})`)
    t.equal((codes.get(409) ?? 0) + (codes.get(503) ?? 0), 150, 'the rest are refused: short stock, or busy to retry')
    for (const r of results.filter((r) => r.statusCode === 409)) t.equal(r.json().code, 'insufficient_stock')
    t.equal(await stockOf('hot'), 0, 'stock is exactly 0, never below')
    const ids = new Set(results.filter((r) => r.statusCode === 201).map((r) => r.json().id))
    t.equal(ids.size, 50)
  })

  t.test('a warm container places an order in one call; an item changed since is never ordered as it ' +
    'was', async (t) => {
    await put(
      item('lamp', 20, { title: 'Lamp', price: 3000, colorPreference: [{ colorCode: 'RED', displayValue: 'Red' }] })
    )
    // The DynamoDB calls each request makes, as the app's client sends them.
    let calls: string[] = []
    ddb.middlewareStack.add((next, context) => async (args) => {
      calls.push(
        String(context.commandName).replace(/Command$/, '')
      ); return await next(args)
    },
    { step: 'initialize', name: 'countCalls' })
    t.teardown(() => { ddb.middlewareStack.remove('countCalls') })
    const order = async (line: Line, key?: string): Promise<LightMyRequestResponse> => {
      calls = []
      return await place(ada, [line], key === undefined ? {} : { 'idempotency-key': key })
    }
    const setLamp = async (expression: string, values: Record<string, unknown>): Promise<void> => {
      await ddb.send(
        new UpdateCommand({
          TableName: tables.ITEMS_TABLE,
          Key: { id: 'lamp' },
          UpdateExpression: expression,
          ExpressionAttributeValues: values
        })
      )
    }
    const lampOrders = async (): Promise<number> => await ordersWith('user-ada', 'lamp')

    const first = await order({ id: 'lamp', count: 1, color: 'RED' }, 'lamp-1')
    t.equal(first.statusCode, 201, first.body)
    t.same(
      calls,
      ['BatchGetItem', 'TransactWriteItems'],
      'the first order for an item reads it (with the key\'s record)'
    )
    const second = await order({ id: 'lamp', count: 1, color: 'red' }, 'lamp-2')
    t.equal(second.statusCode, 201, second.body)
    t.same(calls, ['TransactWriteItems'], 'the next one is one transaction')
    t.same(
      second.json().lines[0],
      { id: 'lamp', title: 'Lamp', color: 'Red', colorCode: 'RED', count: 1, unitPrice: 3000 }
    )
    const replayed = await order({ id: 'lamp', count: 1, color: 'red' }, 'lamp-2')
    t.equal(replayed.headers['idempotent-replayed'], 'true', 'a retry from a warm container still replays')
    t.equal(replayed.json().id, second.json().id)
    t.equal(await stockOf('lamp'), 18, 'two orders, two units')

    await setLamp('SET price = :p, title = :t', { ':p': 3500, ':t': 'Lamp II' })
    const repriced = await order({ id: 'lamp', count: 2, color: 'RED' })
    t.equal(repriced.statusCode, 201, repriced.body)
    t.match(
      repriced.json(),
      { total: 7000, lines: [{ title: 'Lamp II', unitPrice: 3500 }] },
      'the new price and title, never the remembered ones'
    )
    t.same(
      calls,
      ['TransactWriteItems', 'BatchGetItem', 'TransactWriteItems'],
      'the stale snapshot cost one refused transaction and a read'
    )
    t.equal(await stockOf('lamp'), 16, 'the refused transaction took nothing')

    await setLamp(
      'SET colorPreference = list_append(colorPreference, :c)',
      { ':c': [{ colorCode: 'BLU', displayValue: 'Blue' }] }
    )
    const blue = await order({ id: 'lamp', count: 1, color: 'BLU' })
    t.equal(blue.statusCode, 201, `a colour added since the item was remembered: ${blue.body}`)
    t.same(calls, ['BatchGetItem', 'TransactWriteItems'], 'a refusal from memory is checked by a read first')
    await setLamp('SET colorPreference = :c', { ':c': [{ colorCode: 'BLU', displayValue: 'Blue' }] })
    const before = await lampOrders()
    const red = await order({ id: 'lamp', count: 1, color: 'RED' })
    t.equal(red.statusCode, 400, red.body)
    t.equal(red.json().code, 'invalid_color', 'a colour withdrawn since')
    const short = await order({ id: 'lamp', count: 99, color: 'BLU' })
    t.equal(short.statusCode, 409, short.body)
    t.same(
      short.json().items,
      [{ id: 'lamp', requested: 99, available: 15 }],
      'short stock from a warm container names what is left'
    )
    t.same(calls, ['TransactWriteItems'], 'found by the transaction itself')
    await ddb.send(new DeleteCommand({ TableName: tables.ITEMS_TABLE, Key: { id: 'lamp' } }))
    const gone = await order({ id: 'lamp', count: 1, color: 'BLU' })
    t.equal(gone.statusCode, 400, gone.body)
    t.equal(gone.json().code, 'unknown_item', 'an item deleted since')
    t.equal(await lampOrders(), before, 'none of the refused orders was written')
  })

  t.test('concurrent pack and cancel: exactly one applies', async (t) => {
    for (let round = 0; round < 5; round++) {
      const before = await stockOf('cable')
      const order = (await place(ada, [{ id: 'cable', count: 2 }])).json()
      const [pack, cancel] = await Promise.all([
        app.inject({ method: 'POST', url: `/orderpacked/${order.id}`, headers: WAREHOUSE }),
        app.inject({ method: 'POST', url: `/orders/${order.id}/cancel`, headers: ada })
      ])
      const final = (await app.inject({ url: `/orders/${order.id}`, headers: ada })).json()
      t.same([pack.statusCode, cancel.statusCode].sort(), [200, 409], `round ${round}: one wins, one is refused`)
      t.equal(final.history.length, 2, 'the history holds exactly one transition')
      if (final.status === 'cancelled') {
        t.equal(pack.statusCode, 409)
        t.equal(await stockOf('cable'), before, 'cancel won: stock restored')
      } else {
        t.equal(final.status, 'packed')
        t.equal(cancel.statusCode, 409)
        t.equal(await stockOf('cable'), before - 2, 'pack won: stock stays taken')
      }
    }
  })
})
