// The per-container snapshots POST /orders prices from: all of an order's items or none, never a
// stock, bounded in number and in age.
import t from 'tap'
import { createItemSnapshots } from '../../data/item-snapshots.js'
import type { OrderableItem } from '../../domain/orders.js'

const item = (id: string, extra: Partial<OrderableItem> = {}): OrderableItem => ({
  id,
  title: id.toUpperCase(),
  price: 100,
  currency: 'USD',
  stock: 7,
  ...extra
})

t.test('an order is priced from snapshots only when every item is known', async (t) => {
  const snapshots = createItemSnapshots()
  t.equal(snapshots.lookup(['a']), undefined, 'nothing known yet')
  snapshots.remember([item('a'), item('b', { colorPreference: [{ colorCode: 'RED', displayValue: 'Red' }] })])
  t.same([...(snapshots.lookup(['a', 'b']) ?? new Map()).values()], [
    { id: 'a', title: 'A', price: 100, currency: 'USD' },
    { id: 'b', title: 'B', price: 100, currency: 'USD', colorPreference: [{ colorCode: 'RED', displayValue: 'Red' }] }
  ], 'the attributes an order copies; the stock is never kept')
  t.equal(snapshots.lookup(['a', 'c']), undefined, 'one unknown item: read them all')
  snapshots.forget(['a'])
  t.equal(snapshots.lookup(['a', 'b']), undefined, 'forgotten')
  t.ok(snapshots.lookup(['b']), 'the others stay')
})

t.test('bounded: the oldest leave first, and every snapshot expires', async (t) => {
  const clock = t.capture(Date, 'now', () => now)
  let now = 1_000_000
  const snapshots = createItemSnapshots(2, 60_000)
  snapshots.remember([item('a'), item('b')])
  snapshots.remember([item('a', { price: 150 })])
  snapshots.remember([item('c')])
  t.equal(snapshots.lookup(['b']), undefined, 'the least recently remembered left')
  t.equal(snapshots.lookup(['a'])?.get('a')?.price, 150, 'remembering again refreshes')
  t.ok(snapshots.lookup(['c']))
  now += 60_001
  t.equal(snapshots.lookup(['c']), undefined, 'expired')
  t.ok(clock.args().length > 0)
})
