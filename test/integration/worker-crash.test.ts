// The local worker keeps Lambda's delivery promise across a crash. An order is written
// right before the worker process is killed with SIGKILL, and another while its webhook is on the
// wire; after a restart on the same data folder, each order's webhook is acknowledged once and its
// email sent once: the stream poller resumes after its saved position, the queues kept what the
// bus had accepted, and the effects ledger skips what was done.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb'
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs'
import { localWorkerEnv } from '../../local/worker.js'
import { LOCAL_ACCOUNT, queueDefinitions } from '../../local/sqs-queues.js'
import { EVENT_TYPE_HEADER } from '../../domain/webhook-signature.js'
import { ledgerRecordId } from '../../workers/effect-ledger.js'
import { until } from '../helpers/until.js'
import { createTables, localDynamoClient, stackEnv } from '../helpers/stack.js'

interface Hook { orderId: string; type: string; status: number }

// Counted only once the worker's queues are empty (nothing waiting, in flight or paused for a
// retry) and nothing changed for this long: a stream record read again after the restart, the
// longest way a duplicate could still come, shows within a few polls.
const QUIET_MS = 2000

t.test('kill -9 mid-stream and mid-delivery: after a restart, each order\'s webhook and email exactly ' +
  'once', async (t) => {
  const since = new Date(Date.now() - 1000)
  const tables = await createTables(t)
  const dataDir = mkdtempSync(join(tmpdir(), 'worker-crash-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))

  // The warehouse: holds the webhooks of `held` orders without answering; acknowledges the rest.
  const held = new Set<string>()
  const hooks: Hook[] = []
  const hanging: ServerResponse[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const orderId = JSON.parse(Buffer.concat(chunks).toString('utf8')).order.id as string
      const type = req.headers[EVENT_TYPE_HEADER] as string
      if (held.has(orderId)) { hooks.push({ orderId, type, status: 0 }); hanging.push(res); return }
      hooks.push({ orderId, type, status: 200 })
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  const hooksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  // Fixed ports for both runs, as npm start has.
  const workerEnv = await localWorkerEnv({
    EVENTBUS_PORT: '0',
    WAREHOUSE_WEBHOOK_URL: `${hooksUrl}/warehouse`,
    DELIVERY_WEBHOOK_URL: `${hooksUrl}/delivery`
  })
  const env = {
    ...process.env,
    ...stackEnv(),
    ...tables,
    ...workerEnv,
    STAGE: 'test',
    LOG_LEVEL: 'silent',
    SES_FROM: 'shop@example.com',
    WORKER_DATA_DIR: dataDir,
    FRESH_TABLES_SINCE: since.toISOString(),
    // Short claims, so the restart does not wait long for one the killed process held; but DynamoDB
    // Local on a loaded machine needs more than half a second a call, or B's email fails before the kill.
    WEBHOOK_TIMEOUT_MS: '300',
    AWS_REQUEST_TIMEOUT_MS: '1500',
    AWS_CONNECT_TIMEOUT_MS: '500'
  }
  const children: ChildProcess[] = []
  t.teardown(() => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL') })
  const start = async (): Promise<ChildProcess> => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/helpers/worker-process.ts'],
      { env, stdio: ['ignore', 'pipe', 'inherit'] }
    )
    children.push(child)
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) resolve() })
      child.once('exit', (code) => reject(new Error(`the worker process exited (${code}) before it was ready`)))
    })
    return child
  }
  const kill = async (child: ChildProcess): Promise<void> => {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  const ddb = DynamoDBDocumentClient.from(localDynamoClient(), { marshallOptions: { removeUndefinedValues: true } })
  t.teardown(() => ddb.destroy())
  const order = (label: string) => {
    const suffix = `${label}${randomBytes(3).toString('hex')}`
    const at = new Date().toISOString()
    return {
      id: `ord_${suffix}`,
      userId: `u-${suffix}`,
      userEmail: `crash+${suffix}@example.com`,
      userEmailVerified: true,
      status: 'placed',
      lines: [{ id: 'x', title: 'X', count: 1, unitPrice: 100 }],
      total: 100,
      currency: 'USD',
      createdAt: at,
      updatedAt: at,
      history: [{ status: 'placed', at, by: `user:u-${suffix}` }]
    }
  }
  const mails = async (email: string): Promise<number> => {
    const { emails } = await (await fetch(`${stackEnv().SES_ENDPOINT}/store`)).json() as {
      emails: Array<{ destination: { to: string[] } }>
    }
    return emails.filter((e) => e.destination.to.includes(email)).length
  }

  let worker = await start()
  // 1. Mid-delivery: the warehouse holds B's webhook, and the worker dies while it waits for the answer.
  const b = order('b')
  held.add(b.id)
  await ddb.send(new PutCommand({ TableName: tables.ORDERS_TABLE, Item: b }))
  await until("B's webhook on the wire", () => hooks.find((h) => h.orderId === b.id))
  // B's email runs beside its webhook. A kill between SES accepting it and the ledger recording it
  // would send it again after the restart: the one window docs/events.md names where an email can
  // be doubled (SendEmail has no idempotency token). The kill waits until the ledger has it.
  const emailRecord = async (): Promise<Record<string, unknown> | undefined> => (await ddb.send(new GetCommand({
    TableName: tables.IDEMPOTENCY_TABLE, Key: { id: ledgerRecordId(b.id, 'email') }, ConsistentRead: true
  }))).Item
  await until("B's email recorded sent", async () => ((await emailRecord())?.doneSequence !== undefined || undefined),
    30_000)
  // 2. Mid-stream: A is written right before the kill (its record may not even be read yet).
  const a = order('a')
  await ddb.send(new PutCommand({ TableName: tables.ORDERS_TABLE, Item: a }))
  await kill(worker)
  for (const res of hanging) res.destroy()
  held.clear()

  worker = await start()
  await until(
    'both webhooks acknowledged',
    () => [a, b].every((o) => hooks.some((h) => h.orderId === o.id && h.status === 200)) ? true : undefined,
    60_000
  )
  await until(
    'both emails',
    async () => (await mails(a.userEmail)) >= 1 && (await mails(b.userEmail)) >= 1 ? true : undefined,
    60_000
  )
  // Whatever could still come twice has had its chance: retries and claims wait in the queues.
  const credentials = { accessKeyId: 'x', secretAccessKey: 'x' }
  const sqs = new SQSClient({ endpoint: workerEnv.SQS_ENDPOINT, region: 'us-east-1', credentials })
  t.teardown(() => sqs.destroy())
  // Every queue the worker reads (each has a dead-letter queue); the dead-letter queues only keep.
  const sources = queueDefinitions().filter((q) => q.redrive !== undefined)
    .map((q) => `${workerEnv.SQS_ENDPOINT}/${LOCAL_ACCOUNT}/${q.name}`)
  t.ok(sources.length >= 2, `the worker's queues: ${sources.map((u) => u.split('/').at(-1)).join(', ')}`)
  const queued = async (): Promise<number> => {
    let n = 0
    for (const QueueUrl of sources) {
      const command = new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] })
      const { Attributes: counts = {} } = await sqs.send(command)
      n += Number(counts.ApproximateNumberOfMessages) + Number(counts.ApproximateNumberOfMessagesNotVisible)
    }
    return n
  }
  let last = ''
  let quietSince = Date.now()
  await until('the queues drained and quiet', async () => {
    const emails = (await mails(a.userEmail)) + (await mails(b.userEmail))
    const state = `${await queued()} queued, ${hooks.length} webhooks, ${emails} emails`
    if (state !== last || !state.startsWith('0 queued')) { last = state; quietSince = Date.now(); return undefined }
    return Date.now() - quietSince >= QUIET_MS ? state : undefined
  }, 60_000, 200)
  t.comment(`drained: ${last}`)
  for (const o of [a, b]) {
    t.equal(
      hooks.filter((h) => h.orderId === o.id && h.status === 200).length,
      1,
      `${o.id}: the warehouse acknowledged its webhook once`
    )
    t.equal(await mails(o.userEmail), 1, `${o.id}: one email`)
  }
  t.comment(
    `webhook requests seen: ${hooks.map((h) => `${h.orderId.slice(
      4,
      5
    )}:${h.status}`).join(' ')} (an unanswered request may be sent again)`
  )
  const stopped = new Promise((resolve) => worker.once('exit', resolve))
  worker.kill('SIGTERM')
  await stopped
})
