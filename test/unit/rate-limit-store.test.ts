// The rate-limit counters without DynamoDB Local: what the table's answers mean (aws-sdk-client-mock,
// for the cancellations and conflicts the emulator can't be made to produce on demand), refusals
// remembered until their window ends, and the fallback to per-container counting while the table
// is unreachable.
import t from 'tap'
import { LIMITER_TIMEOUT_MS } from '../../core/config.js'
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb'
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { mockedDocumentClient } from '../helpers/ddb-mock.js'
import {
  dynamoCounters,
  memoryCounters,
  OUTAGE_MS,
  sharedCounters,
  type CounterStore,
  type SigninCheck
} from '../../plugins/rate-limit-store.js'

function mocked (t: { teardown: (fn: () => unknown) => void }) {
  const { ddb, mock } = mockedDocumentClient(t)
  return { counters: dynamoCounters(ddb, 'limits'), mock }
}

const CHECK: SigninCheck = {
  client: { id: 'ip', endsAt: 60_000, max: 30 },
  account: { id: 'acct', endsAt: 900_000, clientAttr: 'c_x', perClientMax: 5, totalMax: 50 }
}
const cancelled = (...codes: string[]): TransactionCanceledException => new TransactionCanceledException({
  message: 'cancelled',
  $metadata: {},
  CancellationReasons: codes.map((Code) =>
    ({ Code, ...(Code === 'ConditionalCheckFailed' ? { Item: { total: { N: '50' } } } : {}) }))
})

