// `npm start`: the whole system on this machine, no AWS account needed. Emulators (DynamoDB Local,
// cognito-local, SES), tables made from infra/template.yaml, a seeded catalog, the API on
// http://localhost:3000 and the worker fed by the orders stream. Ctrl-C stops everything it started.
//
// Flags: --in-memory (keep no data), --reset (drop the kept data first), --no-seed, --auto-advance
// (the partner simulator marks orders packed, then delivered).
// Ports: PORT (3000), DYNAMODB_PORT (8000), SES_PORT (8005), COGNITO_PORT (9229), EVENTBUS_PORT
// (8010, the local EventBridge and SQS), PARTNER_PORT (8011, the partner simulator). Every emulator
// listens on 127.0.0.1 only. LOCAL_DATA_DIR: another data folder (a second stack of one clone).
// STREAM_POLL_INTERVAL_MS (250): how often the local stream poller reads a quiet stream.
// Kept data (.local-data/, or LOCAL_DATA_DIR): the tables, the user pool, and the worker's queues and
// stream positions, so an order placed just before a crash (even kill -9) still gets its webhook and
// email after the next start, once. One stack per data folder: local/data-lock.ts.
import { join } from 'node:path'
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { FastifyInstance } from 'fastify'
import { ConfigError, loadConfig } from '../core/config.js'
import { startServer, PortInUseError } from '../app/server.js'
import { startStack, type Stack } from './stack.js'
import { ensureTables } from './tables.js'
import { seedCatalog } from '../data/seed-catalog.js'
import { indexKeptCatalog } from './index-kept-catalog.js'
import { createDocumentClient } from '../core/aws.js'
import { PortBusyError, reservePort } from './emulators/process.js'
import { JavaMissingError } from './emulators/dynamodb.js'
import { CognitoStoreError } from './emulators/cognito.js'
import { localWorkerEnv, startLocalWorker } from './worker.js'
import { DEFAULT_POLL_INTERVAL_MS } from './stream-poller.js'
import { acquireDataLock, DataFolderLockedError, localDataDir, LOCK_FILE, type DataLock } from './data-lock.js'
import { banner, DEFAULT_PORTS } from './banner.js'

// The SDK's notice about Node 20 support is for AWS's runtime, not for local runs.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
const LOCAL_DATA_DIR = localDataDir()

const { values: flags } = parseArgs({
  options: {
    'in-memory': { type: 'boolean', default: false },
    reset: { type: 'boolean', default: false },
    'no-seed': { type: 'boolean', default: false },
    'auto-advance': { type: 'boolean', default: false }
  }
})

const port = (name: string, fallback: number): number => {
  const raw = process.env[name]
  const n = raw === undefined ? fallback : Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    console.error(`${name} must be a port number from 1 to 65535 (got "${raw}")`)
    process.exit(1)
  }
  return n
}

const pollInterval = (): number => {
  const raw = process.env.STREAM_POLL_INTERVAL_MS
  const n = raw === undefined || raw === '' ? DEFAULT_POLL_INTERVAL_MS : Number(raw)
  if (!Number.isInteger(n) || n < 10 || n > 60000) {
    console.error(`STREAM_POLL_INTERVAL_MS must be a number of milliseconds from 10 to 60000 (got "${raw}")`)
    process.exit(1)
  }
  return n
}

const log = (msg: string): void => { console.log(`[local] ${msg}`) }
const cleanups: Array<() => Promise<unknown>> = []
let stopping = false
let lock: DataLock | undefined
// Every way out releases the data folder's lock; a kill -9 leaves it to the next start (a dead pid).
process.once('exit', () => { lock?.release() })

async function shutdown (code: number): Promise<never> {
  if (!stopping) {
    stopping = true
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
  }
  lock?.release()
  process.exit(code)
}

const KEPT = 'the tables, the user pool, the worker\'s queues and stream positions'

/** --reset: says what it wipes, then empties the data folder (but for this run's lock). */
function wipeDataFolder (): void {
  log(`--reset: wiping ${LOCAL_DATA_DIR} (${KEPT}) ...`)
  for (const name of readdirSync(LOCAL_DATA_DIR)) {
    if (name !== LOCK_FILE) rmSync(join(LOCAL_DATA_DIR, name), { recursive: true, force: true })
  }
}

