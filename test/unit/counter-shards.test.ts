// The category counters' shards (domain/catalog-index-rows.ts): an item always moves the same
// shard, items spread over all of them, and readers add up a counter's shards and its row of the
// layout before shards, whatever their order or sign.
import t from 'tap'
import {
  COUNTER_SHARDS, counterOf, counterShard, countKeys, countsOf, indexChange, indexStateOf, shardSortKey,
  summariseCounts
} from '../../domain/catalog-index-rows.js'

const state = (id: string, category = 'phone', brand = 'Acme') =>
  indexStateOf({ id, category, type: 'smart', brand, title: 'Acme One', description: '' })

t.test("an item's counts always go to one shard; items spread over every shard", async (t) => {
  t.equal(counterShard('x1'), counterShard('x1'))
  const ids = Array.from({ length: 4000 }, (_, i) => `item-${i}`)
  const perShard = new Array<number>(COUNTER_SHARDS).fill(0)
  const outside = ids.filter((id) => !(counterShard(id) >= 0 && counterShard(id) < COUNTER_SHARDS))
  t.same(outside, [], 'every shard in range')
  for (const id of ids) perShard[counterShard(id)] = (perShard[counterShard(id)] ?? 0) + 1
  const even = ids.length / COUNTER_SHARDS
  t.ok(perShard.every((n) => n > even * 0.8 && n < even * 1.2), `evenly: ${perShard.join(', ')}`)
  // Before shards, 40 creates into one category all moved the one row `phone`: DynamoDB cancels a
  // transaction that meets another on a row, so concurrent creates conflicted on it.
  const moved = new Set(Array.from({ length: 40 }, (_, i) => indexChange(undefined, state(`new-${i}`)).counts[0]?.sk))
  t.ok(moved.size >= COUNTER_SHARDS - 1, `40 creates in one category moved ${moved.size} different rows`)
  t.notOk(moved.has('phone'))
})

t.test('a create, a move and a delete move the same shard of each counter', async (t) => {
  const shard = counterShard('x1')
  t.same(countKeys(state('x1')), [`#${shard}#phone`, `#${shard}#phone#type#smart`, `#${shard}#phone#brand#Acme`])
  const move = indexChange(state('x1'), state('x1', 'computer', 'Zed'))
  t.same(move.counts.map((c) => `${c.sk} ${c.delta}`).sort(), [
    `#${shard}#computer 1`, `#${shard}#computer#brand#Zed 1`, `#${shard}#computer#type#smart 1`,
    `#${shard}#phone -1`, `#${shard}#phone#brand#Acme -1`, `#${shard}#phone#type#smart -1`
  ])
  t.same(indexChange(state('x1'), undefined).counts.map((c) => c.sk), countKeys(state('x1')))
  t.same([...countsOf([state('x1'), undefined, state('x1')])], countKeys(state('x1')).map((sk) => [sk, 2]))
})

t.test('sort keys of both layouts name their counter', async (t) => {
  t.same(counterOf(shardSortKey(3, 'phone#brand#A#3')), { counter: 'phone#brand#A#3', shard: 3 })
  t.same(counterOf('phone#brand#A#3'), { counter: 'phone#brand#A#3' }, 'a row of the layout before shards')
  t.same(counterOf(shardSortKey(0, 'phone')), { counter: 'phone', shard: 0 })
})

t.test("a counter's shards and its old-layout row are added up before anything is judged", async (t) => {
  t.same(summariseCounts([
    { sk: '#0#phone', n: 2 }, { sk: '#5#phone', n: 1 }, { sk: 'phone', n: 4 },
    // Mid-migration: an item the old row counts was deleted; its shard went below 0.
    { sk: '#3#phone', n: -1 },
    { sk: '#3#phone#type#smart', n: -1 }, { sk: 'phone#type#smart', n: 1 }, // 0 in all: gone
    { sk: '#1#phone#type#feature', n: 1 },
    { sk: '#2#phone#brand#Acme', n: -2 }, { sk: 'phone#brand#Acme', n: 3 },
    { sk: '#4#empty', n: 0 }, { sk: '#4#empty#type#x', n: 0 }
  ]), [{ category: 'phone', count: 6, types: ['feature'], brands: ['Acme'] }])
})
