// One order per Idempotency-Key against DynamoDB Local, from many containers at once: a keyed
// request never answers a refusal before checking, with consistent reads, the key's record and the
// order id the key derives; an expired key answers the same from a cold and a warm container.
// Each placeOrder call below gets item snapshots of its own: a container that has never seen the
// item (the path that reads the items and the key's record in one BatchGet).
import t, { type Test } from 'tap'
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand
} from '@aws-sdk/lib-dynamodb'
import { createOrdersRepository } from '../../data/orders-repository.js'
import { createIdempotencyRepository } from '../../data/idempotency-repository.js'
import { createItemSnapshots, type ItemSnapshots } from '../../data/item-snapshots.js'
import { placeOrder, type PlaceOrderDeps, type PlaceOrderResult } from '../../data/place-order.js'
import { idempotencyRecordId } from '../../domain/idempotency.js'
import { createTables, localDynamoClient } from '../helpers/stack.js'

/** Fresh tables and the order path over them, as one API deployment sees them. */
async function orderPath (t: Test) {
  const tables = await createTables(t)
  const ddb = DynamoDBDocumentClient.from(localDynamoClient(), { marshallOptions: { removeUndefinedValues: true } })
  t.teardown(() => ddb.destroy())
  const names = { items: tables.ITEMS_TABLE, orders: tables.ORDERS_TABLE, idempotency: tables.IDEMPOTENCY_TABLE }
  const orders = createOrdersRepository(ddb, names)
  const idempotency = createIdempotencyRepository(ddb, names.idempotency)
  return {
    ddb,
    names,
    deps: (snapshots: ItemSnapshots = createItemSnapshots()): PlaceOrderDeps => ({ orders, idempotency, snapshots }),
    putItem: async (id: string, stock: number): Promise<void> => {
      await ddb.send(
        new PutCommand(
          { TableName: names.items, Item: { id, title: `Item ${id}`, price: 700, currency: 'USD', stock } }
        )
      )
    },
    stockOf: async (id: string): Promise<number> =>
      (await ddb.send(new GetCommand({
        TableName: names.items,
        Key: { id },
        ConsistentRead: true
      }))).Item?.stock as number,
    /** The user's orders for an item, by a strongly consistent scan of the table (never the lagging index). */
    ordersFor: async (userId: string, itemId: string): Promise<string[]> => {
      const res = await ddb.send(new ScanCommand({ TableName: names.orders, ConsistentRead: true }))
      return (res.Items ?? []).filter((o) => o.userId === userId && o.lines[0]?.id === itemId).map(
        (o) => o.id as string
      )
    }
  }
}

const outcome = async (p: Promise<PlaceOrderResult>): Promise<string> =>
  await p.then(
    (r) => `${r.statusCode}${r.replayed ? ' replayed' : ''}`,
    (err: { status?: number; code?: string }) => `${err.status ?? 'error'} ${err.code ?? String(err)}`
  )

// Whether DynamoDB Local's BatchGet reads the key's record before or after the item depends on the
// tables' names (its map order), so the rounds run over a few sets of tables.
t.test('12 cold requests with one key for the whole stock, round after round: one order, every answer its 201', async (
  t
) => {
  const SETS = 4
  const ROUNDS = 15
  const refused: string[] = []
  for (let set = 0; set < SETS; set++) {
    const { deps, putItem, stockOf } = await orderPath(t)
    for (let round = 0; round < ROUNDS; round++) {
      const itemId = `race-${set}-${round}`
      await putItem(itemId, 2)
      const input = {
        userId: 'racer',
        userEmail: 'racer@example.com',
        items: [{ id: itemId, count: 2 }],
        idempotencyKey: `key-${itemId}`
      }
      const answers = await Promise.all(
        Array.from({ length: 12 }, async () => await outcome(placeOrder(deps(), input)))
      )
      const wrong = answers.filter((a) => !a.startsWith('201'))
      if (wrong.length > 0) refused.push(`${itemId}: ${wrong.join(', ')}`)
      if (answers.filter((a) => a === '201').length !== 1) {
        t.fail(`${itemId}: not exactly one request placed it (${answers.join(', ')})`)
      }
      if (await stockOf(itemId) !== 0) {
        t.fail(`${itemId}: stock ${await stockOf(itemId)} after one order of the whole stock`)
      }
    }
  }
  t.same(refused, [], `no request was refused for an order its key had written (${SETS * ROUNDS} rounds of 12)`)
})

t.test('an expired key answers its order, from a cold and from a warm container alike', async (t) => {
  const { ddb, names, deps, putItem, stockOf, ordersFor } = await orderPath(t)
  await putItem('expiring', 1)
  const input = {
    userId: 'late',
    userEmail: 'late@example.com',
    items: [{ id: 'expiring', count: 1 }],
    idempotencyKey: 'old-key'
  }
  const first = await placeOrder(deps(), input)
  t.equal(first.statusCode, 201)
  t.equal(await stockOf('expiring'), 0, 'the order took the last unit')
  const warm = createItemSnapshots()
  // A container warms up on an order the stock cannot meet: refused, and it has read the item.
  const warmUp = placeOrder(deps(warm), { ...input, idempotencyKey: 'warm-up', items: [{ id: 'expiring', count: 5 }] })
  t.equal(await outcome(warmUp), '409 insufficient_stock', 'the warm-up order is refused for its stock, nothing else')
  t.ok(warm.lookup(['expiring']) !== undefined, 'the warm container knows the item')

  // Past its 24 hours: TTL deletes the record some time later; until then it is expired but there.
  await ddb.send(new UpdateCommand({
    TableName: names.idempotency,
    Key: { id: idempotencyRecordId('late', 'old-key') },
    UpdateExpression: 'SET expiration = :past',
    ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 60 }
  }))
  const retryFromEach = async (when: string): Promise<void> => {
    for (const [name, snapshots] of [['cold', createItemSnapshots()], ['warm', warm]] as const) {
      const retry = await placeOrder(deps(snapshots), input).catch((err: Error) => err)
      t.match(
        retry,
        { statusCode: 201, replayed: true, order: { id: first.order.id } },
        `${when}, ${name}: the retry answers the order its key placed`
      )
    }
  }
  await retryFromEach('record expired')
  await ddb.send(
    new DeleteCommand({ TableName: names.idempotency, Key: { id: idempotencyRecordId('late', 'old-key') } })
  )
  await retryFromEach('record deleted by TTL')
  t.same(await ordersFor('late', 'expiring'), [first.order.id], 'still one order')
  t.equal(await stockOf('expiring'), 0, 'and one unit taken')
})
