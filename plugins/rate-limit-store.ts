// The counters behind the API's rate limits (plugins/rate-limit.ts), shared by every container: a
// DynamoDB table of atomic counters, one item per limit, caller and fixed window (the window is in
// the item's id, so a new window is a new item and TTL clears the old ones). Each limited request
// makes one call: an ADD that answers the new count, or for sign-in one transaction.
//
// Two things keep floods off the table: a refusal is remembered by the container until its window
// ends (a count never goes down within a window, so it stays refused), and while the table cannot
// be reached (errors, throttling, a call over LIMITER_TIMEOUT_MS) every container counts in its own
// memory for OUTAGE_MS before it tries the table again: limits hold per container, requests never
// wait on or fail for the limiter. That is the documented choice (docs/deploy.md).
import { TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { expiringCache } from '../core/expiring-cache.js'
import { errorName } from '../core/error-name.js'

/** A limiter call slower than this counts as an outage. */
export const LIMITER_TIMEOUT_MS = 1000
/** How long a container counts in memory after the table failed it. */
export const OUTAGE_MS = 30_000
/** Counters and refusals a container keeps in memory (oldest dropped first). */
const MEMORY_ENTRIES = 20_000
/** A transaction that keeps meeting a concurrent one on the same counter is retried this often. */
const CONFLICT_ATTEMPTS = 3

export interface SigninCheck {
  /** Attempts from the client address: counted, refused at `max`. */
  client: { id: string; endsAt: number; max: number }
  /** Failures on the account, in total and by client (`clientAttr`); checked, not counted. */
  account: { id: string; endsAt: number; clientAttr: string; perClientMax: number; totalMax: number }
}

/** Which sign-in limit refused, or null when none did. `concurrent`: sign-ins racing on one counter. */
export type SigninRefusal = 'client' | 'accountClient' | 'account' | 'concurrent' | null

export interface CounterStore {
  /** Adds one to the counter and answers its new value (over `max` once refused). */
  hit: (id: string, endsAt: number, max: number) => Promise<number>
  signinCheck: (check: SigninCheck) => Promise<SigninRefusal>
  /** Counts one failed sign-in on the account, in total and from the client. */
  signinFailed: (accountId: string, clientAttr: string, endsAt: number) => Promise<void>
}

const expiration = (endsAt: number): number => Math.ceil(endsAt / 1000) + 1

const jitter = async (): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, 5 +
  Math.random() * 20))
}

/**
 * The call, or a TimeoutError after LIMITER_TIMEOUT_MS (the call itself goes on, bounded by the
 * client's own timeouts). A timer is ~1 us a request; an AbortSignal.timeout() was ~10 us.
 */
async function withinDeadline<T> (call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => {
        reject(Object.assign(
          new Error('the rate-limit table did not answer in time'),
          { name: 'TimeoutError' }
        ))
      },
      LIMITER_TIMEOUT_MS
    )
  })
  try {
    return await Promise.race([call, late])
  } finally {
    clearTimeout(timer)
  }
}

/** A counter kept meeting concurrent transactions: not an outage, the call is counted in memory. */
export class CounterBusyError extends Error {
  constructor () { super('the rate-limit counter stayed busy'); this.name = 'CounterBusyError' }
}

interface CancellationReason { Code?: string; Item?: Record<string, { N?: string } | undefined> }

/** The counters in DynamoDB. Throws on any failure but a refusal. */
export function dynamoCounters (ddb: DynamoDBDocumentClient, table: string): CounterStore {
  const retryConflicts = async <T>(
    call: () => Promise<T>,
    conflicted: (err: unknown) => boolean,
    otherwise: () => T
  ): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call()
      } catch (err) {
        if (!conflicted(err)) throw err
        if (attempt >= CONFLICT_ATTEMPTS) return otherwise()
        await jitter()
      }
    }
  }
  return {
    async hit (id, endsAt) {
      const out = await withinDeadline(ddb.send(new UpdateCommand({
        TableName: table,
        Key: { id },
        UpdateExpression: 'ADD hits :one SET expiration = if_not_exists(expiration, :exp)',
        ExpressionAttributeValues: { ':one': 1, ':exp': expiration(endsAt) },
        ReturnValues: 'UPDATED_NEW'
      })))
      const hits = out.Attributes?.hits
      if (typeof hits !== 'number') throw new Error('the rate-limit counter answered no count')
      return hits
    },

    async signinCheck ({ client, account }) {
      const send = async (): Promise<SigninRefusal> => {
        await withinDeadline(ddb.send(new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: table,
                Key: { id: client.id },
                UpdateExpression: 'ADD hits :one SET expiration = if_not_exists(expiration, :exp)',
                ConditionExpression: 'attribute_not_exists(hits) OR hits < :max',
                ExpressionAttributeValues: { ':one': 1, ':exp': expiration(client.endsAt), ':max': client.max }
              }
            },
            {
              ConditionCheck: {
                TableName: table,
                Key: { id: account.id },
                ConditionExpression: 'attribute_not_exists(#total) OR (#total < :totalMax AND ' +
                  '(attribute_not_exists(#client) OR #client < :clientMax))',
                ExpressionAttributeNames: { '#total': 'total', '#client': account.clientAttr },
                ExpressionAttributeValues: { ':totalMax': account.totalMax, ':clientMax': account.perClientMax },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD'
              }
            }
          ]
        })))
        return null
      }
      const refusal = (err: unknown): SigninRefusal | undefined => {
        if (errorName(err) !== 'TransactionCanceledException') return undefined
        const reasons = ((err as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [])
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'client'
        if (reasons[1]?.Code === 'ConditionalCheckFailed') {
          const total = Number(reasons[1].Item?.total?.N ?? 0)
          return total >= account.totalMax ? 'account' : 'accountClient'
        }
        return undefined
      }
      const conflicted = (err: unknown): boolean => errorName(err) === 'TransactionConflictException' ||
        (errorName(err) === 'TransactionCanceledException' &&
          ((err as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? []).some((r) =>
            r.Code === 'TransactionConflict'))
      try {
        return await retryConflicts(send, (err) => refusal(err) === undefined && conflicted(err), () => 'concurrent')
      } catch (err) {
        const refused = refusal(err)
        if (refused !== undefined) return refused
        throw err
      }
    },

    async signinFailed (accountId, clientAttr, endsAt) {
      await retryConflicts(async () => await withinDeadline(ddb.send(new UpdateCommand({
        TableName: table,
        Key: { id: accountId },
        UpdateExpression: 'ADD #total :one, #client :one SET expiration = if_not_exists(expiration, :exp)',
        ExpressionAttributeNames: { '#total': 'total', '#client': clientAttr },
        ExpressionAttributeValues: { ':one': 1, ':exp': expiration(endsAt) }
      }))), (err) => errorName(err) === 'TransactionConflictException', () => { throw new CounterBusyError() })
    }
  }
}

