// `npm start`: the whole system on this machine, no AWS account needed. Emulators (DynamoDB Local,
// cognito-local, SES), tables made from infra/template.yaml, a seeded catalog, the API on
// http://localhost:3000 and the worker fed by the orders stream. Ctrl-C stops everything it started.
//
// Flags: --in-memory (keep no data), --reset (drop the kept data first), --no-seed, --auto-advance
// (the partner simulator marks orders packed, then delivered).
// Ports: PORT (3000), DYNAMODB_PORT (8000), SES_PORT (8005), COGNITO_PORT (9229), EVENTBUS_PORT
// (8010, the local EventBridge and SQS), PARTNER_PORT (8011, the partner simulator).
// STREAM_POLL_INTERVAL_MS (250): how often the local stream poller reads a quiet stream.
// Kept data (.local-data/): the tables, the user pool, and the worker's queues and stream positions,
// so an order placed just before a crash (even kill -9) still gets its webhook and email after the
// next start, once.
import { join, dirname } from 'node:path'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { FastifyInstance } from 'fastify'
import { ConfigError, loadConfig, LOCAL_DEFAULTS } from '../core/config.js'
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

const root = dirname(dirname(fileURLToPath(import.meta.url)))
// The SDK's notice about Node 20 support is for AWS's runtime, not for local runs.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
export const LOCAL_DATA_DIR = join(root, '.local-data')

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

async function shutdown (code: number): Promise<never> {
  if (!stopping) {
    stopping = true
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
  }
  process.exit(code)
}

async function main (): Promise<void> {
  const apiPort = port('PORT', 3000)
  const pollIntervalMs = pollInterval()
  // Check the API's port before starting anything, so a busy port costs no emulator start-up.
  await reservePort('the API', apiPort, process.env.HOST ?? '127.0.0.1', 'choose another with PORT=<n>')
  // The local bus's and the partner simulator's ports, checked now for the same reason; the
  // variables pointing the worker at them must be in place before loadConfig.
  const workerEnv = await localWorkerEnv(process.env)
  if (flags.reset) rmSync(LOCAL_DATA_DIR, { recursive: true, force: true })
  const started = Date.now()
  log('starting DynamoDB Local, cognito-local and the SES emulator ...')
  const stack: Stack = await startStack({
    dataDir: flags['in-memory'] ? undefined : LOCAL_DATA_DIR,
    ports: { dynamodb: port('DYNAMODB_PORT', 8000), cognito: port('COGNITO_PORT', 9229), ses: port('SES_PORT', 8005) }
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
  await indexKeptCatalog(ddb, config.tables, log)
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

  const deadLetters = worker.queues.list.filter((q) => !q.def.redrive && q.messages.size > 0)
    .map((q) => `${q.def.name} ${q.messages.size}`).join(', ') || 'none'
  const { warehouse: warehouseHook, delivery: deliveryHook } = config.webhookUrls
  const partnerKey = (partner: 'warehouse' | 'delivery'): string => {
    const key = config.partnerKeys[partner]
    if ('value' in key) return key.value
    return partner === 'warehouse' ? LOCAL_DEFAULTS.WAREHOUSE_API_KEY : LOCAL_DEFAULTS.DELIVERY_API_KEY
  }
  const withPort = (name: string, value: string | undefined): string => value === undefined ? '' : `${name}=${value} `
  console.log([
    '',
    `serverless-commerce is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    `  API            ${api}`,
    `  Health         ${api}/health`,
    `  Swagger UI     ${api}/docs`,
    `  OpenAPI        ${api}/openapi.json`,
    `  Mailbox (SES)  ${stack.endpoints.ses}`,
    `  Event bus, SQS ${worker.eventBusUrl}  (PutEvents and SQS; routes and queues from infra/template.yaml)`,
    `  Redrive        npm run redrive -- events | orders-stream   (dead letters now: ${deadLetters})`,
    `  Partners       ${worker.partnerUrl ?? '(external)'}  webhooks: ${warehouseHook ?? '-'} , ${deliveryHook ?? '-'}`,
    `  Auto-advance   ${flags['auto-advance']
      ? 'on: the simulated partners pack, then deliver, each order'
      : 'off (npm start -- --auto-advance to turn on)'}`,
    `  DynamoDB Local ${stack.endpoints.dynamodb}`,
    `  cognito-local  ${stack.endpoints.cognito}  ` +
      `(pool ${config.cognito.userPoolId}, client ${config.cognito.clientId})`,
    `  Data           ${flags['in-memory']
      ? 'in memory (gone at exit)'
      : `${LOCAL_DATA_DIR} (npm start -- --reset to wipe)`}`,
    '  Partner API keys (development defaults; set WAREHOUSE_API_KEY / DELIVERY_API_KEY to change):',
    `    warehouse    ${partnerKey('warehouse')}`,
    `    delivery     ${partnerKey('delivery')}`,
    '  Become an admin (catalog writes, every order): sign up and confirm (POST /signup, /signup/confirm), ' +
      'then in another terminal',
    `    ${withPort('COGNITO_PORT', process.env.COGNITO_PORT)}npm run admin -- <your email>` +
      '   and sign in again (POST /signin)',
    `  Import a catalog  ${withPort('PORT', process.env.PORT === undefined ? undefined : String(apiPort))}` +
      'npm run import -- <file.jsonl> --email <admin email>   (README, "Catalog")',
    'Press Ctrl-C to stop everything.',
    ''
  ].join('\n'))
}

process.once('SIGINT', () => { log('stopping ...'); void shutdown(0) })
process.once('SIGTERM', () => { void shutdown(0) })

main().catch(async (err: unknown) => {
  const known = err instanceof ConfigError || err instanceof PortBusyError || err instanceof PortInUseError ||
    err instanceof JavaMissingError || err instanceof CognitoStoreError
  console.error(known ? (err as Error).message : err)
  await shutdown(1)
})
