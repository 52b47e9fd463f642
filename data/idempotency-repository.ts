// Idempotency-Key records of POST /orders, in the idempotency table (`id` = order#<userId>#<key>,
// TTL attribute `expiration`). The record is written by the order's own transaction
// (data/orders-repository.ts place()), conditional on the key being free: the order, its stock
// and the recorded answer commit together or not at all. So a request costs two DynamoDB calls
// (one BatchGet of the items and the record, one transaction), nothing is left to release when it
// fails, and of concurrent requests with one key exactly one transaction succeeds; the others find
// its record and replay it (or, with another body, are refused with a 422). Hand-written rather
// than Powertools idempotency: these HTTP semantics (422 for a reused key, a replay of the stored
// status and body, a key freed by a failed request) are not what Powertools' function wrapper does.
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { Problem } from '../core/problem.js'
import { IDEMPOTENCY_TTL_SECONDS, STALE_CLAIM_MS, idempotencyRecordId } from '../domain/idempotency.js'
import { mapAwsError } from './aws-errors.js'

export interface StoredResponse { statusCode: number; body: unknown }

export interface IdempotencyRecord {
  id: string
  /** `completed`; `in_progress` only in records of the earlier claim-then-answer flow, honoured while they live. */
  status: 'in_progress' | 'completed'
  requestHash: string
  claimedAt: number
  expiration: number
  response?: StoredResponse
}

/** A Put for TransactWriteItems (document-client shape). */
export interface RecordPut {
  Put: {
    TableName: string
    Item: IdempotencyRecord
    ConditionExpression: string
    ExpressionAttributeNames: Record<string, string>
    ExpressionAttributeValues: Record<string, unknown>
  }
}

export function keyReused (): Problem {
  return new Problem(422, 'idempotency_key_reused',
    'This Idempotency-Key was already used with a different request body; use a new key for a new order')
}

export function keyInFlight (): Problem {
  return new Problem(409, 'idempotency_in_progress',
    'A request with this Idempotency-Key is still being processed; retry shortly to get its answer', {}, {
      'retry-after': '1'
    })
}

/** A record that no longer counts: past its expiry (TTL deletion lags by up to days), or an abandoned claim. */
function isLive (record: IdempotencyRecord, now: number): boolean {
  if (record.expiration < Math.floor(now / 1000)) return false
  return !(record.status === 'in_progress' && record.claimedAt < now - STALE_CLAIM_MS)
}

/**
 * What an existing record means for a request with this body: the stored answer to replay, a 422
 * for another body, a 409 for a claim still in flight; undefined when the key is free.
 */
export function answerFromRecord (
  record: IdempotencyRecord | undefined,
  requestHash: string,
  now = Date.now()
): StoredResponse | undefined {
  if (record === undefined || !isLive(record, now)) return undefined
  if (record.requestHash !== requestHash) throw keyReused()
  if (record.status === 'completed' && record.response !== undefined) return record.response
  throw keyInFlight()
}

export function createIdempotencyRepository (ddb: DynamoDBDocumentClient, table: string) {
  /** The record of a user's key (strongly consistent), if any. */
  async function read (userId: string, key: string): Promise<IdempotencyRecord | undefined> {
    try {
      const res = await ddb.send(
        new GetCommand({ TableName: table, Key: { id: idempotencyRecordId(userId, key) }, ConsistentRead: true })
      )
      return res.Item as IdempotencyRecord | undefined
    } catch (err) {
      throw mapAwsError(err)
    }
  }

  /** The transaction's Put of the answer, conditional on the key being free (absent, expired or abandoned). */
  function recordPut (
    userId: string,
    key: string,
    requestHash: string,
    response: StoredResponse,
    now = Date.now()
  ): RecordPut {
    return {
      Put: {
        TableName: table,
        Item: {
          id: idempotencyRecordId(userId, key),
          status: 'completed',
          requestHash,
          claimedAt: now,
          expiration: Math.floor(now / 1000) + IDEMPOTENCY_TTL_SECONDS,
          response
        },
        ConditionExpression: 'attribute_not_exists(id) OR #expiration < :nowSeconds OR (#status = :inProgress AND ' +
          '#claimedAt < :staleBefore)',
        ExpressionAttributeNames: { '#expiration': 'expiration', '#status': 'status', '#claimedAt': 'claimedAt' },
        ExpressionAttributeValues: {
          ':nowSeconds': Math.floor(now / 1000),
          ':inProgress': 'in_progress',
          ':staleBefore': now - STALE_CLAIM_MS
        }
      }
    }
  }

  return { table, read, recordPut }
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>
