// What an Idempotency-Key record means for a request (data/idempotency-repository.ts), and the
// conditional Put the order's transaction carries.
import t from 'tap'
import {
  answerFromRecord,
  createIdempotencyRepository,
  type IdempotencyRecord
} from '../../data/idempotency-repository.js'
import { STALE_CLAIM_MS } from '../../domain/idempotency.js'
import { Problem } from '../../core/problem.js'

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0)
const record = (over: Partial<IdempotencyRecord> = {}): IdempotencyRecord => ({
  id: 'order#u1#k',
  status: 'completed',
  requestHash: 'h1',
  claimedAt: NOW - 1000,
  expiration: Math.floor(NOW / 1000) + 3600,
  response: { statusCode: 201, body: { id: 'o1' } },
  ...over
})
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (err) {
    return err instanceof Problem ? `${err.status} ${err.code}` : String(err)
  }
}

t.test('a live record with the same body is replayed; another body is a 422', async (t) => {
  t.same(answerFromRecord(record(), 'h1', NOW), { statusCode: 201, body: { id: 'o1' } })
  t.equal(codeOf(() => answerFromRecord(record(), 'other', NOW)), '422 idempotency_key_reused')
})

t.test('no record, an expired one, or an abandoned claim leave the key free', async (t) => {
  t.equal(answerFromRecord(undefined, 'h1', NOW), undefined)
  t.equal(
    answerFromRecord(record({ expiration: Math.floor(NOW / 1000) - 1 }), 'other', NOW),
    undefined,
    'expired: TTL deletion lags'
  )
  t.equal(
    answerFromRecord(
      record({ status: 'in_progress', response: undefined, claimedAt: NOW - STALE_CLAIM_MS - 1 }),
      'h1',
      NOW
    ),
    undefined
  )
})

t.test('a live claim of the earlier claim-then-answer flow is a 409 to retry', async (t) => {
  t.equal(
    codeOf(() => answerFromRecord(record({ status: 'in_progress', response: undefined }), 'h1', NOW)),
    '409 idempotency_in_progress'
  )
})

t.test("the transaction's record Put: the answer, 24 h, conditional on the key being free", async (t) => {
  const repo = createIdempotencyRepository({} as never, 'idem')
  const { Put } = repo.recordPut('u1', 'k', 'h1', { statusCode: 201, body: { id: 'o1' } }, NOW)
  t.match(
    Put,
    {
      TableName: 'idem',
      Item: { id: 'order#u1#k', status: 'completed', requestHash: 'h1', response: { statusCode: 201 } }
    }
  )
  t.equal(Put.Item.expiration, Math.floor(NOW / 1000) + 24 * 3600)
  t.match(Put.ConditionExpression, /attribute_not_exists\(id\)/)
  t.equal(Put.ExpressionAttributeValues[':staleBefore'], NOW - STALE_CLAIM_MS)
})
