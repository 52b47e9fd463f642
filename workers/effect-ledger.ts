// The effects ledger: one record per order and channel (the warehouse's webhooks, the delivery
// service's, the customer's emails) in the idempotency table, holding the sequence of the last
// effect done on that channel and a short claim while one is being done. It gives each channel:
// - once: an effect whose sequence is not above the last one done is not done again (duplicate);
// - one at a time: while a claim is live, another delivery of the channel waits (busy);
// - in order, by the caller's choice (`after`): either an effect older than the last one done is
//   not done (superseded: a webhook "placed" after "cancelled" went out), or an effect waits until
//   the one before it is done (waiting: every email goes out, in the order's own order).
// The done mark never goes down: an older effect finishing late (its lease overran) leaves it.
// Hand-written rather than Powertools idempotency, whose records are per payload and know no order.
import { UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { randomUUID } from 'node:crypto'
import { EFFECT_RECORD_TTL_SECONDS } from './delivery-policy.js'

export type Channel = 'warehouse-webhook' | 'delivery-webhook' | 'email'

export type Claim =
  /** `ambiguous`: an earlier attempt of this very effect ended with an unknown outcome (it may have been done). */
  | { outcome: 'claimed'; token: string; ambiguous: boolean }
  /** `done` >= the effect's sequence: equal is a duplicate, above is a newer effect already done. */
  | { outcome: 'done'; done: number }
  /** Another delivery holds the channel until `until` (epoch ms). */
  | { outcome: 'busy'; until: number }
  /** The effects the claim asked to follow (`after`) are not all done yet: `done` is the last that is (0: none). */
  | { outcome: 'waiting'; done: number }

export interface EffectLedger {
  /**
   * Claims the channel for the effect `sequence` for `leaseMs`. `after` (default 0): the claim
   * waits until the effects up to that sequence are done (emails pass `sequence - 1`).
   */
  claim: (orderId: string, channel: Channel, sequence: number, leaseMs: number, after?: number) => Promise<Claim>
  /** Records the effect done (`sequence`, unless a newer one is), releasing the claim if it is still ours. */
  complete: (orderId: string, channel: Channel, sequence: number, token: string) => Promise<void>
  /**
   * Gives the claim back after a failed effect, so a retry need not wait for the lease (best effort).
   * `ambiguous`: the effect may have been done (a timeout): the next claim of that sequence says so.
   */
  release: (orderId: string, channel: Channel, token: string, ambiguous?: number) => Promise<void>
}

export const ledgerRecordId = (orderId: string, channel: Channel): string => `effect#${orderId}#${channel}`

/** What a claim that failed its condition found: the same decision for every ledger. */
export function refusedClaim (
  record: { done?: number | undefined; claimUntil?: number | undefined },
  sequence: number,
  after: number,
  now: number
): Exclude<Claim, { outcome: 'claimed' }> | undefined {
  const done = record.done ?? 0
  if (record.done !== undefined && done >= sequence) return { outcome: 'done', done }
  if (record.claimUntil !== undefined && record.claimUntil >= now) return { outcome: 'busy', until: record.claimUntil }
  if (done < after) return { outcome: 'waiting', done }
  return undefined
}

const n = (v: number): AttributeValue => ({ N: String(v) })
const s = (v: string): AttributeValue => ({ S: v })
const isConditionFailure = (err: unknown): boolean =>
  (err as { name?: string }).name === 'ConditionalCheckFailedException'
const num = (v: AttributeValue | undefined): number | undefined => v?.N === undefined ? undefined : Number(v.N)
const CLAIM_NAMES = { '#claim': 'claimToken', '#claimSeq': 'claimSequence', '#claimUntil': 'claimUntil' }

export function createDynamoLedger (ddb: DynamoDBClient, table: string, now: () => number = Date.now): EffectLedger {
  const expiration = (): AttributeValue => n(Math.floor(now() / 1000) + EFFECT_RECORD_TTL_SECONDS)
  const keyOf = (orderId: string, channel: Channel): Record<string, AttributeValue> =>
    ({ id: s(ledgerRecordId(orderId, channel)) })
  const ledger: EffectLedger = {
    async claim (orderId, channel, sequence, leaseMs, after = 0) {
      const token = randomUUID()
      const at = now()
      const newer = after > 0 ? '#done >= :after AND #done < :seq' : '(attribute_not_exists(#done) OR #done < :seq)'
      try {
        const res = await ddb.send(new UpdateItemCommand({
          TableName: table,
          Key: keyOf(orderId, channel),
          UpdateExpression: 'SET #claim = :token, #claimSeq = :seq, #claimUntil = :until, #expiration = :exp',
          ConditionExpression: `${newer} AND (attribute_not_exists(#claimUntil) OR #claimUntil < :now)`,
          ExpressionAttributeNames: { ...CLAIM_NAMES, '#done': 'doneSequence', '#expiration': 'expiration' },
          ExpressionAttributeValues: {
            ':token': s(token),
            ':seq': n(sequence),
            ':until': n(at + leaseMs),
            ':now': n(at),
            ':exp': expiration(),
            ...(after > 0 ? { ':after': n(after) } : {})
          },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD'
        }))
        return { outcome: 'claimed', token, ambiguous: num(res.Attributes?.ambiguousSequence) === sequence }
      } catch (err) {
        if (!isConditionFailure(err)) throw err
        const old = (err as { Item?: Record<string, AttributeValue> }).Item ?? {}
        const found = { done: num(old.doneSequence), claimUntil: num(old.claimUntil) }
        return refusedClaim(found, sequence, after, at) ?? { outcome: 'busy', until: at }
      }
    },

    async complete (orderId, channel, sequence, token) {
      const key = keyOf(orderId, channel)
      const names = { '#done': 'doneSequence', '#doneAt': 'doneAt', '#expiration': 'expiration' }
      const values = { ':seq': n(sequence), ':at': s(new Date(now()).toISOString()), ':exp': expiration() }
      const newer = 'attribute_not_exists(#done) OR #done < :seq'
      try {
        await ddb.send(new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET #done = :seq, #doneAt = :at, #expiration = :exp REMOVE #claim, #claimSeq, #claimUntil',
          ConditionExpression: `#claim = :token AND (${newer})`,
          ExpressionAttributeNames: { ...names, ...CLAIM_NAMES },
          ExpressionAttributeValues: { ...values, ':token': s(token) }
        }))
        return
      } catch (err) {
        if (!isConditionFailure(err)) throw err
      }
      // Our lease ran out and another delivery claimed the channel (it may have done the same
      // effect again: the rare at-least-once case), or a newer effect is already recorded: record
      // ours only if it is the newest, leave another's claim alone, give ours back.
      await ddb.send(new UpdateItemCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET #done = :seq, #doneAt = :at, #expiration = :exp',
        ConditionExpression: newer,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values
      })).catch((again: unknown) => { if (!isConditionFailure(again)) throw again })
      await ledger.release(orderId, channel, token)
    },

    async release (orderId, channel, token, ambiguous) {
      type Mark = { set: string; names: Record<string, string>; values: Record<string, AttributeValue> }
      const mark: Mark = ambiguous === undefined
        ? { set: '', names: {}, values: {} }
        : {
            set: ' SET #ambiguous = :ambiguous',
            names: { '#ambiguous': 'ambiguousSequence' },
            values: { ':ambiguous': n(ambiguous) }
          }
      await ddb.send(new UpdateItemCommand({
        TableName: table,
        Key: keyOf(orderId, channel),
        UpdateExpression: `REMOVE #claim, #claimSeq, #claimUntil${mark.set}`,
        ConditionExpression: '#claim = :token',
        ExpressionAttributeNames: { ...CLAIM_NAMES, ...mark.names },
        ExpressionAttributeValues: { ':token': s(token), ...mark.values }
      })).catch(() => undefined)
    }
  }
  return ledger
}
