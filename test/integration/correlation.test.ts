// One order, one id, against the emulators and the local worker: the x-request-id of the API
// request that placed the order (and then of the one that cancelled it) reaches the event on the
// bus, the worker's log lines, the webhook's x-correlation-id (the partner simulator prints it) and
// the email's log line. Then SES reports the address bounced (an event on the local bus, as SES
// would put it on the default bus): the next order's email is not sent.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { PutCommand } from '@aws-sdk/lib-dynamodb'
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { loadConfig } from '../../core/config.js'
import { startLocalWorker, localWorkerEnv } from '../../local/worker.js'
import { build } from '../helpers/app.js'
import { createTables, localDynamoClient, stackEnv } from '../helpers/stack.js'
import { startTestIssuer } from '../helpers/tokens.js'
import { memoryLog } from '../helpers/worker-fixtures.js'
import { until } from '../helpers/until.js'

t.test('the request id travels to the event, the worker log, the webhook and the email log line', async (t) => {
  const before = new Date(Date.now() - 1000)
  const tables = await createTables(t)
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const workerEnv = await localWorkerEnv({ EVENTBUS_PORT: '0', PARTNER_PORT: '0' })
  const env = {
    ...stackEnv(),
    ...tables,
    ...workerEnv,
    STAGE: 'test',
    LOG_LEVEL: 'silent',
    SES_FROM: 'shop@example.com'
  }
  const log = memoryLog()
  const partnerLines: string[] = []
  const config = loadConfig(env)
  const worker = await startLocalWorker({
    config,
    log,
    partnerLog: (line) => { partnerLines.push(line) },
    freshTablesSince: before
  })
  t.teardown(() => worker.stop())
  const app = await build(t, { env: { ...env, ...issuer.env } })

  const suffix = randomBytes(4).toString('hex')
  const email = `corr-${suffix}@example.com`
  const now = new Date().toISOString()
  await app.aws.ddb.send(new PutCommand({
    TableName: tables.ITEMS_TABLE,
    Item: {
      id: 'kettle',
      category: 'kitchen',
      type: 'kettle',
      brand: 'Acme',
      title: 'Kettle',
      description: 'A kettle',
      colorPreference: [],
      price: 3000,
      currency: 'EUR',
      stock: 10,
      searchText: 'kettle',
      createdAt: now,
      updatedAt: now
    }
  }))
  const auth = { authorization: `Bearer ${issuer.token({ sub: `user-${suffix}`, email })}` }
  // The correlation id is the request id the API answered, always its own (a client's
  // x-request-id is echoed apart, never taken as ours).
  const placed = await app.inject({
    method: 'POST',
    url: '/orders',
    headers: { ...auth, 'x-request-id': `client-${suffix}` },
    payload: { items: [{ id: 'kettle', count: 1 }] }
  })
  t.equal(placed.statusCode, 201, placed.body)
  const placeId = String(placed.headers['x-request-id'])
  t.not(placeId, `client-${suffix}`, "the API's own request id, not the client's")
  t.equal(placed.headers['x-client-request-id'], `client-${suffix}`, "the client's id is echoed apart")
  const orderId = placed.json().id as string
  t.notMatch(placed.body, /requestId/, "the request id stays out of the API's order")

  const hook = await until(
    'the warehouse webhook',
    () => worker.partners?.received.find((r) => r.eventType === 'OrderPlaced'),
    20_000
  )
  t.equal(hook.correlationId, placeId, 'x-correlation-id on the webhook')
  t.ok(
    partnerLines.some((l) => l.includes(orderId) && l.includes(`correlation ${placeId}`)),
    'the partner simulator prints it'
  )
  await until(
    'the email log line',
    () => log.lines.find((l) => l.message === 'order email sent' && l.extra?.orderId === orderId),
    20_000
  )
  const about = log.lines.filter((l) => l.extra?.orderId === orderId)
  t.ok(about.some((l) => l.message === 'order event published'), 'the worker logged the publication')
  for (const line of about) t.equal(line.extra?.correlationId, placeId, `worker log "${line.message}" carries it`)
  t.match(
    worker.bus.events.find((e) => e['detail-type'] === 'OrderPlaced'),
    { detail: { id: orderId, correlationId: placeId } },
    'the event on the bus carries it'
  )

  const cancelled = await app.inject({ method: 'POST', url: `/orders/${orderId}/cancel`, headers: auth })
  t.equal(cancelled.statusCode, 200, cancelled.body)
  const cancelId = String(cancelled.headers['x-request-id'])
  const cancelHook = await until(
    'the cancellation webhook',
    () => worker.partners?.received.find((r) => r.eventType === 'OrderCancelled'),
    20_000
  )
  t.equal(cancelHook.correlationId, cancelId, "the cancellation's webhook carries the cancelling request's id")

  // SES reports a hard bounce for the address; the next order's email is not sent. (In AWS the
  // report arrives on the default bus; the local stack has one bus, routing by every rule.)
  const bus = new EventBridgeClient({
    endpoint: worker.eventBusUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' }
  })
  t.teardown(() => bus.destroy())
  const put = await bus.send(new PutEventsCommand({
    Entries: [{
      EventBusName: config.eventBusName,
      Source: 'aws.ses',
      DetailType: 'Email Bounced',
      Detail: JSON.stringify({
        eventType: 'Bounce',
        mail: { messageId: 'ses-local-1', tags: {} },
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: [{ emailAddress: email.toUpperCase() }]
        }
      })
    }]
  }))
  t.equal(put.FailedEntryCount, 0, JSON.stringify(put.Entries))
  const ddb = localDynamoClient()
  t.teardown(() => ddb.destroy())
  const row = await until('the suppression', async () =>
    (await ddb.send(
      new GetItemCommand({ TableName: tables.SUPPRESSIONS_TABLE, Key: { id: { S: email } }, ConsistentRead: true })
    )).Item, 20_000)
  t.match(row, { reason: { S: 'bounce' }, detail: { S: 'Permanent/General' } })
  const again = await app.inject({
    method: 'POST',
    url: '/orders',
    headers: auth,
    payload: { items: [{ id: 'kettle', count: 1 }] }
  })
  t.equal(again.statusCode, 201)
  const suppressed = await until(
    'the suppressed email',
    () => log.lines.find((l) => l.message.startsWith('order email suppressed') && l.extra?.orderId === again.json().id),
    20_000
  )
  t.equal(suppressed.extra?.correlationId, again.headers['x-request-id'])
  t.notOk(
    log.lines.some((l) => l.message === 'order email sent' && l.extra?.orderId === again.json().id),
    'no email to a bounced address'
  )
})
