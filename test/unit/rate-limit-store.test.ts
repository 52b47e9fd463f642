// The rate-limit counters without DynamoDB Local: what the table's answers mean (aws-sdk-client-mock,
// for the cancellations and conflicts the emulator can't be made to produce on demand), refusals
// remembered until their window ends, and the fallback to per-container counting while the table
// is unreachable.
import t from 'tap'
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb'
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { mockedDocumentClient } from '../helpers/ddb-mock.js'
import {
  dynamoCounters,
  LIMITER_TIMEOUT_MS,
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
  t.equal(await counters.signinCheck(CHECK), null, 'both conditions held')
  t.equal(await counters.signinCheck(CHECK), 'client', 'the client counter was full')
  t.equal(
    await counters.signinCheck(CHECK),
    'account',
    "the account's failures reached the ceiling (its old item says 50)"
  )
  const tx = mock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!
  t.equal(tx.length, 2, 'one call for the three limits')
  t.match(tx[0], { Update: { Key: { id: 'ip' }, ConditionExpression: /hits < :max/ } })
  t.match(tx[1], { ConditionCheck: { Key: { id: 'acct' }, ExpressionAttributeNames: { '#client': 'c_x' } } })
})

t.test('concurrent transactions on one counter are retried, then refused as concurrent; other errors ' +
  'throw', async (t) => {
  const { counters, mock } = mocked(t)
  mock.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'None')).resolvesOnce({})
  t.equal(await counters.signinCheck(CHECK), null, 'a conflict is retried')
  mock.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict'))
  t.equal(await counters.signinCheck(CHECK), 'concurrent', 'always conflicting: refused, never let through')
  mock.on(TransactWriteCommand).rejects(
    Object.assign(new Error('boom'), { name: 'ProvisionedThroughputExceededException' })
  )
  await t.rejects(counters.signinCheck(CHECK), { name: 'ProvisionedThroughputExceededException' })
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
  t.equal(await counters.signinCheck(check), null)
  await counters.signinFailed('acct', 'c', 10_000)
  await counters.signinFailed('acct', 'c', 10_000)
  t.equal(await counters.signinCheck(check), 'accountClient')
  t.equal(
    await counters.signinCheck({ ...check, account: { ...check.account, clientAttr: 'd' } }),
    null,
    'another client'
  )
  t.equal(
    await counters.signinCheck({ ...check, account: { ...check.account, clientAttr: 'd' } }),
    'client',
    'that client address is now full'
  )
  await counters.signinFailed('acct', 'e', 10_000)
  t.equal(
    await counters.signinCheck({
      client: { id: 'ip2', endsAt: 10_000, max: 2 },
      account: { ...check.account, clientAttr: 'f' }
    }),
    'account',
    'three failures in all'
  )
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
    signinCheck: async (c) => { calls++; if (failing) throw new Error('down'); return await table.signinCheck(c) },
    signinFailed: async (...args) => {
      calls++
      if (failing) throw new Error('down')
      await table.signinFailed(...args)
    }
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
