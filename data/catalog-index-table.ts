// The catalog index table (CATALOG_INDEX_TABLE): token rows and category counters
// (domain/catalog-index-rows.ts). Writes are actions the items repository puts in the item's own
// transaction, so the index never disagrees with the items; reads are GET /categories and the
// search (data/items-search.ts).
import {
  DeleteCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput
} from '@aws-sdk/lib-dynamodb'
import { COUNTS_PARTITION, summariseCounts, type CountRow, type IndexChange } from '../domain/catalog-index-rows.js'
import type { CategorySummary } from '../domain/catalog.js'
import { mapAwsError } from './aws-errors.js'

/** A TransactWriteItems action, as the document client takes it. */
export type TransactAction = NonNullable<TransactWriteCommandInput['TransactItems']>[number]

/** The index's part of an item's transaction: rows written and deleted, counters moved. */
export function indexActions (table: string, change: IndexChange): TransactAction[] {
  return [
    ...change.put.map((Item): TransactAction => ({ Put: { TableName: table, Item } })),
    ...change.remove.map((Key): TransactAction => ({ Delete: { TableName: table, Key } })),
    ...change.counts.map(({ sk, delta }): TransactAction => ({
      Update: {
        TableName: table,
        Key: { pk: COUNTS_PARTITION, sk },
        UpdateExpression: 'ADD #n :delta',
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':delta': delta }
      }
    }))
  ]
}

/**
 * After a transaction took counters down: deletes those that reached 0, so a gone type or brand
 * leaves no row behind. Conditional on the count still being 0 (a concurrent create may have
 * raised it again); best effort, since a zero counter is skipped by every reader anyway.
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
        ConditionExpression: '#n <= :zero',
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':zero': 0 }
      }))
    } catch {
      // Still counted (the usual case), or DynamoDB is busy: the reader skips zero rows either way.
    }
  }))
}

/** Every counter: one Query of their partition, whose size is the number of categories, types and brands, not items. */
export async function readCategories (ddb: DynamoDBDocumentClient, table: string): Promise<CategorySummary[]> {
  const rows: CountRow[] = []
  let startKey: Record<string, unknown> | undefined
  try {
    do {
      const res = await ddb.send(new QueryCommand({
        TableName: table,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk' },
        ExpressionAttributeValues: { ':pk': COUNTS_PARTITION },
        ExclusiveStartKey: startKey
      }))
      rows.push(...((res.Items ?? []) as CountRow[]))
      startKey = res.LastEvaluatedKey
    } while (startKey !== undefined)
  } catch (err) {
    throw mapAwsError(err)
  }
  return summariseCounts(rows)
}