async function main (): Promise<void> {
  const apiPort = port('PORT', DEFAULT_PORTS.PORT)
  const pollIntervalMs = pollInterval()
  const ports = {
    PORT: apiPort,
    DYNAMODB_PORT: port('DYNAMODB_PORT', DEFAULT_PORTS.DYNAMODB_PORT),
    COGNITO_PORT: port('COGNITO_PORT', DEFAULT_PORTS.COGNITO_PORT),
    SES_PORT: port('SES_PORT', DEFAULT_PORTS.SES_PORT),
    EVENTBUS_PORT: port('EVENTBUS_PORT', DEFAULT_PORTS.EVENTBUS_PORT),
    PARTNER_PORT: port('PARTNER_PORT', DEFAULT_PORTS.PARTNER_PORT)
  }
  // Before anything else (even --reset): a folder another stack uses is left alone. --in-memory
  // runs keep nothing on disk, so they share nothing and take no lock.
  if (!flags['in-memory']) {
    mkdirSync(LOCAL_DATA_DIR, { recursive: true })
    lock = acquireDataLock(LOCAL_DATA_DIR, ports)
  }
  // Check the API's port before starting anything, so a busy port costs no emulator start-up.
  await reservePort('the API', apiPort, process.env.HOST ?? '127.0.0.1', 'choose another with PORT=<n>')
  // The local bus's and the partner simulator's ports, checked now for the same reason; the
  // variables pointing the worker at them must be in place before loadConfig.
  const workerEnv = await localWorkerEnv(process.env)
  if (flags.reset) {
    if (flags['in-memory']) log('--reset with --in-memory: nothing kept to wipe')
    else wipeDataFolder()
  }
  const started = Date.now()
  log('starting DynamoDB Local, cognito-local and the SES emulator ...')
  const stack: Stack = await startStack({
    dataDir: flags['in-memory'] ? undefined : LOCAL_DATA_DIR,
    ports: { dynamodb: ports.DYNAMODB_PORT, cognito: ports.COGNITO_PORT, ses: ports.SES_PORT }
  })
  cleanups.push(stack.stop)

  const env = { ...process.env, ...stack.env, ...workerEnv, STAGE: 'local' }
  const config = loadConfig(env)
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb')
  // A table created by this run has a stream worth reading from its start; a kept one resumes at its end.
  const tablesCheckedAt = new Date(Date.now() - 1000)
  const admin = new DynamoDBClient({
    endpoint: stack.endpoints.dynamodb,
    region: config.region,
    credentials: config.localCredentials
  })
  await ensureTables(admin, config.tables, { recreateDrifted: true, log })
  admin.destroy()
  const ddb = createDocumentClient(config)
  const dynamoPort = port('DYNAMODB_PORT', 8000)
  const repairCommand = `${dynamoPort === 8000 ? '' : `DYNAMODB_PORT=${dynamoPort} `}npm run backfill-index`
  await indexKeptCatalog(ddb, config.tables, log, repairCommand)
  if (!flags['no-seed']) {
    const seeded = await seedCatalog(ddb, config.tables, { onlyIfEmpty: true })
    if (seeded > 0) log(`seeded the empty catalog with ${seeded} sample items`)
  }
  ddb.destroy()

  const app: FastifyInstance = await startServer(config, { port: apiPort, host: process.env.HOST ?? '127.0.0.1' })
  cleanups.push(() => app.close())
  const api = `http://localhost:${apiPort}`

  const worker = await startLocalWorker({
    config,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    autoAdvance: flags['auto-advance'],
    // A WAREHOUSE_WEBHOOK_URL of your own (a partner's test endpoint) replaces the simulator.
    partnerSimulator: process.env.WAREHOUSE_WEBHOOK_URL === undefined,
    freshTablesSince: tablesCheckedAt,
    // The queues and the stream positions live with the tables: --in-memory keeps neither.
    ...(flags['in-memory'] ? {} : { dataDir: join(LOCAL_DATA_DIR, 'worker') }),
    pollIntervalMs
  })
  cleanups.push(worker.stop)

  const portOf = (url: string): number => Number(new URL(url).port)
  const actualPorts = {
    ...ports,
    EVENTBUS_PORT: portOf(worker.eventBusUrl),
    PARTNER_PORT: worker.partnerUrl === undefined ? ports.PARTNER_PORT : portOf(worker.partnerUrl)
  }
  // What start:cli reads to reach this stack: endpoints and ids, no secrets.
  lock?.update({
    endpoints: {
      api,
      ...stack.endpoints,
      eventBus: worker.eventBusUrl,
      ...(worker.partnerUrl === undefined ? {} : { partners: worker.partnerUrl })
    },
    env: { ...stack.env, ...workerEnv }
  })
  // Kept from an earlier run: the dead-letter queues' messages and the stream failure bucket's batches.
  const deadLetters = [
    ...worker.queues.list.filter((q) => !q.def.redrive && q.messages.size > 0)
      .map((q) => `${q.def.name} ${q.messages.size}`),
    ...worker.buckets.list.map((b) => [b.name, b.list().length] as const).filter(([, n]) => n > 0)
      .map(([name, n]) => `${name} ${n}`)
  ]
  console.log(banner({
    config,
    readySeconds: (Date.now() - started) / 1000,
    ports: actualPorts,
    api,
    endpoints: stack.endpoints,
    eventBusUrl: worker.eventBusUrl,
    partnerUrl: worker.partnerUrl,
    deadLetters: deadLetters.join(', ') || 'none',
    autoAdvance: flags['auto-advance'],
    dataDir: flags['in-memory'] ? undefined : LOCAL_DATA_DIR
  }))
}

process.once('SIGINT', () => { log('stopping ...'); void shutdown(0) })
process.once('SIGTERM', () => { void shutdown(0) })
process.once('SIGHUP', () => { void shutdown(0) })

main().catch(async (err: unknown) => {
  const known = err instanceof ConfigError || err instanceof PortBusyError || err instanceof PortInUseError ||
    err instanceof JavaMissingError ||
    err instanceof CognitoStoreError || err instanceof DataFolderLockedError
  console.error(known ? (err as Error).message : err)
  await shutdown(1)
})
