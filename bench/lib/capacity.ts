// DynamoDB capacity, as AWS would bill it, measured against DynamoDB Local.
// Reads: a client that asks every read for ReturnConsumedCapacity and adds up what DynamoDB Local
// answers (it computes read units from the items' sizes as DynamoDB does).
// Writes: DynamoDB Local answers no meaningful capacity for TransactWriteItems (2 units for a
// transaction of 100 puts), so a transaction's cost is measured by replaying each of its actions
// as a plain write, with ReturnConsumedCapacity INDEXES, on tables in the same state: a
// transactional write costs twice the plain write on the table (AWS: "2 WCUs per 1 KB"), and the
// global secondary index updates it causes are plain writes.
import { DynamoDBClient, type ConsumedCapacity } from '@aws-sdk/client-dynamodb'
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  UpdateCommand,
  type TransactWriteCommandInput
} from '@aws-sdk/lib-dynamodb'
import { LOCAL_SDK_ENV } from '../../local/stack.js'

const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand'])
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand'])
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' }

export type TransactWriteItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number]

const units = (c: ConsumedCapacity | ConsumedCapacity[] | undefined): number =>
  (Array.isArray(c) ? c : c === undefined ? [] : [c]).reduce((sum, x) => sum + (x.CapacityUnits ?? 0), 0)

export interface MeteredClient {
  ddb: DynamoDBDocumentClient
  /** Read units consumed since the last reset. */
  readUnits: () => number
  /** Write units of the plain (non-transactional) writes since the last reset, indexes included. */
  plainWriteUnits: () => number
  /** The TransactWriteItems sent since the last reset (document client form). */
  transactions: () => TransactWriteItem[][]
  reset: () => void
  destroy: () => void
}

export function meteredClient (endpoint: string): MeteredClient {
  const base = new DynamoDBClient({ endpoint, region: LOCAL_SDK_ENV.AWS_REGION, credentials: CREDENTIALS })
  let read = 0
  let written = 0
  let sent: TransactWriteItem[][] = []
  base.middlewareStack.add((next, context) => async (args) => {
    const input = args.input as Record<string, unknown>
    const name = String(context.commandName)
    if (name === 'TransactWriteItemsCommand') sent.push(structuredClone(input.TransactItems) as TransactWriteItem[])
    const isRead = READS.has(name)
    if (!isRead && !WRITES.has(name)) return next(args)
    input.ReturnConsumedCapacity = isRead ? 'TOTAL' : 'INDEXES'
    const result = await next(args)
    const consumed = units(
      (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity
    )
    if (isRead) read += consumed
    else written += consumed
    return result
  }, { step: 'serialize', priority: 'high', name: 'meterCapacity' })
  const ddb = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } })
  return {
    ddb,
    readUnits: () => read,
    plainWriteUnits: () => written,
    transactions: () => sent,
    reset: () => { read = 0; written = 0; sent = [] },
    destroy: () => ddb.destroy()
  }
}

/**
 * What one transaction costs in write units: each action replayed as a plain write on `replay`
 * (tables in the state the transaction found; the names are mapped), table units doubled.
 */
export async function transactionWriteUnits (
  replay: DynamoDBDocumentClient,
  actions: TransactWriteItem[],
  tableName: (name: string) => string
): Promise<number> {
  let total = 0
  for (const a of actions) {
    let consumed: ConsumedCapacity | undefined
    if (a.Put !== undefined) {
      consumed = (await replay.send(
        new PutCommand({ ...a.Put, TableName: tableName(a.Put.TableName as string), ReturnConsumedCapacity: 'INDEXES' })
      )).ConsumedCapacity
    } else if (a.Update !== undefined) {
      consumed = (await replay.send(
        new UpdateCommand({
          ...a.Update,
          TableName: tableName(a.Update.TableName as string),
          ReturnConsumedCapacity: 'INDEXES'
        })
      )).ConsumedCapacity
    } else if (a.Delete !== undefined) {
      consumed = (await replay.send(
        new DeleteCommand({
          ...a.Delete,
          TableName: tableName(a.Delete.TableName as string),
          ReturnConsumedCapacity: 'INDEXES'
        })
      )).ConsumedCapacity
    } else throw new Error('transactionWriteUnits: only Put, Update and Delete actions are replayed')
    const table = consumed?.Table?.CapacityUnits ?? consumed?.CapacityUnits ?? 0
    const indexes = Object.values(consumed?.GlobalSecondaryIndexes ?? {}).reduce(
      (s, c) => s + (c.CapacityUnits ?? 0),
      0
    )
    total += 2 * table + indexes
  }
  return total
}
