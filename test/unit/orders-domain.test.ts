// The order rules without HTTP or DynamoDB: the state machine, line validation and the price
// snapshot, and the Idempotency-Key helpers.
import t from 'tap'
import { Problem } from '../../core/problem.js'
import {
  decideTransition,
  matchesSnapshot,
  priceOrder,
  publicOrder,
  canRead,
  type OrderableItem,
  type StoredOrder
} from '../../domain/orders.js'
import { canonicalJson, IDEMPOTENCY_KEY_PATTERN, orderIdFor, requestHash } from '../../domain/idempotency.js'

const catalog = new Map<string, OrderableItem>([
  ['a', { id: 'a', title: 'A', price: 100, currency: 'USD', stock: 5 }],
  [
    'b',
    {
      id: 'b',
      title: 'B',
      price: 250,
      currency: 'USD',
      stock: 1,
      colorPreference: [{ colorCode: 'RED', displayValue: 'Red' }, { colorCode: '12', displayValue: 'Twelve' }]
    }
  ],
  ['e', { id: 'e', title: 'E', price: 100, currency: 'EUR', stock: 5 }]
])

function problemOf (fn: () => unknown): Problem {
  try {
    fn()
  } catch (err) {
    if (err instanceof Problem) return err
    throw err
  }
  throw new Error('expected a Problem')
}

t.test('the state machine', async (t) => {
  const at = (status: StoredOrder['status'], ...past: StoredOrder['status'][]) =>
    ({ status, history: [...past, status].map((s) => ({ status: s, at: 'x', by: 'y' })) })
  t.equal(decideTransition(at('placed'), 'packed'), 'apply')
  t.equal(decideTransition(at('packed', 'placed'), 'delivered'), 'apply')
  t.equal(decideTransition(at('placed'), 'cancelled'), 'apply')
  t.equal(decideTransition(at('packed', 'placed'), 'packed'), 'noop', 'a repeat is a no-op')
  t.equal(
    decideTransition(at('delivered', 'placed', 'packed'), 'packed'),
    'noop',
    'a transition made earlier is a no-op'
  )
  t.equal(decideTransition(at('cancelled', 'placed'), 'cancelled'), 'noop')
  for (const [order, target, current] of [
    [at('placed'), 'delivered', 'placed'],
    [at('packed', 'placed'), 'cancelled', 'packed'],
    [at('cancelled', 'placed'), 'packed', 'cancelled'],
    [at('delivered', 'placed', 'packed'), 'cancelled', 'delivered']
  ] as const) {
    const p = problemOf(() => decideTransition(order, target))
    t.equal(p.status, 409)
    t.equal(p.code, 'invalid_transition')
    t.equal(p.extras.currentStatus, current, `${current} -> ${target}`)
  }
})

t.test('pricing snapshots lines and totals in minor units', async (t) => {
  const priced = priceOrder([{ id: 'a', count: 3 }, { id: 'b', count: 1, color: 'red' }], catalog)
  t.same(priced.lines, [
    { id: 'a', title: 'A', count: 3, unitPrice: 100 },
    { id: 'b', title: 'B', color: 'Red', colorCode: 'RED', count: 1, unitPrice: 250 }
  ])
  t.equal(priced.total, 550)
  t.equal(priced.currency, 'USD')
  t.same([...priced.stock], [['a', 3], ['b', 1]])
  t.equal(priceOrder([{ id: 'b', count: 1, color: 12 }], catalog).lines[0]?.color, 'Twelve', 'a numeric colour code')
  const short = problemOf(() => priceOrder(
    [{ id: 'b', count: 1, color: 'RED' }, { id: 'b', count: 1, color: '12' }],
    catalog
  ))
  t.same(short.extras.items, [{ id: 'b', requested: 2, available: 1 }], 'one item in two colours is one stock check')
})

t.test('each invalid line is a 4xx naming the line and the reason', async (t) => {
  const cases: Array<[unknown[], number, string, RegExp]> = [
    [[], 400, 'validation_failed', /1 to 50/],
    [[{ id: 'a', count: 0 }], 400, 'validation_failed', /items\[0\]: count/],
    [[{ id: 'a', count: 100 }], 400, 'validation_failed', /count/],
    [[{ id: 'a', count: 1 }, { id: 'zz', count: 1 }], 400, 'unknown_item', /items\[1\]: no item with id zz/],
    [[{ id: 'a', count: 1 }, { id: 'a', count: 1 }], 400, 'duplicate_line', /items\[1\]: repeats items\[0\]/],
    [[{ id: 'b', count: 1 }], 400, 'color_required', /RED, 12/],
    [[{ id: 'b', count: 1, color: 'blue' }], 400, 'invalid_color', /blue/],
    [[{ id: 'a', count: 1, color: 'blue' }], 400, 'invalid_color', /no colours/],
    [[{ id: 'a', count: 1 }, { id: 'e', count: 1 }], 400, 'mixed_currency', /EUR/],
    [
      [{ id: 'a', count: 6 }, { id: 'b', count: 2, color: 'RED' }],
      409,
      'insufficient_stock',
      /a \(requested 6, available 5\), b \(requested 2, available 1\)/
    ]
  ]
  for (const [lines, status, code, detail] of cases) {
    const p = problemOf(() => priceOrder(lines as never, catalog))
    t.equal(p.status, status, code)
    t.equal(p.code, code)
    t.match(p.detail, detail)
  }
})

