// The local stack of the cases that run against DynamoDB Local (HTTP read and write, scale,
// pipeline): DynamoDB Local started once for all of them (in memory, on a free port), or one that is
// already running (the test runner's, in the smoke test); a JWT issuer standing in for Cognito (the
// test double of test/helpers/tokens.ts: the app verifies its RS256 tokens through its JWKS reader exactly
// as it verifies Cognito's); fresh tables per case; and the API as `npm start` runs it
// (app/server.ts's startServer) in a child process of its own, so the load generator and the server
// don't share one event loop. Everything started is stopped in stop(), and in cleanUp() on Ctrl-C.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { ROOT } from '../../scripts/build.js'
import { LOCAL_SDK_ENV } from '../../local/stack.js'
import { startDynamoDbLocal } from '../../local/emulators/dynamodb.js'
import { reservePort, startChild, waitUntilReady } from '../../local/emulators/process.js'
import { deleteTables, ensureTables, prefixedTableNames, type TableKey } from '../../local/tables.js'
import { startTestIssuer, type TestIssuer } from '../../test/helpers/tokens.js'
import { onExit } from './processes.js'

export interface BenchStack {
  dynamodbEndpoint: string
  issuer: TestIssuer
  /** The variables every app and worker of the bench gets: SDK, DynamoDB endpoint, user pool. */
  env: Record<string, string>
  /** A DynamoDB client (lib-dynamodb) on the stack, for seeding and the raw-SDK baselines. */
  ddb: DynamoDBDocumentClient
  stop: () => Promise<void>
}

export interface BenchTables { names: Record<TableKey, string>; env: Record<string, string>; drop: () => Promise<void> }

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' }

/** Starts DynamoDB Local (or uses `dynamodbEndpoint`) and the token issuer; registers their stop with onExit. */
export async function startBenchStack (opts: { dynamodbEndpoint?: string } = {}): Promise<BenchStack> {
  // The SDK's notice about Node 20 support is for AWS's runtime, not for local runs.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const stops: Array<() => Promise<void>> = []
  const stopAll = async (): Promise<void> => { for (const s of stops.reverse()) await s().catch(() => {}) }
  const unregister = onExit(stopAll)
  try {
    let endpoint = opts.dynamodbEndpoint
    if (endpoint === undefined) {
      const dynamo = await startDynamoDbLocal({ port: await reservePort('DynamoDB Local') })
      stops.push(dynamo.stop)
      endpoint = dynamo.endpoint
    }
    const issuer = await startTestIssuer({ userPoolId: 'us-east-1_bench', clientId: 'bench-client' })
    stops.push(issuer.close)
    const base = new DynamoDBClient({ endpoint, region: LOCAL_SDK_ENV.AWS_REGION, credentials: CREDENTIALS })
    const ddb = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } })
    stops.push(async () => { ddb.destroy() })
    return {
      dynamodbEndpoint: endpoint,
      issuer,
      env: { ...LOCAL_SDK_ENV, DYNAMODB_ENDPOINT: endpoint, ...issuer.env },
      ddb,
      stop: async () => { unregister(); await stopAll() }
    }
  } catch (err) {
    unregister()
    await stopAll()
    throw err
  }
}

/** The stack run.ts started for a case that set needsStack. */
export function requireStack (ctx: { stack?: BenchStack }): BenchStack {
  if (ctx.stack === undefined) throw new Error('this case needs the bench stack (needsStack): run it through runBench')
  return ctx.stack
}

/** Fresh tables made from infra/template.yaml, named `bench<random>-<label>-<table>`. */
export async function freshTables (stack: BenchStack, label: string): Promise<BenchTables> {
  const prefix = `bench${randomBytes(3).toString('hex')}-${label}`
  const names = prefixedTableNames(prefix)
  const admin = new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    region: LOCAL_SDK_ENV.AWS_REGION,
    credentials: CREDENTIALS
  })
  await ensureTables(admin, names)
  let dropped: Promise<void> | undefined
  const drop = async (): Promise<void> => {
    dropped ??= deleteTables(admin, names).finally(() => admin.destroy())
    await dropped
  }
  const unregister = onExit(drop)
  return {
    names,
    env: {
      ITEMS_TABLE: names.items,
      ORDERS_TABLE: names.orders,
      IDEMPOTENCY_TABLE: names.idempotency,
      SUPPRESSIONS_TABLE: names.suppressions,
      CATALOG_INDEX_TABLE: names.catalogIndex,
      RATE_LIMIT_TABLE: names.rateLimits
    },
    drop: async () => { unregister(); await drop() }
  }
}

/**
 * Writes the items with BatchWriteItem, 25 a call and `parallel` calls in flight, resending what
 * DynamoDB leaves unprocessed (DynamoDB Local rarely does, AWS does under load).
 */
export async function batchPut (
  ddb: DynamoDBDocumentClient,
  table: string,
  items: Array<Record<string, unknown>>,
  parallel = 8
): Promise<void> {
  const batches: Array<Array<Record<string, unknown>>> = []
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25))
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      let requests = (batches[next++] as Array<Record<string, unknown>>).map((Item) => ({ PutRequest: { Item } }))
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt >= 8) throw new Error(`BatchWrite into ${table}: items still unprocessed after ${attempt} attempts`)
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt))
        const res = await ddb.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }))
        requests = (res.UnprocessedItems?.[table] ?? []) as typeof requests
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, batches.length) }, worker))
}

export interface BenchApi { url: string; stop: () => Promise<void> }

/** bench/baselines/bare-http.ts: node:http and the SDK, no framework (the HTTP cases' floor). */
export const BARE_HTTP_SERVER = join(ROOT, 'bench', 'baselines', 'bare-http.ts')

/**
 * The API as `npm start` serves it (app/server.ts: loadConfig, buildApp, listen) in a child
 * process, on a free port, against the stack and the given tables. Logs at warn: the bench
 * measures the app, not a terminal printing a line per request. `server` runs another server the
 * same way (the bare HTTP baseline).
 */
export async function startApi (
  stack: BenchStack,
  env: Record<string, string>,
  server = join(ROOT, 'app', 'server.ts')
): Promise<BenchApi> {
  const port = await reservePort('the bench API')
  const child = startChild('the bench API', process.execPath, ['--import', 'tsx', server], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      ...stack.env,
      STAGE: 'local',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      // As deployed: the metric lines are part of each request's cost.
      METRICS: 'on',
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port)
    }
  })
  const unregister = onExit(child.stop)
  const url = `http://127.0.0.1:${port}`
  try {
    await waitUntilReady(child, async () => {
      const res = await fetch(`${url}/health`)
      if (res.status !== 200) throw new Error(`GET /health answered ${res.status}`)
    }, 30_000)
  } catch (err) {
    unregister()
    await child.stop()
    throw err
  }
  return { url, stop: async () => { unregister(); await child.stop() } }
}
