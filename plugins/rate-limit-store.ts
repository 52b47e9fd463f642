// The counters behind the API's rate limits (plugins/rate-limit.ts), shared by every container: a
// DynamoDB table of atomic counters, one item per limit, caller and fixed window (the window is in
// the item's id, so a new window is a new item and TTL clears the old ones). Each limited request
// makes one call: an ADD that answers the new count, or for sign-in one transaction that counts the
// attempt and reserves a failure slot on the account, given back once the password proved right.
//
// Two things keep floods off the table: a refusal is remembered by the container until its window
// ends (a count never goes down within a window, so it stays refused; an account's failure slots
// can come back, so its refusal is remembered for seconds), and while the table cannot be reached
// (errors, throttling, a call over its deadline: RATE_LIMIT_TABLE_TIMEOUT_MS, 1 s by default) every
// container counts in its own memory for OUTAGE_MS before it tries the table again: limits hold per
// container, requests never wait on or fail for the limiter. That is the documented choice (docs/deploy.md).
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { expiringCache } from '../core/expiring-cache.js'
import { errorName } from '../core/error-name.js'
import { retryOnConflict } from '../core/conflict-retry.js'
import { LIMITER_TIMEOUT_MS } from '../core/config.js'

/** How long a container counts in memory after the table failed it. */
export const OUTAGE_MS = 30_000
/** Counters and refusals a container keeps in memory (oldest dropped first). */
const MEMORY_ENTRIES = 20_000
/** A transaction that keeps meeting a concurrent one on the same counter is retried this often. */
const CONFLICT_ATTEMPTS = 3
/** How long a container remembers an account's refusal (its slots may come back before the window ends). */
const ACCOUNT_REFUSAL_MEMORY_MS = 10_000

export interface SigninCheck {
  /** Attempts from the client address: counted, refused at `max`. */
  client: { id: string; endsAt: number; max: number }
  /**
   * Failure slots on the account, in total and by client (`clientAttr`): one is reserved before the
   * password or code is checked and given back (signinRelease) unless the check failed. `known`:
   * the client address signed in to the account before, so only its own slots (`perClientMax`)
   * bound it, whatever the total.
   */
  account: { id: string; endsAt: number; clientAttr: string; perClientMax: number; totalMax: number; known?: boolean }
}

/** Which sign-in limit refused, or null when none did. `concurrent`: sign-ins racing on one counter. */
export type SigninRefusal = 'client' | 'accountClient' | 'account' | 'concurrent' | null

export interface CounterStore {
  /** Adds one to the counter and answers its new value (over `max` once refused). */
  hit: (id: string, endsAt: number, max: number) => Promise<number>
  /** Counts the attempt and reserves a failure slot on the account, atomically; or says which limit refused. */
  signinReserve: (check: SigninCheck) => Promise<SigninRefusal>
  /** Gives back the slot a check that did not fail reserved. */
  signinRelease: (accountId: string, clientAttr: string, endsAt: number) => Promise<void>
  /** Marks a client address as one the account signed in from, until `endsAt`. */
  rememberAddress: (id: string, endsAt: number) => Promise<void>
  knownAddress: (id: string) => Promise<boolean>
}

const expiration = (endsAt: number): number => Math.ceil(endsAt / 1000) + 1

/**
 * The call, or a TimeoutError after `deadlineMs` (the call itself goes on, bounded by the client's
 * own timeouts). A timer is ~1 us a request; an AbortSignal.timeout() was ~10 us.
 */
