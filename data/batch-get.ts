// BatchGetItem until every key is answered, the one way the repositories read several items:
// DynamoDB may leave keys unprocessed (throttled, or past 16 MB of answer), which are asked again
// after a growing pause; still unanswered after BATCH_GET_ROUNDS rounds, a 503. Keys are
// de-duplicated per table first: DynamoDB refuses a whole request that names one key twice.
import { setTimeout as sleep } from 'node:timers/promises'
import { BatchGetCommand, type BatchGetCommandInput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { mapAwsError, serviceBusy } from './aws-errors.js'

export type BatchGetRequest = NonNullable<BatchGetCommandInput['RequestItems']>

const BATCH_GET_ROUNDS = 6

function withoutRepeats (request: BatchGetRequest): BatchGetRequest {
  const out: BatchGetRequest = {}
  for (const [table, spec] of Object.entries(request)) {
    const seen = new Set<string>()
    const keys = (spec.Keys ?? []).filter((key) => {
      const id = JSON.stringify(Object.entries(key).sort(([a], [b]) => a.localeCompare(b)))
      if (seen.has(id)) return false
      seen.add(id)
      return true
    })
    if (keys.length > 0) out[table] = { ...spec, Keys: keys }
  }
  return out
}

/** Every item found, by table (a key with no item is simply absent); at most 100 keys in all. */
export async function batchGetAll (
  ddb: DynamoDBDocumentClient, request: BatchGetRequest
): Promise<Record<string, unknown[]>> {
  const found: Record<string, unknown[]> = {}
  let left: BatchGetRequest = withoutRepeats(request)
  for (let round = 0; Object.keys(left).length > 0; round++) {
    if (round === BATCH_GET_ROUNDS) {
      const keys = Object.values(left).reduce((n, spec) => n + (spec.Keys?.length ?? 0), 0)
      throw serviceBusy(new Error(`BatchGetItem left ${keys} keys unprocessed after ${BATCH_GET_ROUNDS} rounds`))
    }
    if (round > 0) await sleep(Math.min(25 * 2 ** round, 800))
    let res
    try {
      res = await ddb.send(new BatchGetCommand({ RequestItems: left }))
    } catch (err) {
      throw mapAwsError(err)
    }
    for (const [table, items] of Object.entries(res.Responses ?? {})) (found[table] ??= []).push(...items)
    left = res.UnprocessedKeys ?? {}
  }
  return found
}
