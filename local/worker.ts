// The worker on this machine, running the deployed handler's code (workers/dispatch.ts) between a
// stream poller (standing in for Lambda's event source mapping), a local bus (standing in for
// EventBridge and the template's rules) and, optionally, the partner simulator.
//
// Order of start-up: `localWorkerEnv()` picks the ports and gives the variables to set BEFORE
// loadConfig (the worker's EventBridge client and webhook URLs come from the config), then
// `startLocalWorker({ config, ... })` starts the pieces on those addresses.
import { randomUUID } from 'node:crypto'
import type { Context, DynamoDBBatchResponse } from 'aws-lambda'
import type { Config } from '../core/config.js'
import { createWorkerRuntime, type WorkerLog } from '../workers/runtime.js'
import { createHandler, type WorkerEvent } from '../workers/dispatch.js'
import { reservePort } from './emulators/process.js'
import { startEventBus, type EventBus } from './event-bus.js'
import { startPartnerSimulator, type PartnerSimulator } from './partner-simulator.js'
import { startStreamPoller, type StreamPoller } from './stream-poller.js'

export const LOCAL_WORKER_PORTS = { eventBus: 8010, partner: 8011 } as const
export const WEBHOOK_PATHS = { warehouse: '/warehouse/webhooks', delivery: '/delivery/webhooks' } as const

type Env = Record<string, string | undefined>

function portFrom (env: Env, name: string, fallback: number): number {
  const raw = env[name]
  const n = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number from 1 to 65535 (got "${raw}")`)
  return n
}

/**
 * The ports of the local bus and the partner simulator (EVENTBUS_PORT / PARTNER_PORT, 0 for a free
 * one; defaults 8010 / 8011), checked free, and the variables pointing the worker at them. A
 * WAREHOUSE_WEBHOOK_URL or DELIVERY_WEBHOOK_URL already set wins (a real partner's test endpoint).
 */
export async function localWorkerEnv (env: Env = process.env, host = '127.0.0.1'): Promise<Record<string, string>> {
  const busPort = await reservePort('the local event bus', portFrom(env, 'EVENTBUS_PORT', LOCAL_WORKER_PORTS.eventBus), host, 'choose another with EVENTBUS_PORT=<n>')
  const vars: Record<string, string> = { EVENTBRIDGE_ENDPOINT: `http://${host}:${busPort}` }
  if (env.WAREHOUSE_WEBHOOK_URL !== undefined && env.DELIVERY_WEBHOOK_URL !== undefined) {
    return { ...vars, WAREHOUSE_WEBHOOK_URL: env.WAREHOUSE_WEBHOOK_URL, DELIVERY_WEBHOOK_URL: env.DELIVERY_WEBHOOK_URL }
  }
  const partnerPort = await reservePort('the partner simulator', portFrom(env, 'PARTNER_PORT', LOCAL_WORKER_PORTS.partner), host, 'choose another with PARTNER_PORT=<n>')
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
  busRetryDelaysMs?: number[]
  streamRetryDelaysMs?: number[]
  advanceDelayMs?: number
}

export interface LocalWorker {
  eventBusUrl: string
  partnerUrl: string | undefined
  bus: EventBus
  poller: StreamPoller
  partners: PartnerSimulator | undefined
  /** The worker's handler as the poller and the bus call it (tests redeliver through it). */
  invoke: (event: unknown) => Promise<DynamoDBBatchResponse | undefined>
  /** Resolves when the stream has been read to its end and every event delivered (tests). */
  settled: () => Promise<void>
  stop: () => Promise<void>
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const

/** Readable one-line logs for a terminal: `[worker] message key=value ...`. */
export function consoleWorkerLog (level: Config['logLevel'], prefix = '[worker]'): WorkerLog {
  const min = level === 'silent' ? Infinity : LEVELS.indexOf(level)
  const at = (name: typeof LEVELS[number]) => (message: string, extra: Record<string, unknown> = {}) => {
    if (LEVELS.indexOf(name) < min) return
    const fields = Object.entries(extra).filter(([k]) => k !== 'detail').map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
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

export async function startLocalWorker (opts: LocalWorkerOptions): Promise<LocalWorker> {
  const { config } = opts
  const log = opts.log ?? consoleWorkerLog(config.logLevel)
  const busEndpoint = config.endpoints.eventbridge
  if (busEndpoint === undefined) throw new Error('EVENTBRIDGE_ENDPOINT is not set: set the variables of localWorkerEnv() before loadConfig')
  const busUrl = new URL(busEndpoint)
  const handler = createHandler(createWorkerRuntime(config, { log }))
  // One handler for both triggers, as in Lambda: dispatch.ts tells a stream batch from an event.
  // A Lambda-like context per invocation: Powertools idempotency reads the time left from it (an
  // effect left "in progress" by a crashed run then expires with the invocation, as deployed).
  const invoke = async (event: unknown): Promise<DynamoDBBatchResponse | undefined> => handler(event as WorkerEvent, localContext())

  const stops: Array<() => Promise<void>> = []
  const stopAll = async (): Promise<void> => {
    // Stream first (no new events), then the bus (finishes its deliveries), then the partners.
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => { log.warn('stopping a local worker part failed', { reason: (err as Error).message }) })
  }
  try {
    let partners: PartnerSimulator | undefined
    if (opts.partnerSimulator !== false) {
      const webhookUrl = config.webhookUrls.warehouse
      if (webhookUrl === undefined) throw new Error('WAREHOUSE_WEBHOOK_URL is not set: set the variables of localWorkerEnv() before loadConfig')
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
    const bus = await startEventBus({
      target: invoke,
      busName: config.eventBusName,
      host: busUrl.hostname,
      port: portOf(busEndpoint),
      region: config.region,
      log,
      retryDelaysMs: opts.busRetryDelaysMs
    })
    stops.push(bus.stop)
    const poller = await startStreamPoller({
      config,
      handler: invoke,
      log,
      trimHorizonIfCreatedAfter: opts.freshTablesSince,
      retryDelaysMs: opts.streamRetryDelaysMs
    })
    stops.push(poller.stop)
    let stopped: Promise<void> | undefined
    return {
      eventBusUrl: bus.url,
      partnerUrl: partners?.url,
      bus,
      poller,
      partners,
      invoke,
      settled: async () => {
        await poller.drained()
        await bus.idle()
      },
      stop: async () => { stopped ??= stopAll(); await stopped }
    }
  } catch (err) {
    await stopAll()
    throw err
  }
}
