// The effects ledger's promises, run against both ledgers: the DynamoDB one (workers/effect-ledger.ts,
// on DynamoDB Local) and the in-memory one the worker's unit tests use (test/helpers/worker-fixtures.ts),
// so the copy cannot drift from the real conditions. Both run on a clock of the test's own.
import t, { type Test } from 'tap'
import { createDynamoLedger, type EffectLedger, type Claim } from '../../workers/effect-ledger.js'
import { MemoryLedger } from '../helpers/worker-fixtures.js'
import { createTables, localDynamoClient } from '../helpers/stack.js'

interface Clock { now: () => number; advance: (ms: number) => void }
// Starts at the real time: the records' TTL derives from it, and DynamoDB Local deletes expired items.
function clock (): Clock {
  let at = Date.now()
  return { now: () => at, advance: (ms) => { at += ms } }
}

type Make = (t: Test, c: Clock) => Promise<EffectLedger>
const LEDGERS: Array<[string, Make]> = [
  ['memory', async (_t, c) => new MemoryLedger(c.now)],
  ['dynamodb', async (t, c) => {
    const tables = await createTables(t)
    const ddb = localDynamoClient()
    t.teardown(() => { ddb.destroy() })
    return createDynamoLedger(ddb, tables.IDEMPOTENCY_TABLE, c.now)
  }]
]

const LEASE = 10_000

type Channel = 'email' | 'warehouse-webhook'
const W = 'warehouse-webhook'

async function claimed (
  ledger: EffectLedger, sequence: number, channel: Channel = W, after = 0, order = 'ord-1'
): Promise<Extract<Claim, { outcome: 'claimed' }>> {
  const c = await ledger.claim(order, channel, sequence, LEASE, after)
  if (c.outcome !== 'claimed') throw new Error(`expected a claim of ${sequence}, got ${JSON.stringify(c)}`)
  return c
}

