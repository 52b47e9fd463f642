// Idempotency-Key records of POST /orders, in the idempotency table (`id` = order#<userId>#<key>,
// TTL attribute `expiration`). A request claims its key with one conditional Put; the first
// claimant places the order and records the answer; every later request with the key either
// replays that answer, is told the first is still in flight (409), or, with another body, is
// refused (422). Hand-written rather than Powertools idempotency: the HTTP semantics (422 for a
// reused key, a replay of the stored status and body, a claim released when the request fails
// with a 4xx so the client may correct and retry) are not what Powertools' function wrapper does.
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { Problem } from '../app/problem.js'
import { IDEMPOTENCY_TTL_SECONDS, STALE_CLAIM_MS, idempotencyRecordId } from '../domain/idempotency.js'
import { mapAwsError } from './aws-errors.js'

export interface StoredResponse { statusCode: number; body: unknown }

interface IdempotencyRecord {
  id: string
  status: 'in_progress' | 'completed'
  requestHash: string
  claimedAt: number
  expiration: number
  response?: StoredResponse
}

export type Claim =
  | { outcome: 'claimed'; claimedAt: number }
  | { outcome: 'replay'; response: StoredResponse }

export function keyReused (): Problem {
  return new Problem(422, 'idempotency_key_reused',
    'This Idempotency-Key was already used with a different request body; use a new key for a new order')
}

export function keyInFlight (): Problem {
  return new Problem(409, 'idempotency_in_progress',
    'A request with this Idempotency-Key is still being processed; retry shortly to get its answer', {}, { 'retry-after': '1' })
}

export function createIdempotencyRepository (ddb: DynamoDBDocumentClient, table: string, opts: { waitMs?: number } = {}) {
  const waitMs = opts.waitMs ?? 1500

  const read = async (id: string): Promise<IdempotencyRecord | undefined> => {
    try {
      const res = await ddb.send(new GetCommand({ TableName: table, Key: { id }, ConsistentRead: true }))
      return res.Item as IdempotencyRecord | undefined
    } catch (err) {
      throw mapAwsError(err)
    }
  }

  /** What an existing record means for a request with this body; undefined when it is still in flight. */
  const answerFrom = (record: IdempotencyRecord, requestHash: string): Claim | undefined => {
    if (record.requestHash !== requestHash) throw keyReused()
    if (record.status === 'completed' && record.response !== undefined) return { outcome: 'replay', response: record.response }
    return undefined
  }

  /**
   * Claims the key for this request, or answers from the record another request made. A claim
   * left in progress longer than STALE_CLAIM_MS (its Lambda died) may be taken over by the same
   * body; the order id is derived from the key and body, so the taker-over cannot make a second
   * order. A retry racing the first request waits up to `waitMs` for its answer, then gets a 409.
   */
  async function claim (userId: string, key: string, requestHash: string): Promise<Claim> {
    const id = idempotencyRecordId(userId, key)
    const deadline = Date.now() + waitMs
    for (let pause = 50; ; pause = Math.min(pause * 2, 400)) {
      const now = Date.now()
      const record: IdempotencyRecord = {
        id, status: 'in_progress', requestHash, claimedAt: now, expiration: Math.floor(now / 1000) + IDEMPOTENCY_TTL_SECONDS
      }
      try {
        await ddb.send(new PutCommand({
          TableName: table,
          Item: record,
          // TTL deletion lags expiry by up to days: an expired record counts as absent.
          ConditionExpression: 'attribute_not_exists(id) OR #expiration < :nowSeconds OR ' +
            '(#status = :inProgress AND #claimedAt < :staleBefore AND #hash = :hash)',
          ExpressionAttributeNames: { '#expiration': 'expiration', '#status': 'status', '#claimedAt': 'claimedAt', '#hash': 'requestHash' },
          ExpressionAttributeValues: {
            ':nowSeconds': Math.floor(now / 1000), ':inProgress': 'in_progress', ':staleBefore': now - STALE_CLAIM_MS, ':hash': requestHash
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD'
        }))
        return { outcome: 'claimed', claimedAt: now }
      } catch (err) {
        if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw mapAwsError(err)
      }
      const existing = await read(id)
      if (existing !== undefined) {
        const answer = answerFrom(existing, requestHash)
        if (answer !== undefined) return answer
      }
      if (Date.now() + pause > deadline) throw keyInFlight()
      await new Promise((resolve) => setTimeout(resolve, pause))
    }
  }

  /** Records the answer, if the claim is still this request's (a taker-over's answer is the same order). */
  async function complete (userId: string, key: string, claimedAt: number, response: StoredResponse): Promise<void> {
    try {
      await ddb.send(new UpdateCommand({
        TableName: table,
        Key: { id: idempotencyRecordId(userId, key) },
        UpdateExpression: 'SET #status = :completed, #response = :response',
        ConditionExpression: '#claimedAt = :claimedAt',
        ExpressionAttributeNames: { '#status': 'status', '#response': 'response', '#claimedAt': 'claimedAt' },
        ExpressionAttributeValues: { ':completed': 'completed', ':response': response, ':claimedAt': claimedAt }
      }))
    } catch (err) {
      // Taken over meanwhile: the taker-over records the same order. Anything else: the order is
      // placed; a retry finds the claim stale after STALE_CLAIM_MS and replays the same order.
      if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw mapAwsError(err)
    }
  }

  /** Frees the key after a failed request, so the client can correct the request and retry. */
  async function release (userId: string, key: string, claimedAt: number): Promise<void> {
    try {
      await ddb.send(new DeleteCommand({
        TableName: table,
        Key: { id: idempotencyRecordId(userId, key) },
        ConditionExpression: '#claimedAt = :claimedAt AND #status = :inProgress',
        ExpressionAttributeNames: { '#claimedAt': 'claimedAt', '#status': 'status' },
        ExpressionAttributeValues: { ':claimedAt': claimedAt, ':inProgress': 'in_progress' }
      }))
    } catch {
      // Best effort: an unreleased claim turns stale after STALE_CLAIM_MS and is taken over then.
    }
  }

  return { claim, complete, release }
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>
