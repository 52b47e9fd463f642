// The effects ledger: one record per order and channel (the warehouse's webhooks, the delivery
// service's, the customer's emails) in the idempotency table, holding the sequence of the last
// effect done on that channel and a short claim while one is being done. It gives each channel:
// - once: an effect whose sequence is not above the last one done is not done again (duplicate);
// - in order: nor is one older than the last one done (stale: "placed" after "cancelled" went out);
// - one at a time: while a claim is live, another delivery of the channel waits (busy).
// Hand-written rather than Powertools idempotency, whose records are per payload and know no order.
import { UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { randomUUID } from 'node:crypto'
import { EFFECT_RECORD_TTL_SECONDS } from './delivery-policy.js'

export type Channel = 'warehouse-webhook' | 'delivery-webhook' | 'email'

export type Claim =
  | { outcome: 'claimed'; token: string }
  /** `done` >= the effect's sequence: equal is a duplicate, above is a newer effect already sent. */
  | { outcome: 'done'; done: number }
  /** Another delivery holds the channel until `until` (epoch ms). */
  | { outcome: 'busy'; until: number }

export interface EffectLedger {
  claim: (orderId: string, channel: Channel, sequence: number, leaseMs: number) => Promise<Claim>
  /** Records the effect done (`sequence`), releasing the claim if it is still ours. */
  complete: (orderId: string, channel: Channel, sequence: number, token: string) => Promise<void>
  /** Gives the claim back after a failed effect, so a retry need not wait for the lease (best effort). */
  release: (orderId: string, channel: Channel, token: string) => Promise<void>
}

export const ledgerRecordId = (orderId: string, channel: Channel): string => `effect#${orderId}#${channel}`

const n = (v: number): AttributeValue => ({ N: String(v) })
const s = (v: string): AttributeValue => ({ S: v })
const isConditionFailure = (err: unknown): boolean =>
  (err as { name?: string }).name === 'ConditionalCheckFailedException'

export function createDynamoLedger (ddb: DynamoDBClient, table: string, now: () => number = Date.now): EffectLedger {
  const expiration = (): AttributeValue => n(Math.floor(now() / 1000) + EFFECT_RECORD_TTL_SECONDS)
  return {
    async claim (orderId, channel, sequence, leaseMs) {
      const token = randomUUID()
      const at = now()
      try {
        await ddb.send(new UpdateItemCommand({
          TableName: table,
          Key: { id: s(ledgerRecordId(orderId, channel)) },
          UpdateExpression: 'SET #claim = :token, #claimSeq = :seq, #claimUntil = :until, #expiration = :exp',
          ConditionExpression: '(attribute_not_exists(#done) OR #done < :seq) AND (attribute_not_exists(#claimUntil) ' +
            'OR #claimUntil < :now)',
          ExpressionAttributeNames: {
            '#claim': 'claimToken',
            '#claimSeq': 'claimSequence',
            '#claimUntil': 'claimUntil',
            '#done': 'doneSequence',
            '#expiration': 'expiration'
          },
          ExpressionAttributeValues: {
            ':token': s(token),
            ':seq': n(sequence),
            ':until': n(at + leaseMs),
            ':now': n(at),
            ':exp': expiration()
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD'
        }))
        return { outcome: 'claimed', token }
      } catch (err) {
        if (!isConditionFailure(err)) throw err
        const old = (err as { Item?: Record<string, AttributeValue> }).Item ?? {}
        const done = Number(old.doneSequence?.N ?? NaN)
        if (Number.isFinite(done) && done >= sequence) return { outcome: 'done', done }
        return { outcome: 'busy', until: Number(old.claimUntil?.N ?? at) }
      }
    },

    async complete (orderId, channel, sequence, token) {
      const key = { id: s(ledgerRecordId(orderId, channel)) }
      const names = { '#done': 'doneSequence', '#doneAt': 'doneAt', '#expiration': 'expiration' }
      const values = { ':seq': n(sequence), ':at': s(new Date(now()).toISOString()), ':exp': expiration() }
      try {
        await ddb.send(new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET #done = :seq, #doneAt = :at, #expiration = :exp REMOVE #claim, #claimSeq, #claimUntil',
          ConditionExpression: '#claim = :token',
          ExpressionAttributeNames: {
            ...names,
            '#claim': 'claimToken',
            '#claimSeq': 'claimSequence',
            '#claimUntil': 'claimUntil'
          },
          ExpressionAttributeValues: { ...values, ':token': s(token) }
        }))
      } catch (err) {
        if (!isConditionFailure(err)) throw err
        // Our lease ran out and another delivery claimed the channel: record what we did, and leave
        // its claim alone. (It may have sent the same effect again: the rare at-least-once case.)
        await ddb.send(new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET #done = :seq, #doneAt = :at, #expiration = :exp',
          ConditionExpression: 'attribute_not_exists(#done) OR #done < :seq',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values
        })).catch((again: unknown) => { if (!isConditionFailure(again)) throw again })
      }
    },

    async release (orderId, channel, token) {
      await ddb.send(new UpdateItemCommand({
        TableName: table,
        Key: { id: s(ledgerRecordId(orderId, channel)) },
        UpdateExpression: 'REMOVE #claim, #claimSeq, #claimUntil',
        ConditionExpression: '#claim = :token',
        ExpressionAttributeNames: { '#claim': 'claimToken', '#claimSeq': 'claimSequence', '#claimUntil': 'claimUntil' },
        ExpressionAttributeValues: { ':token': s(token) }
      })).catch(() => undefined)
    }
  }
}
