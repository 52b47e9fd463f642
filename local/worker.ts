// The worker on this machine, running the deployed handler's code (workers/dispatch.ts) between a
// stream poller (standing in for Lambda's DynamoDB event source mapping), a local bus and local
// SQS on one endpoint (standing in for EventBridge with the template's rule and the template's
// queues), a queue poller (Lambda's SQS event source mappings) and, optionally, the partner
// simulator. With a data folder (npm start), the queues and the stream positions are kept there:
// what the bus accepted and the stream's unread records survive a restart, even a kill -9.
//
// Order of start-up: `localWorkerEnv()` picks the ports and gives the variables to set BEFORE
// loadConfig (the worker's EventBridge and SQS clients, its dead-letter queues and webhook URLs
// come from the config), then `startLocalWorker({ config, ... })` starts the pieces on those addresses.
import { randomUUID } from 'node:crypto'
import type { Context, DynamoDBBatchResponse, SQSBatchResponse } from 'aws-lambda'
import type { Config } from '../core/config.js'
import { createWorkerRuntime, type WorkerLog, type WorkerRuntime } from '../workers/runtime.js'
import { createHandler, type WorkerEvent, type WorkerResponse } from '../workers/dispatch.js'
import { reservePort } from './emulators/process.js'
import { join } from 'node:path'
import { loadTemplate } from '../infra/template.js'
import type { EventBus } from './event-bus.js'
import { LOCAL_ACCOUNT, queueDefinitions, type LocalQueues } from './sqs-queues.js'
import { startLocalMessaging } from './messaging.js'
import { startQueuePoller, type QueuePoller } from './queue-poller.js'
import { startPartnerSimulator, type PartnerSimulator } from './partner-simulator.js'
import { startStreamPoller, type StreamPoller } from './stream-poller.js'
import { streamFailureKey } from '../workers/stream-failure-record.js'
import type { LocalBuckets } from './s3-api.js'

export const LOCAL_WORKER_PORTS = { eventBus: 8010, partner: 8011 } as const
export const WEBHOOK_PATHS = { warehouse: '/warehouse/webhooks', delivery: '/delivery/webhooks' } as const

type Env = Record<string, string | undefined>

function portFrom (env: Env, name: string, fallback: number): number {
  const raw = env[name]
  const n = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(`${name} must be a port number from 1 to 65535 (got "${raw}")`)
  }
  return n
}

/**
 * The ports of the local bus and the partner simulator (EVENTBUS_PORT / PARTNER_PORT, 0 for a free
 * one; defaults 8010 / 8011), checked free, and the variables pointing the worker at them. A
 * WAREHOUSE_WEBHOOK_URL or DELIVERY_WEBHOOK_URL already set wins (a real partner's test endpoint).
 */
export async function localWorkerEnv (env: Env = process.env, host = '127.0.0.1'): Promise<Record<string, string>> {
  const busPort = await reservePort(
    'the local event bus',
    portFrom(env, 'EVENTBUS_PORT', LOCAL_WORKER_PORTS.eventBus),
    host,
    'choose another with EVENTBUS_PORT=<n>'
  )
  // The local bus and the local SQS share the endpoint (local/aws-endpoint.ts).
  const endpoint = `http://${host}:${busPort}`
  const dlqUrl = (logicalId: string): string => {
    const def = queueDefinitions().find((q) => q.logicalId === logicalId)
    if (def === undefined) throw new Error(`infra/template.yaml has no ${logicalId}`)
    return `${endpoint}/${LOCAL_ACCOUNT}/${def.name}`
  }
  const vars: Record<string, string> = {
    EVENTBRIDGE_ENDPOINT: endpoint,
    SQS_ENDPOINT: endpoint,
    EVENTS_DLQ_URL: dlqUrl('EventsDeadLetterQueue'),
    ORDERS_STREAM_DLQ_URL: dlqUrl('OrdersStreamDeadLetterQueue')
  }
  if (env.WAREHOUSE_WEBHOOK_URL !== undefined && env.DELIVERY_WEBHOOK_URL !== undefined) {
    return { ...vars, WAREHOUSE_WEBHOOK_URL: env.WAREHOUSE_WEBHOOK_URL, DELIVERY_WEBHOOK_URL: env.DELIVERY_WEBHOOK_URL }
  }
  const partnerPort = await reservePort(
    'the partner simulator',
    portFrom(env, 'PARTNER_PORT', LOCAL_WORKER_PORTS.partner),
    host,
    'choose another with PARTNER_PORT=<n>'
  )
  const partners = `http://${host}:${partnerPort}`
  return {
    ...vars,
    WAREHOUSE_WEBHOOK_URL: env.WAREHOUSE_WEBHOOK_URL ?? `${partners}${WEBHOOK_PATHS.warehouse}`,
    DELIVERY_WEBHOOK_URL: env.DELIVERY_WEBHOOK_URL ?? `${partners}${WEBHOOK_PATHS.delivery}`
  }
}

