// The stream mapping's on-failure destination on the local stack: a worker that throws on every
// stream batch (a bad deploy: it never gets as far as parking a record itself) is retried until the
// records pass the mapping's age limit; the batch then lands in the local OrdersStreamFailureBucket
// as Lambda writes it to S3, records included. Once fixed, `npm run redrive -- orders-stream`
// (the command itself, against the local endpoint, through @aws-sdk/client-s3) republishes it: the
// event reaches the bus once and the partner gets one webhook; running it again sends nothing.
import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb'
import { loadConfig } from '../../core/config.js'
import { startLocalWorker, localWorkerEnv, LOCAL_STREAM_MAPPING_ID } from '../../local/worker.js'
import { recordsOfStreamFailure } from '../../workers/stream-failure-record.js'
import type { StoredOrder } from '../../domain/orders.js'
import { until } from '../helpers/until.js'
import { createTables, localDynamoClient, stackEnv } from '../helpers/stack.js'
import { memoryLog } from '../helpers/worker-fixtures.js'

const run = promisify(execFile)

/** The worker's memory of published records, throwing while `broken`: every stream batch fails whole. */
class BrokenUntilFixed extends Map<string, string> {
  broken = true
  override has (key: string): boolean {
    if (this.broken) throw new Error('the worker is broken (a bad deploy)')
    return super.has(key)
  }
}

async function startHookServer (t: Test): Promise<{ url: string; paths: string[] }> {
  const paths: string[] = []
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => { paths.push(req.url ?? ''); res.writeHead(200).end('{}') })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths }
}

t.test('a batch the worker throws on until the age limit is kept whole in the failure bucket; the redrive ' +
  'publishes it once, and again sends nothing', async (t) => {
  const before = new Date(Date.now() - 1000)
  const tables = await createTables(t)
  const hooks = await startHookServer(t)
  const env = {
    ...stackEnv(),
    ...tables,
    WAREHOUSE_WEBHOOK_SECRET: 'it-warehouse-webhook-key-0123',
    DELIVERY_WEBHOOK_SECRET: 'it-delivery-webhook-key-0123',
    ...await localWorkerEnv({
      EVENTBUS_PORT: '0',
      WAREHOUSE_WEBHOOK_URL: `${hooks.url}/warehouse`,
      DELIVERY_WEBHOOK_URL: `${hooks.url}/delivery`
    }),
    STAGE: 'test',
    LOG_LEVEL: 'silent',
    SES_FROM: 'shop@example.com',
    PICKUP_ADDRESS: '1 Dock Road, Springfield'
  }
  const config = loadConfig(env)
  const memory = new BrokenUntilFixed()
  const worker = await startLocalWorker({
    config,
    log: memoryLog(),
    partnerSimulator: false,
    freshTablesSince: before,
    pollIntervalMs: 50,
    // The template's 8 hours, shortened: the mapping gives the batch up once its record is a second old.
    maxRecordAgeSeconds: 1,
    runtime: { published: memory, effectRetryDelaysS: [1], replayRetryDelaysS: [1], webhookRetryDelaysMs: [0, 0] }
  })
  t.teardown(() => worker.stop())
  const ddb = DynamoDBDocumentClient.from(localDynamoClient(), { marshallOptions: { removeUndefinedValues: true } })
  t.teardown(() => ddb.destroy())

  const suffix = randomBytes(4).toString('hex')
  const at = new Date().toISOString()
  const order: StoredOrder = {
    id: `ord_sfb${suffix}`,
    userId: `user-${suffix}`,
    userEmail: `ada+${suffix}@example.com`,
    userEmailVerified: true,
    status: 'placed',
    lines: [{ id: 'case-1', title: 'Case', count: 1, unitPrice: 1999 }],
    total: 1999,
    currency: 'USD',
    createdAt: at,
    updatedAt: at,
    history: [{ status: 'placed', at, by: `user:user-${suffix}` }]
  }
  await ddb.send(new PutCommand({ TableName: tables.ORDERS_TABLE, Item: order }))

  const bucket = worker.buckets.byLogicalId('OrdersStreamFailureBucket')
  const object = await until('the batch in the failure bucket', () => bucket.list()[0], 30_000)
  const [aws, lambda, mappingId, shardId, ...when] = object.key.split('/')
  t.same([aws, lambda, mappingId], ['aws', 'lambda', LOCAL_STREAM_MAPPING_ID])
  t.match(shardId, /^shardId-/)
  t.match(when.join('/'), /^\d{4}\/\d\d\/\d\d\/\d{4}-\d\d-\d\dT\d\d\.\d\d\.\d\d-[0-9a-f-]{36}$/,
    "Lambda's key naming: aws/lambda/<mapping>/<shard>/YYYY/MM/DD/<time>-<UUID>")
  const body = bucket.get(object.key) as string
  t.match(JSON.parse(body), {
    version: '1.0',
    requestContext: { condition: 'RecordAgeExceeded' },
    DDBStreamBatchInfo: { batchSize: 1, streamArn: worker.poller.streamArn },
    payload: String
  }, 'an S3 invocation record')
  t.match(recordsOfStreamFailure(body), [{
    eventName: 'INSERT',
    dynamodb: { Keys: { id: { S: order.id } }, NewImage: { userEmail: { S: order.userEmail } } }
  }], 'with the record itself, images and all: no stream read needed to redrive it')
  await worker.settled()
  t.equal(worker.bus.events.length, 0, 'nothing published while the worker is broken')
  t.equal(worker.queues.byName('local-orders-stream-dlq').messages.size, 0, 'nor parked by the worker')

  memory.broken = false
  const redrive = async (): Promise<string> => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/redrive.ts', 'orders-stream'], {
      env: {
        ...process.env,
        EVENTBUS_PORT: new URL(worker.eventBusUrl).port,
        DYNAMODB_ENDPOINT: stackEnv().DYNAMODB_ENDPOINT,
        ORDERS_TABLE: tables.ORDERS_TABLE,
        EVENT_BUS_NAME: config.eventBusName
      },
      timeout: 60_000
    })
    return stdout
  }
  const first = await redrive()
  t.match(first, /local-orders-stream-dlq is empty|OrdersStreamDeadLetterQueue is empty/)
  t.match(first, new RegExp(`${object.key}: 1 record\\(s\\) sent to OrdersStreamReplayQueue, object deleted`))
  t.match(first, /OrdersStreamFailureBucket: 1 batch\(es\) redriven \(1 record\(s\) sent\), 0 left/)
  t.same(bucket.list(), [], 'the object deleted once its record was in the replay queue')
  await until('the webhook', () => hooks.paths.find((p) => p === '/warehouse'))
  await worker.settled()

  const second = await redrive()
  t.match(second, /OrdersStreamFailureBucket is empty: nothing to redrive/)
  t.match(second, /0 batch\(es\) redriven \(0 record\(s\) sent\), 0 left/)
  await worker.settled()
  t.equal(worker.bus.events.filter((e) => (e.detail as { id?: string }).id === order.id).length, 1,
    'the event reached the bus once')
  t.same(hooks.paths, ['/warehouse'], 'and the warehouse once')
})
