// The one BatchGetItem loop (data/batch-get.ts) over faults the emulator can't produce: keys left
// unprocessed are asked again until answered, a key named twice is asked once, and keys that stay
// unprocessed end in a 503 whose cause says so.
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { batchGetAll } from '../../data/batch-get.js'

function setup () {
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
  )
  return { ddb, mock: mockClient(ddb) }
}

t.test('unprocessed keys are asked again, across tables, until every one is answered', async (t) => {
  const { ddb, mock } = setup()
  mock.on(BatchGetCommand)
    .resolvesOnce({
      Responses: { items: [{ id: 'a' }] },
      UnprocessedKeys: { items: { Keys: [{ id: 'b' }] }, idem: { Keys: [{ id: 'k' }] } }
    })
    .resolvesOnce({ Responses: { items: [{ id: 'b' }] }, UnprocessedKeys: { idem: { Keys: [{ id: 'k' }] } } })
    .resolves({ Responses: { idem: [{ id: 'k' }] } })
  const found = await batchGetAll(
    ddb,
    { items: { Keys: [{ id: 'a' }, { id: 'b' }] }, idem: { Keys: [{ id: 'k' }], ConsistentRead: true } }
  )
  t.same(found, { items: [{ id: 'a' }, { id: 'b' }], idem: [{ id: 'k' }] })
  t.same(mock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems),
    [{ items: { Keys: [{ id: 'a' }, { id: 'b' }] }, idem: { Keys: [{ id: 'k' }], ConsistentRead: true } },
      { items: { Keys: [{ id: 'b' }] }, idem: { Keys: [{ id: 'k' }] } },
      { idem: { Keys: [{ id: 'k' }] } }])
})

t.test('a key named twice is asked once (DynamoDB refuses the whole request otherwise)', async (t) => {
  const { ddb, mock } = setup()
  mock.on(BatchGetCommand).resolves({ Responses: { items: [{ id: 'a' }] } })
  await batchGetAll(ddb, { items: { Keys: [{ id: 'a' }, { id: 'b' }, { id: 'a' }] } })
  t.same(
    mock.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems,
    { items: { Keys: [{ id: 'a' }, { id: 'b' }] } }
  )
})

t.test('keys that stay unprocessed end in a 503 whose cause is logged, after a bounded number of rounds', async (t) => {
  const { ddb, mock } = setup()
  mock.on(BatchGetCommand).resolves({ Responses: {}, UnprocessedKeys: { items: { Keys: [{ id: 'a' }] } } })
  const err = await batchGetAll(ddb, { items: { Keys: [{ id: 'a' }] } }).then(() => undefined, (e: unknown) => e)
  t.match(err, { status: 503, code: 'service_busy', cause: { message: /1 keys unprocessed after 6 rounds/ } })
  t.equal(mock.commandCalls(BatchGetCommand).length, 6)
})