export interface LocalWorkerOptions {
  config: Config
  /** Our API, which the partner simulator calls with autoAdvance. */
  apiUrl?: string
  autoAdvance?: boolean
  /** Start the partner simulator on the webhook URLs' port (default true; tests bring their own). */
  partnerSimulator?: boolean
  /** Structured worker logs; default: one line each on stdout, at config.logLevel. */
  log?: WorkerLog
  /** One line per webhook the partner simulator receives; default: stdout. */
  partnerLog?: (line: string) => void
  /** Read the orders stream from its start when the table was created at or after this moment. */
  freshTablesSince?: Date
  /** Keep the queues and the stream positions here (npm start: .local-data/worker); unset: in memory. */
  dataDir?: string
  /** The stream poller's pause between polls of a quiet stream. */
  pollIntervalMs?: number
  /** Overrides of the worker's runtime (tests: shorter retry schedules, a clock). */
  runtime?: Partial<WorkerRuntime>
  /** The stream mapping's record age limit (default: the template's MaximumRecordAgeInSeconds). */
  maxRecordAgeSeconds?: number
  advanceDelayMs?: number
}

export interface LocalWorker {
  eventBusUrl: string
  partnerUrl: string | undefined
  bus: EventBus
  queues: LocalQueues
  /** The template's buckets (OrdersStreamFailureBucket: the stream mapping's on-failure destination). */
  buckets: LocalBuckets
  poller: StreamPoller
  queuePoller: QueuePoller
  partners: PartnerSimulator | undefined
  /** The worker's handler as the pollers call it (tests redeliver through it). */
  invoke: (event: unknown) => Promise<WorkerResponse>
  /** Resolves when the stream has been read to its end and the worker's queues are empty (tests). */
  settled: () => Promise<void>
  stop: () => Promise<void>
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const

/** Readable one-line logs for a terminal: `[worker] message key=value ...`. */
export function consoleWorkerLog (level: Config['logLevel'], prefix = '[worker]'): WorkerLog {
  const min = level === 'silent' ? Infinity : LEVELS.indexOf(level)
  const at = (name: typeof LEVELS[number]) => (message: string, extra: Record<string, unknown> = {}) => {
    if (LEVELS.indexOf(name) < min) return
    const fields = Object.entries(extra).filter(([k]) => k !== 'detail').map(([k, v]) =>
      `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    const line = [prefix, name === 'info' ? '' : `${name.toUpperCase()}:`, message, ...fields].filter(Boolean).join(' ')
    if (name === 'error' || name === 'warn') console.error(line)
    else console.log(line)
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

/** The deployed function's timeout (infra/template.yaml WorkerFunction.Timeout). */
export const LOCAL_INVOCATION_TIMEOUT_MS = 120_000

function localContext (): Context {
  const deadline = Date.now() + LOCAL_INVOCATION_TIMEOUT_MS
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'serverless-commerce-local-worker',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:serverless-commerce-local-worker',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/serverless-commerce-local-worker',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {}
  }
}

const portOf = (url: string): number => {
  const u = new URL(url)
  return u.port !== '' ? Number(u.port) : (u.protocol === 'https:' ? 443 : 80)
}

/** The local stream mapping's id, in the object keys of its on-failure destination (Lambda: the mapping's UUID). */
export const LOCAL_STREAM_MAPPING_ID = '00000000-0000-4000-8000-000000000001'

/** The stream mapping's record age limit and on-failure bucket, as the template declares them. */
function streamMapping (): { maxRecordAgeSeconds?: number; onFailureBucket?: string } {
  const { Resources } = loadTemplate()
  const events = (Resources.WorkerFunction?.Properties?.Events ?? {}) as Record<string, {
    Type: string
    Properties?: Record<string, any>
  }>
  const stream = Object.values(events).find((e) => e.Type === 'DynamoDB')?.Properties
  const age = Number(stream?.MaximumRecordAgeInSeconds)
  const onFailure = stream?.DestinationConfig?.OnFailure
  const destination = onFailure?.Destination?.['Fn::GetAtt']?.[0] as string | undefined
  if (destination !== undefined && (onFailure.Type !== 'S3' || Resources[destination]?.Type !== 'AWS::S3::Bucket')) {
    throw new Error(`the local stack stands in for an S3 on-failure destination only (the template has ${destination})`)
  }
  return {
    ...(Number.isFinite(age) && age > 0 ? { maxRecordAgeSeconds: age } : {}),
    ...(destination !== undefined ? { onFailureBucket: destination } : {})
  }
}

export async function startLocalWorker (opts: LocalWorkerOptions): Promise<LocalWorker> {
  const { config } = opts
  const log = opts.log ?? consoleWorkerLog(config.logLevel)
  const endpoint = config.endpoints.eventbridge
  if (endpoint === undefined || config.endpoints.sqs !== endpoint) {
    throw new Error(
      'EVENTBRIDGE_ENDPOINT and SQS_ENDPOINT are not set: set the variables of localWorkerEnv() before loadConfig'
    )
  }
  const endpointUrl = new URL(endpoint)
  const handler = createHandler(createWorkerRuntime(config, { log, ...opts.runtime }))
  // One handler for every trigger, as in Lambda: dispatch.ts tells a stream batch from an SQS batch.
  // A Lambda-like context per invocation (the time left bounds the worker's own pauses).
  const invoke = async (event: unknown): Promise<WorkerResponse> => await handler(event as WorkerEvent, localContext())

  const stops: Array<() => Promise<void>> = []
  const stopAll = async (): Promise<void> => {
    // Stream first (no new events), then the queue poller (finishes its batch), the endpoint, the partners.
    for (const stop of stops.reverse()) {
      await stop().catch(
        (err: unknown) => { log.warn('stopping a local worker part failed', { reason: (err as Error).message }) }
      )
    }
  }
  try {
    let partners: PartnerSimulator | undefined
    if (opts.partnerSimulator !== false) {
      const webhookUrl = config.webhookUrls.warehouse
      if (webhookUrl === undefined) {
        throw new Error('WAREHOUSE_WEBHOOK_URL is not set: set the variables of localWorkerEnv() before loadConfig')
      }
      partners = await startPartnerSimulator({
        config,
        apiUrl: opts.apiUrl,
        autoAdvance: opts.autoAdvance,
        advanceDelayMs: opts.advanceDelayMs,
        host: new URL(webhookUrl).hostname,
        port: portOf(webhookUrl),
        log: opts.partnerLog ?? ((line) => { console.log(`[partners] ${line}`) })
      })
      stops.push(partners.stop)
    }
    const messaging = await startLocalMessaging({
      busName: config.eventBusName,
      region: config.region,
      log,
      host: endpointUrl.hostname,
      port: portOf(endpoint),
      dir: opts.dataDir === undefined ? undefined : join(opts.dataDir, 'queues'),
      bucketsDir: opts.dataDir === undefined ? undefined : join(opts.dataDir, 'buckets')
    })
    stops.push(messaging.stop)
    const { queues, bus, buckets } = messaging
    log.info(
      'local event bus and queues started',
      { url: messaging.url, busName: config.eventBusName, queues: queues.list.map((q) => q.def.name) }
    )
    const queuePoller = startQueuePoller({
      queues,
      handler: async (event) => await invoke(event) as SQSBatchResponse | undefined,
      log,
      region: config.region
    })
    stops.push(queuePoller.stop)
    const mapping = streamMapping()
    const poller = await startStreamPoller({
      config,
      handler: async (event) => await invoke(event) as DynamoDBBatchResponse | undefined,
      log,
      trimHorizonIfCreatedAfter: opts.freshTablesSince,
      positionsFile: opts.dataDir === undefined ? undefined : join(opts.dataDir, 'stream-positions.json'),
      intervalMs: opts.pollIntervalMs,
      maxRecordAgeSeconds: opts.maxRecordAgeSeconds ?? mapping.maxRecordAgeSeconds,
      onFailure: mapping.onFailureBucket === undefined
        ? undefined
        : (failure) => {
            const key = streamFailureKey(LOCAL_STREAM_MAPPING_ID, failure.DDBStreamBatchInfo.shardId)
            buckets.byLogicalId(mapping.onFailureBucket as string).put(key, JSON.stringify(failure))
          }
    })
    stops.push(poller.stop)
    let stopped: Promise<void> | undefined
    return {
      eventBusUrl: messaging.url,
      partnerUrl: partners?.url,
      bus,
      queues,
      buckets,
      poller,
      queuePoller,
      partners,
      invoke,
      settled: async () => {
        await poller.drained()
        await queuePoller.idle()
      },
      stop: async () => { stopped ??= stopAll(); await stopped }
    }
  } catch (err) {
    await stopAll()
    throw err
  }
}