t.test('an item from the snapshots, stock unknown, is priced and left to the transaction to check', async (t) => {
  const remembered = new Map<string, OrderableItem>([['a', { id: 'a', title: 'A', price: 100, currency: 'USD' }]])
  const priced = priceOrder([{ id: 'a', count: 99 }], remembered)
  t.equal(priced.total, 9900)
  t.same([...priced.stock], [['a', 99]], 'the units to take, for the transaction to condition on')
  t.equal(
    problemOf(() => priceOrder([{ id: 'a', count: 6 }], catalog)).code,
    'insufficient_stock',
    'a known stock is still checked here'
  )
})

t.test('a snapshot matches an item only while title, price, currency and colours are unchanged', async (t) => {
  const b = catalog.get('b') as OrderableItem
  const { stock: _stock, ...snapshot } = b
  t.ok(matchesSnapshot(snapshot, { ...b, stock: 0 }), 'stock aside')
  t.ok(
    matchesSnapshot(
      snapshot,
      {
        ...b,
        colorPreference: b.colorPreference?.map((c) => ({ displayValue: c.displayValue, colorCode: c.colorCode }))
      }
    ),
    'key order inside a colour is not a change'
  )
  t.notOk(matchesSnapshot(snapshot, undefined), 'a deleted item')
  t.notOk(matchesSnapshot(snapshot, { ...b, price: 251 }), 'price')
  t.notOk(matchesSnapshot(snapshot, { ...b, title: 'B2' }), 'title')
  t.notOk(matchesSnapshot(snapshot, { ...b, currency: 'EUR' }), 'currency')
  t.notOk(
    matchesSnapshot(snapshot, { ...b, colorPreference: [...(b.colorPreference ?? [])].reverse() }),
    'colour order'
  )
  t.notOk(matchesSnapshot(snapshot, { ...b, colorPreference: [] }), 'colours withdrawn')
  const plain = catalog.get('a') as OrderableItem
  t.notOk(
    matchesSnapshot(plain, { ...plain, colorPreference: [] }),
    'no colours is not an empty list (the transaction tells them apart too)'
  )
})

t.test('views and ownership', async (t) => {
  const stored = {
    id: 'o',
    userId: 'u',
    userEmail: 'e',
    status: 'placed',
    lines: [],
    total: 0,
    currency: 'USD',
    createdAt: 'c',
    updatedAt: 'u',
    history: [],
    internal: 'secret'
  } as unknown as StoredOrder
  t.notOk('internal' in publicOrder(stored), 'internal attributes never leave')
  t.ok(canRead(stored, { sub: 'u', groups: [] }))
  t.notOk(canRead(stored, { sub: 'v', groups: [] }))
  t.ok(canRead(stored, { sub: 'v', groups: ['admin'] }))
})

t.test('idempotency keys', async (t) => {
  const pattern = new RegExp(IDEMPOTENCY_KEY_PATTERN)
  t.ok(pattern.test('a'))
  t.ok(pattern.test('5d1f8a2c-0b7e-4f3a-9c6d-1e2f3a4b5c6d'))
  t.ok(pattern.test('x'.repeat(255)))
  t.notOk(pattern.test('x'.repeat(256)))
  t.notOk(pattern.test(' lead'))
  t.notOk(pattern.test('tab\there'))
  t.notOk(pattern.test('é'))
  t.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}')
  t.equal(
    requestHash({ items: [{ id: 'a', count: 1 }] }),
    requestHash({ items: [{ count: 1, id: 'a' }] }),
    'key order does not matter'
  )
  t.not(requestHash({ items: [{ id: 'a', count: 1 }] }), requestHash({ items: [{ id: 'a', count: 2 }] }))
  const id = orderIdFor('u', 'k', 'h')
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  t.equal(orderIdFor('u', 'k', 'h'), id, 'deterministic')
  t.not(orderIdFor('v', 'k', 'h'), id, 'per user')
  t.not(orderIdFor('u', 'k', 'h2'), id, 'per body')
})
