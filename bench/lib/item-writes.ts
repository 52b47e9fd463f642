// The write units one admin write of an item costs, before the catalog index (the items
// repository as it was at 40f28f3: one conditional PutItem, UpdateItem or DeleteItem, plus the
// byCategory index) and now (the item and its index rows and counters in one transaction; a
// counter that reaches 0 removed after). Measured on fresh tables of DynamoDB Local with
// bench/lib/capacity.ts: plain writes as it reports them, transactions replayed action by action.
import { DeleteItemCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { marshall } from '@aws-sdk/util-dynamodb'
import { createItemsRepository, REPLACED_FIELDS } from '../../data/items-repository.js'
import { sampleInputs } from '../../data/seed-catalog.js'
import { toStoredItem, type ItemInput, type StoredItem } from '../../domain/catalog.js'
import { LOCAL_SDK_ENV } from '../../local/stack.js'
import { meteredClient, transactionWriteUnits } from './capacity.js'
import { freshTables, type BenchStack } from './stack.js'

export interface WriteUnits { create: number; replaceWords: number; replacePrice: number; delete: number }

const NOW = '2025-01-01T00:00:00.000Z'

/** The item as the items table held it before the catalog index: searchText, no searchWords. */
function legacy (item: StoredItem): Record<string, unknown> {
  const { searchWords: _w, ...rest } = item
  return { ...rest, searchText: `${item.title} ${item.brand} ${item.description}`.toLowerCase() }
}

/** The old replace: every field but stock and createdAt, SET in one conditional UpdateItem. */
function legacyReplace (table: string, next: StoredItem): UpdateItemCommand {
  const fields = REPLACED_FIELDS.filter((f) => f !== 'searchWords')
  const names: Record<string, string> = { '#id': 'id', '#searchText': 'searchText', '#storage': 'storage' }
  const values: Record<string, unknown> = { ':searchText': legacy(next).searchText, ':storage': next.storage }
  for (const f of fields) { names[`#${f}`] = f; values[`:${f}`] = next[f] }
  return new UpdateItemCommand({
    TableName: table,
    Key: marshall({ id: next.id }),
    UpdateExpression: `SET ${fields.map((f) => `#${f} = :${f}`).join(', ')}, #searchText = :searchText, #storage = ` +
      ':storage',
    ConditionExpression: 'attribute_exists(#id)',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
    ReturnConsumedCapacity: 'INDEXES'
  })
}

export async function measureItemWrites (stack: BenchStack): Promise<{
  before: WriteUnits
  after: WriteUnits
  item: string
}> {
  const sample = sampleInputs().find((s) => s.id.startsWith('phone-apple-iphone-15-pro')) ?? sampleInputs()[0]
  if (sample === undefined) throw new Error('no sample item')
  const input: ItemInput = sample.input
  const reworded: ItemInput = {
    ...input,
    title: `${input.title} Max`,
    description: `${input.description} Now with a bigger battery and a 5x telephoto camera.`
  }
  const repriced: ItemInput = { ...reworded, price: reworded.price + 10000 }
  const id = 'bench-write-1'
  const client = new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    region: LOCAL_SDK_ENV.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' }
  })
  const metered = meteredClient(stack.dynamodbEndpoint)
  const [live, replay, old] = await Promise.all([
    freshTables(stack, 'wcu-live'),
    freshTables(stack, 'wcu-replay'),
    freshTables(stack, 'wcu-before')
  ])
  try {
    // Now: run each write for real on `live`, replay its transaction on `replay` (same state).
    const repo = createItemsRepository(metered.ddb, { items: live.names.items, catalogIndex: live.names.catalogIndex })
    const mapName = (name: string): string => name === live.names.items ? replay.names.items : replay.names.catalogIndex
    const after = async (write: () => Promise<unknown>): Promise<number> => {
      metered.reset()
      await write()
      let units = metered.plainWriteUnits()
      for (const tx of metered.transactions()) units += await transactionWriteUnits(stack.ddb, tx, mapName)
      return units
    }
    const create = await after(() => repo.create(id, input, 10, NOW))
    const replaceWords = await after(() => repo.put(id, reworded, 0, NOW))
    // A change the index does not see is a plain update, which the live table alone receives.
    const replacePrice = await after(() => repo.put(id, repriced, 0, NOW))
    await client.send(new UpdateItemCommand({
      TableName: replay.names.items,
      Key: marshall({ id }),
      UpdateExpression: 'SET price = :p',
      ExpressionAttributeValues: marshall({ ':p': repriced.price })
    }))
    const remove = await after(() => repo.remove(id))

    // Before: the same writes as the repository made them then.
    const first = toStoredItem(id, input, 10, NOW, NOW)
    const units = (c: { ConsumedCapacity?: { CapacityUnits?: number } }): number =>
      c.ConsumedCapacity?.CapacityUnits ?? 0
    const before: WriteUnits = {
      create: units(
        await client.send(
          new PutItemCommand({
            TableName: old.names.items,
            Item: marshall(legacy(first), { removeUndefinedValues: true }),
            ConditionExpression: 'attribute_not_exists(id)',
            ReturnConsumedCapacity: 'INDEXES'
          })
        )
      ),
      replaceWords: units(await client.send(legacyReplace(old.names.items, toStoredItem(id, reworded, 10, NOW, NOW)))),
      replacePrice: units(await client.send(legacyReplace(old.names.items, toStoredItem(id, repriced, 10, NOW, NOW)))),
      delete: units(
        await client.send(
          new DeleteItemCommand({
            TableName: old.names.items,
            Key: marshall({ id }),
            ConditionExpression: 'attribute_exists(id)',
            ReturnConsumedCapacity: 'INDEXES'
          })
        )
      )
    }
    return {
      before,
      after: { create, replaceWords, replacePrice, delete: remove },
      item: `${input.title} (${sample.id})`
    }
  } finally {
    metered.destroy()
    client.destroy()
    await Promise.all([live.drop(), replay.drop(), old.drop()])
  }
}
