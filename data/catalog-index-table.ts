// The catalog index table (CATALOG_INDEX_TABLE): token rows and category counters
// (domain/catalog-index-rows.ts). Writes are actions the items repository puts in the item's own
// transaction, so the index never disagrees with the items; reads are GET /categories and the
// search (data/items-search.ts).
import { randomBytes } from 'node:crypto'
import {
  DeleteCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput
} from '@aws-sdk/lib-dynamodb'
import {
  COUNTS_PARTITION, WORD_STATS_PARTITION, summariseCounts, type CountRow, type IndexChange
} from '../domain/catalog-index-rows.js'
import type { CategorySummary } from '../domain/catalog.js'
import { mapAwsError } from './aws-errors.js'
import { batchGetAll } from './batch-get.js'

/** A TransactWriteItems action, as the document client takes it. */
export type TransactAction = NonNullable<TransactWriteCommandInput['TransactItems']>[number]

/**
 * A counter stamp: 96 random bits, 16 characters (a UUID's 36 would be half of a shard row's
 * bytes, and GET /categories reads every shard row).
 */
export function newStamp (): string {
  return randomBytes(12).toString('base64url')
}

/**
 * The index's part of an item's transaction: rows written and deleted, counters moved. Each
 * counter it moves gets the transaction's `stamp` (`v`), a value never used before: the repair
 * (data/catalog-backfill.ts) tells that no write moved a counter while it counted by comparing
 * the counters' stamps before and after, which no sequence of writes can bring back.
 */
export function indexActions (table: string, change: IndexChange, stamp: string = newStamp()): TransactAction[] {
  return [
    ...change.put.map((Item): TransactAction => ({ Put: { TableName: table, Item } })),
    ...change.remove.map((Key): TransactAction => ({ Delete: { TableName: table, Key } })),
    ...change.counts.map(({ sk, delta }): TransactAction => ({
      Update: {
        TableName: table,
        Key: { pk: COUNTS_PARTITION, sk },
        UpdateExpression: 'ADD #n :delta SET #v = :stamp',
        ExpressionAttributeNames: { '#n': 'n', '#v': 'v' },
        ExpressionAttributeValues: { ':delta': delta, ':stamp': stamp }
      }
    }))
  ]
}

/**
 * After a transaction took counters down: deletes shard rows that reached 0, so a gone type or
 * brand leaves no row behind. Conditional on the count being exactly 0 (a concurrent create may
 * have raised it again; a shard below 0 is an item still counted by its counter's row of the
 * layout before shards, and must stay until the repair folds that row in); best effort, since
 * a zero row adds nothing for any reader.
 */
export async function dropEmptyCounters (
  ddb: DynamoDBDocumentClient,
  table: string,
  change: IndexChange
): Promise<void> {
  await Promise.all(change.counts.filter((c) => c.delta < 0).map(async ({ sk }) => {
    try {
      await ddb.send(new DeleteCommand({
        TableName: table,
        Key: { pk: COUNTS_PARTITION, sk },
        ConditionExpression: '#n = :zero',
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':zero': 0 }
      }))
    } catch {
      // Still counted (the usual case), or DynamoDB is busy: the reader skips zero rows either way.
    }
  }))
}

/**
 * Every counter: one Query of their partition, whose size is the number of categories, types and
 * brands times the shards in use, not items; each counter's shards (and old-layout row) are added up.
 */
export async function readCategories (ddb: DynamoDBDocumentClient, table: string): Promise<CategorySummary[]> {
  return summariseCounts(await readCounters(ddb, table))
}

/** The counter rows as stored (one Query of their partition); `consistent` for the repair. */
export async function readCounters (
  ddb: DynamoDBDocumentClient, table: string, opts: { consistent?: boolean } = {}
): Promise<CountRow[]> {
  const rows: CountRow[] = []
  let startKey: Record<string, unknown> | undefined
  try {
    do {
      const res = await ddb.send(new QueryCommand({
        TableName: table,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk' },
        ExpressionAttributeValues: { ':pk': COUNTS_PARTITION },
        ExclusiveStartKey: startKey,
        ConsistentRead: opts.consistent
      }))
      rows.push(...((res.Items ?? []) as CountRow[]))
      startKey = res.LastEvaluatedKey
    } while (startKey !== undefined)
  } catch (err) {
    throw mapAwsError(err)
  }
  return rows
}

/** Items per word, for the words the statistics know (one BatchGetItem of at most 9 keys). */
export async function readWordCounts (
  ddb: DynamoDBDocumentClient, table: string, words: string[]
): Promise<Map<string, number>> {
  const res = await batchGetAll(ddb, { [table]: { Keys: words.map((sk) => ({ pk: WORD_STATS_PARTITION, sk })) } })
  return new Map(((res[table] ?? []) as CountRow[]).map((r) => [r.sk, r.n]))
}