t.test('the table: one ADD per hit, answering the count; sign-in\'s transaction read as refusals', async (t) => {
  const { counters, mock } = mocked(t)
  mock.on(UpdateCommand).resolves({ Attributes: { hits: 7 } })
  t.equal(await counters.hit('k|1', 60_000, 10), 7)
  const update = mock.commandCalls(UpdateCommand)[0]!.args[0].input
  t.match(update, { TableName: 'limits', Key: { id: 'k|1' }, ReturnValues: 'UPDATED_NEW' })
  t.equal(update.ExpressionAttributeValues?.[':exp'], 61, 'expires with its window (epoch seconds)')

  mock.on(TransactWriteCommand).resolvesOnce({}).rejectsOnce(cancelled('ConditionalCheckFailed', 'None'))
    .rejectsOnce(cancelled('None', 'ConditionalCheckFailed'))
  t.equal(await counters.signinReserve(CHECK), null, 'both conditions held')
  t.equal(await counters.signinReserve(CHECK), 'client', 'the client counter was full')
  t.equal(await counters.signinReserve(CHECK), 'account',
    "the account's failures reached the ceiling (its old item says 50)")
  const tx = mock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!
  t.equal(tx.length, 2, 'one call for the three limits')
  t.match(tx[0], { Update: { Key: { id: 'ip' }, ConditionExpression: /hits < :max/ } })
  t.match(tx[1], {
    Update: {
      Key: { id: 'acct' },
      UpdateExpression: /ADD #total :one, #client :one/,
      ExpressionAttributeNames: { '#client': 'c_x' }
    }
  })
  t.match(tx[1], { Update: { ConditionExpression: /#total < :totalMax/ } },
    'the slot is reserved only under the account ceiling')

  mock.on(TransactWriteCommand).resolves({})
  t.equal(await counters.signinReserve({ ...CHECK, account: { ...CHECK.account, known: true } }), null)
  const known = mock.commandCalls(TransactWriteCommand).at(-1)!.args[0].input.TransactItems![1]!
  t.notMatch(known.Update?.ConditionExpression, /totalMax/, 'a known address is bounded by its own slots only')
  t.match(known.Update?.ConditionExpression, /#client < :clientMax/)
})

t.test('concurrent transactions on one counter are retried, then refused as concurrent; other errors ' +
  'throw', async (t) => {
  const { counters, mock } = mocked(t)
  mock.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'None')).resolvesOnce({})
  t.equal(await counters.signinReserve(CHECK), null, 'a conflict is retried')
  mock.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict'))
  t.equal(await counters.signinReserve(CHECK), 'concurrent', 'always conflicting: refused, never let through')
  mock.on(TransactWriteCommand).rejects(
    Object.assign(new Error('boom'), { name: 'ProvisionedThroughputExceededException' })
  )
  await t.rejects(counters.signinReserve(CHECK), { name: 'ProvisionedThroughputExceededException' })
})

t.test('a table that does not answer within the deadline is an error (the outage the shared counters fall back ' +
  'from)', async (t) => {
  const { counters, mock } = mocked(t)
  mock.on(UpdateCommand).callsFake(async () => await new Promise(() => {}))
  const started = Date.now()
  await t.rejects(counters.hit('k', 60_000, 10), { name: 'TimeoutError' })
  t.ok(Date.now() - started >= LIMITER_TIMEOUT_MS - 50, 'after the deadline, not before')
})

t.test('memory counters: the same limits in one container', async (t) => {
  let now = 0
  const counters = memoryCounters(() => now)
  t.equal(await counters.hit('a', 1000, 1), 1)
  t.equal(await counters.hit('a', 1000, 1), 2)
  now = 1000
  t.equal(await counters.hit('a', 2000, 1), 1, 'a new window')
  const check = {
    client: { id: 'ip', endsAt: 10_000, max: 2 },
    account: { id: 'acct', endsAt: 10_000, clientAttr: 'c', perClientMax: 2, totalMax: 3 }
  }
  t.equal(await counters.signinReserve(check), null, 'a slot reserved')
  await counters.signinRelease('acct', 'c', 10_000)
  t.equal(await counters.signinReserve(check), null, 'given back, then reserved again')
  t.equal(await counters.signinReserve({ ...check, client: { ...check.client, id: 'ip3' } }), null, 'two failures kept')
  t.equal(await counters.signinReserve({ ...check, client: { ...check.client, id: 'ip4' } }), 'accountClient')
  t.equal(await counters.signinReserve({ ...check, account: { ...check.account, clientAttr: 'd' } }), 'client',
    'that client address is now full')
  const from = (ip: string, clientAttr: string, known?: boolean) =>
    ({ client: { id: ip, endsAt: 10_000, max: 2 }, account: { ...check.account, clientAttr, known } })
  t.equal(await counters.signinReserve(from('ip2', 'e')), null)
  t.equal(await counters.signinReserve(from('ip2', 'f')), 'account', 'three failures in all')
  t.equal(await counters.signinReserve(from('ip5', 'f', true)), null,
    'a known address keeps its own slots')
  await counters.rememberAddress('known|x', 20_000)
  t.ok(await counters.knownAddress('known|x'))
  t.notOk(await counters.knownAddress('known|y'))
})

t.test('shared counters: a refusal is remembered until its window ends; an outage falls back to memory', async (t) => {
  let now = 0
  let calls = 0
  let failing = false
  const table = memoryCounters(() => now)
  const shared: CounterStore = {
    hit: async (...args) => {
      calls++; if (failing) {
        throw Object.assign(
          new Error('down'),
          { name: 'TimeoutError' }
        )
      } return await table.hit(...args)
    },
    signinReserve: async (c) => { calls++; if (failing) throw new Error('down'); return await table.signinReserve(c) },
    signinRelease: async (...args) => {
      calls++
      if (failing) throw new Error('down')
      await table.signinRelease(...args)
    },
    rememberAddress: async (...args) => {
      calls++
      if (failing) throw new Error('down')
      await table.rememberAddress(...args)
    },
    knownAddress: async (id) => { calls++; if (failing) throw new Error('down'); return await table.knownAddress(id) }
  }
  const outages: unknown[] = []
  const counters = sharedCounters({ shared, now: () => now, onOutage: (err) => outages.push(err) })

  t.equal(await counters.hit('k', 1000, 2), 1)
  t.equal(await counters.hit('k', 1000, 2), 2)
  t.equal(await counters.hit('k', 1000, 2), 3, 'over the limit')
  t.equal(calls, 3)
  for (let i = 0; i < 10; i++) t.ok(await counters.hit('k', 1000, 2) > 2)
  t.equal(calls, 3, 'refused ten more times without asking the table')
  now = 1000
  t.equal(await counters.hit('k', 2000, 2), 1, 'a new window asks the table again')
  t.equal(calls, 4)

  failing = true
  t.equal(await counters.hit('o', 60_000, 2), 1, 'the table fails: counted in memory, the request answered')
  t.equal(outages.length, 1)
  t.equal(await counters.hit('o', 60_000, 2), 2)
  t.equal(await counters.hit('o', 60_000, 2), 3, 'still limited, per container')
  t.equal(calls, 5, 'no call to the table during the outage')
  t.equal(outages.length, 1, 'told once')
  now += OUTAGE_MS
  failing = false
  t.equal(await counters.hit('p', 60_000, 2), 1)
  t.equal(calls, 6, 'the table is tried again once the outage window is over')
})