for (const [name, make] of LEDGERS) {
  t.test(`${name} ledger`, async (t) => {
    t.test('duplicate: an effect done is not claimed again; equal is reported as done', async (t) => {
      const ledger = await make(t, clock())
      const c = await claimed(ledger, 1)
      t.equal(c.ambiguous, false)
      await ledger.complete('ord-1', 'warehouse-webhook', 1, c.token)
      t.same(await ledger.claim('ord-1', 'warehouse-webhook', 1, LEASE), { outcome: 'done', done: 1 })
      t.equal((await ledger.claim('ord-2', W, 1, LEASE)).outcome, 'claimed', 'another order is its own record')
      t.equal((await ledger.claim('ord-1', 'email', 1, LEASE)).outcome, 'claimed', 'another channel too')
    })

    t.test('stale: an older effect after a newer one is done is reported done with the newer mark', async (t) => {
      const ledger = await make(t, clock())
      const c = await claimed(ledger, 3)
      await ledger.complete('ord-1', 'warehouse-webhook', 3, c.token)
      t.same(await ledger.claim('ord-1', 'warehouse-webhook', 1, LEASE), { outcome: 'done', done: 3 })
      t.equal((await ledger.claim('ord-1', W, 4, LEASE)).outcome, 'claimed', 'a newer one is claimed')
    })

    t.test('busy: a live claim holds the channel, for any sequence; released, it is free at once', async (t) => {
      const c0 = clock()
      const ledger = await make(t, c0)
      const c = await claimed(ledger, 1)
      t.same(await ledger.claim('ord-1', 'warehouse-webhook', 1, LEASE), { outcome: 'busy', until: c0.now() + LEASE })
      t.same(await ledger.claim('ord-1', 'warehouse-webhook', 2, LEASE), { outcome: 'busy', until: c0.now() + LEASE })
      await ledger.release('ord-1', 'warehouse-webhook', 'not-the-token')
      t.equal((await ledger.claim('ord-1', W, 1, LEASE)).outcome, 'busy', 'another token does not release it')
      await ledger.release('ord-1', 'warehouse-webhook', c.token)
      t.equal((await ledger.claim('ord-1', 'warehouse-webhook', 1, LEASE)).outcome, 'claimed')
    })

    t.test('lease expiry: a lapsed claim is taken over; the late owner records, the new claim stays', async (t) => {
      const c0 = clock()
      const ledger = await make(t, c0)
      const first = await claimed(ledger, 1)
      c0.advance(LEASE - 1)
      t.equal((await ledger.claim('ord-1', 'warehouse-webhook', 1, LEASE)).outcome, 'busy', 'still within the lease')
      c0.advance(2)
      const second = await claimed(ledger, 1)
      await ledger.complete('ord-1', 'warehouse-webhook', 1, first.token)
      t.equal((await ledger.claim('ord-1', W, 1, LEASE)).outcome, 'done', 'the late owner recorded it')
      t.equal((await ledger.claim('ord-1', W, 2, LEASE)).outcome, 'busy', "the other delivery's claim stands")
      await ledger.complete('ord-1', 'warehouse-webhook', 1, second.token)
      t.equal((await ledger.claim('ord-1', W, 2, LEASE)).outcome, 'claimed', 'and is released by its owner')
    })

    t.test('out of order: the done mark never goes down when an older effect completes last', async (t) => {
      // An older effect's lease overran; a newer one claimed and completed; the older completes last.
      const c0 = clock()
      const ledger = await make(t, c0)
      const older = await claimed(ledger, 1)
      c0.advance(LEASE + 1)
      const newer = await claimed(ledger, 2)
      await ledger.complete('ord-1', 'warehouse-webhook', 2, newer.token)
      await ledger.complete('ord-1', 'warehouse-webhook', 1, older.token)
      t.same(await ledger.claim('ord-1', W, 2, LEASE), { outcome: 'done', done: 2 }, 'the newer one is not sent again')
      // The same while the older still holds a claim of its own (it completes after the newer's fallback).
      const a = await claimed(ledger, 5, 'warehouse-webhook', 0, 'ord-2')
      c0.advance(LEASE + 1)
      const b = await claimed(ledger, 6, 'warehouse-webhook', 0, 'ord-2')
      c0.advance(LEASE + 1)
      const a2 = await claimed(ledger, 5, 'warehouse-webhook', 0, 'ord-2')
      await ledger.complete('ord-2', 'warehouse-webhook', 6, b.token)
      await ledger.complete('ord-2', 'warehouse-webhook', 5, a2.token)
      await ledger.complete('ord-2', 'warehouse-webhook', 5, a.token)
      t.same(await ledger.claim('ord-2', 'warehouse-webhook', 6, LEASE), { outcome: 'done', done: 6 })
      t.equal((await ledger.claim('ord-2', W, 7, LEASE)).outcome, 'claimed', 'no claim was left behind')
    })

    t.test('in order (after): an effect waits until the one before it is done, then goes', async (t) => {
      const c0 = clock()
      const ledger = await make(t, c0)
      t.same(await ledger.claim('ord-1', 'email', 2, LEASE, 1), { outcome: 'waiting', done: 0 }, 'nothing done yet')
      const first = await claimed(ledger, 1, 'email')
      const busy = { outcome: 'busy', until: c0.now() + LEASE }
      t.same(await ledger.claim('ord-1', 'email', 2, LEASE, 1), busy, 'the earlier one in progress')
      await ledger.release('ord-1', 'email', first.token)
      t.same(await ledger.claim('ord-1', 'email', 3, LEASE, 2), { outcome: 'waiting', done: 0 })
      const again = await claimed(ledger, 1, 'email')
      await ledger.complete('ord-1', 'email', 1, again.token)
      t.same(await ledger.claim('ord-1', 'email', 3, LEASE, 2), { outcome: 'waiting', done: 1 }, 'two back still waits')
      const second = await claimed(ledger, 2, 'email', 1)
      await ledger.complete('ord-1', 'email', 2, second.token)
      t.same(await ledger.claim('ord-1', 'email', 2, LEASE, 1), { outcome: 'done', done: 2 })
      t.equal((await ledger.claim('ord-1', 'email', 3, LEASE, 2)).outcome, 'claimed')
    })

    t.test('ambiguous: an unknown outcome marked on release is told to the next claim of that sequence', async (t) => {
      const ledger = await make(t, clock())
      const c = await claimed(ledger, 1, 'email')
      await ledger.release('ord-1', 'email', c.token, 1)
      const next = await claimed(ledger, 1, 'email')
      t.equal(next.ambiguous, true)
      await ledger.complete('ord-1', 'email', 1, next.token)
      t.equal((await claimed(ledger, 2, 'email', 1)).ambiguous, false, 'not for the next email')
    })
  })
}