async function withinDeadline<T> (call: Promise<T>, deadlineMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => {
        reject(Object.assign(
          new Error('the rate-limit table did not answer in time'),
          { name: 'TimeoutError' }
        ))
      },
      deadlineMs
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
export function dynamoCounters (
  ddb: DynamoDBDocumentClient, table: string, now: () => number = Date.now, deadlineMs = LIMITER_TIMEOUT_MS
): CounterStore {
  const retryConflicts = async <T>(
    call: () => Promise<T>, conflicted: (err: unknown) => boolean, otherwise: () => T
  ): Promise<T> =>
    await retryOnConflict(call, {
      attempts: CONFLICT_ATTEMPTS, conflicted, pauseMs: () => 5 + Math.random() * 20, exhausted: otherwise
    })
  return {
    async hit (id, endsAt) {
      const out = await withinDeadline(ddb.send(new UpdateCommand({
        TableName: table,
        Key: { id },
        UpdateExpression: 'ADD hits :one SET expiration = if_not_exists(expiration, :exp)',
        ExpressionAttributeValues: { ':one': 1, ':exp': expiration(endsAt) },
        ReturnValues: 'UPDATED_NEW'
      })), deadlineMs)
      const hits = out.Attributes?.hits
      if (typeof hits !== 'number') throw new Error('the rate-limit counter answered no count')
      return hits
    },

    async signinReserve ({ client, account }) {
      // A known address is bounded by its own slots only; any other by its own and the total.
      const condition = account.known === true
        ? 'attribute_not_exists(#client) OR #client < :clientMax'
        : '(attribute_not_exists(#total) OR #total < :totalMax) AND ' +
          '(attribute_not_exists(#client) OR #client < :clientMax)'
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
              Update: {
                TableName: table,
                Key: { id: account.id },
                UpdateExpression: 'ADD #total :one, #client :one SET expiration = if_not_exists(expiration, :exp)',
                ConditionExpression: condition,
                ExpressionAttributeNames: { '#total': 'total', '#client': account.clientAttr },
                ExpressionAttributeValues: {
                  ':one': 1,
                  ':exp': expiration(account.endsAt),
                  ':clientMax': account.perClientMax,
                  ...(account.known === true ? {} : { ':totalMax': account.totalMax })
                },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD'
              }
            }
          ]
        })), deadlineMs)
        return null
      }
      const refusal = (err: unknown): SigninRefusal | undefined => {
        if (errorName(err) !== 'TransactionCanceledException') return undefined
        const reasons = ((err as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [])
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'client'
        if (reasons[1]?.Code === 'ConditionalCheckFailed') {
          const total = Number(reasons[1].Item?.total?.N ?? 0)
          return account.known !== true && total >= account.totalMax ? 'account' : 'accountClient'
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

    async signinRelease (accountId, clientAttr) {
      try {
        await withinDeadline(ddb.send(new UpdateCommand({
          TableName: table,
          Key: { id: accountId },
          UpdateExpression: 'ADD #total :minus, #client :minus',
          // Never below zero, and never recreating an item its TTL removed.
          ConditionExpression: '#total > :zero AND #client > :zero',
          ExpressionAttributeNames: { '#total': 'total', '#client': clientAttr },
          ExpressionAttributeValues: { ':minus': -1, ':zero': 0 }
        })), deadlineMs)
      } catch (err) {
        if (errorName(err) !== 'ConditionalCheckFailedException') throw err
      }
    },

    async rememberAddress (id, endsAt) {
      await withinDeadline(ddb.send(new UpdateCommand({
        TableName: table,
        Key: { id },
        UpdateExpression: 'SET expiration = :exp',
        ExpressionAttributeValues: { ':exp': expiration(endsAt) }
      })), deadlineMs)
    },

    async knownAddress (id) {
      const read = new GetCommand({ TableName: table, Key: { id }, ConsistentRead: true })
      const out = await withinDeadline(ddb.send(read), deadlineMs)
      const expires = out.Item?.expiration
      // TTL deletes within days, not at once: an expired marker is read as absent.
      return typeof expires === 'number' && expires * 1000 > now()
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
  const known = expiringCache<number>(MEMORY_ENTRIES, 365 * 24 * 3600_000)
  return {
    hit: async (id, endsAt) => ++entry(id, endsAt).n,
    async signinReserve ({ client, account }) {
      const c = entry(client.id, client.endsAt)
      if (c.n >= client.max) return 'client'
      const a = entry(account.id, account.endsAt)
      const mine = a.byClient?.get(account.clientAttr) ?? 0
      if (account.known !== true && a.n >= account.totalMax) return 'account'
      if (mine >= account.perClientMax) return 'accountClient'
      c.n++
      a.n++
      a.byClient ??= new Map()
      a.byClient.set(account.clientAttr, mine + 1)
      return null
    },
    async signinRelease (accountId, clientAttr, endsAt) {
      const a = entry(accountId, endsAt)
      const mine = a.byClient?.get(clientAttr) ?? 0
      if (a.n > 0 && mine > 0) {
        a.n--
        a.byClient?.set(clientAttr, mine - 1)
      }
    },
    async rememberAddress (id, endsAt) { known.set(id, endsAt) },
    async knownAddress (id) { return (known.get(id) ?? 0) > now() }
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
    async signinReserve (check) {
      const { client, account } = check
      if (refused(client.id)) return 'client'
      if (account.known !== true && refused(account.id)) return 'account'
      if (refused(`${account.id}|${account.clientAttr}`)) return 'accountClient'
      const verdict = await guarded(async (store) => await store.signinReserve(check))
      // Slots come back on success, so a refusal of the account is remembered only briefly.
      const briefly = Math.min(account.endsAt, now() + ACCOUNT_REFUSAL_MEMORY_MS)
      if (verdict === 'account') refusedUntil.set(account.id, briefly)
      else if (verdict === 'accountClient') refusedUntil.set(`${account.id}|${account.clientAttr}`, briefly)
      else if (verdict === 'client') refusedUntil.set(client.id, client.endsAt)
      return verdict
    },
    async signinRelease (accountId, clientAttr, endsAt) {
      await guarded(async (store) => { await store.signinRelease(accountId, clientAttr, endsAt) })
    },
    async rememberAddress (id, endsAt) {
      await guarded(async (store) => { await store.rememberAddress(id, endsAt) })
    },
    async knownAddress (id) {
      return await guarded(async (store) => await store.knownAddress(id))
    }
  }
}