/** The same counters in one container's memory: the fallback while the table cannot be reached. */
export function memoryCounters (now: () => number): CounterStore {
  const counts = new Map<string, { n: number; endsAt: number; byClient?: Map<string, number> }>()
  const entry = (id: string, endsAt: number): { n: number; endsAt: number; byClient?: Map<string, number> } => {
    let e = counts.get(id)
    if (e === undefined || e.endsAt <= now()) {
      if (counts.size >= MEMORY_ENTRIES) counts.delete(counts.keys().next().value as string)
      e = { n: 0, endsAt }
      counts.set(id, e)
    }
    return e
  }
  return {
    hit: async (id, endsAt) => ++entry(id, endsAt).n,
    async signinCheck ({ client, account }) {
      const c = entry(client.id, client.endsAt)
      if (c.n >= client.max) return 'client'
      const a = entry(account.id, account.endsAt)
      if (a.n >= account.totalMax) return 'account'
      if ((a.byClient?.get(account.clientAttr) ?? 0) >= account.perClientMax) return 'accountClient'
      c.n++
      return null
    },
    async signinFailed (accountId, clientAttr, endsAt) {
      const a = entry(accountId, endsAt)
      a.n++
      a.byClient ??= new Map()
      a.byClient.set(clientAttr, (a.byClient.get(clientAttr) ?? 0) + 1)
    }
  }
}

export interface SharedCountersOptions {
  shared: CounterStore
  now: () => number
  /** Told once each time the table fails and the container falls back to its memory. */
  onOutage: (err: unknown) => void
}

/** The table's counters, with refusals remembered and the memory fallback during an outage. */
export function sharedCounters ({ shared, now, onOutage }: SharedCountersOptions): CounterStore {
  const local = memoryCounters(now)
  const refusedUntil = expiringCache<number>(MEMORY_ENTRIES, 60 * 60_000)
  let outageUntil = 0
  const refused = (id: string): boolean => (refusedUntil.get(id) ?? 0) > now()
  const guarded = async <T>(call: (store: CounterStore) => Promise<T>): Promise<T> => {
    if (now() < outageUntil) return await call(local)
    try {
      return await call(shared)
    } catch (err) {
      if (!(err instanceof CounterBusyError)) {
        outageUntil = now() + OUTAGE_MS
        onOutage(err)
      }
      return await call(local)
    }
  }
  return {
    async hit (id, endsAt, max) {
      if (refused(id)) return max + 1
      const n = await guarded(async (store) => await store.hit(id, endsAt, max))
      if (n > max) refusedUntil.set(id, endsAt)
      return n
    },
    async signinCheck (check) {
      const { client, account } = check
      if (refused(client.id)) return 'client'
      if (refused(account.id)) return 'account'
      if (refused(`${account.id}|${account.clientAttr}`)) return 'accountClient'
      const verdict = await guarded(async (store) => await store.signinCheck(check))
      if (verdict === 'account') refusedUntil.set(account.id, account.endsAt)
      else if (verdict === 'accountClient') refusedUntil.set(`${account.id}|${account.clientAttr}`, account.endsAt)
      else if (verdict === 'client') refusedUntil.set(client.id, client.endsAt)
      return verdict
    },
    async signinFailed (accountId, clientAttr, endsAt) {
      await guarded(async (store) => { await store.signinFailed(accountId, clientAttr, endsAt) })
    }
  }
}
