// What the worker's code runs with: config, SDK clients, the secret store, a logger, metrics, fetch
// and a clock. handler.ts builds one per Lambda container, at module scope (clients are reused
// across invocations); tests and the local stack build their own with overrides. What only some
// paths need (SES and the effects ledger for order events, SQS for parking and retry pauses,
// DynamoDB Streams for redriven pointers) is made on first use by workers/clients.ts: a stream
// batch that publishes needs none of it.
import { EventBridgeClient } from '@aws-sdk/client-eventbridge'
import type { SESClient } from '../core/ses.js'
import type { SQSClient } from '@aws-sdk/client-sqs'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams'
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { Logger } from '@aws-lambda-powertools/logger'
import type { Config } from '../core/config.js'
import { clientOptions, once } from '../core/aws-options.js'
import { createSecretStore, type SecretEvent, type SecretStore } from '../core/secret-store.js'
import { createMetrics, serviceName, type MetricsSink } from '../core/metrics.js'
import type { Tracing } from '../core/tracing.js'
import type { EffectLedger } from './effect-ledger.js'
import type { MailSuppressions } from './mail-suppressions.js'
import { EFFECT_RETRY_DELAYS_S, REPLAY_RETRY_DELAYS_S } from './delivery-policy.js'

export interface WorkerLog {
  debug: (message: string, extra?: Record<string, unknown>) => void
  info: (message: string, extra?: Record<string, unknown>) => void
  warn: (message: string, extra?: Record<string, unknown>) => void
  error: (message: string, extra?: Record<string, unknown>) => void
}

export interface WorkerRuntime {
  config: Config
  log: WorkerLog
  /** The worker's metrics (core/metrics.ts), flushed once per invocation (dispatch.ts). */
  metrics: MetricsSink
  /** X-Ray tracing (handler.ts loads it when TRACING=Active): every client made for this runtime is traced. */
  tracing?: Tracing
  eventbridge: EventBridgeClient
  /** Unset: made on first use by workers/clients.ts. */
  ses?: SESClient
  sqs?: SQSClient
  streams?: DynamoDBStreamsClient
  /** The effects ledger (unset: a DynamoDB one on config.tables.idempotency, over `dynamodb`). */
  ledger?: EffectLedger
  dynamodb?: DynamoDBClient
  /**
   * Addresses sent no more order mail (mail-suppressions.ts). Unset: the DynamoDB list on
   * config.tables.suppressions, made on first use (clients.ts).
   */
  suppressions?: MailSuppressions
  secrets: SecretStore
  fetch: typeof fetch
  sleep: (ms: number) => Promise<void>
  now: () => number
  /** Pauses between webhook attempts within one delivery (429 and 5xx); their count + 1 is the number of attempts. */
  webhookRetryDelaysMs: number[]
  /** The longest a partner's Retry-After may stretch one of those pauses. */
  webhookMaxPauseMs: number
  /** Retry schedules of the two queues the worker reads (workers/delivery-policy.ts; tests shorten them). */
  effectRetryDelaysS: readonly number[]
  replayRetryDelaysS: readonly number[]
  /**
   * Stream records already published by this container, by sequence number: a batch retried from
   * an earlier failed record does not publish them again (bounded; another container may).
   */
  published: Map<string, string>
}

const POWERTOOLS_LEVELS = {
  fatal: 'CRITICAL',
  error: 'ERROR',
  warn: 'WARN',
  info: 'INFO',
  debug: 'DEBUG',
  trace: 'TRACE',
  silent: 'SILENT'
} as const

/** JSON logs (CloudWatch parses them) through Powertools' logger. */
function powertoolsLog (config: Config): WorkerLog {
  const logger = new Logger({ serviceName: 'serverless-commerce-worker', logLevel: POWERTOOLS_LEVELS[config.logLevel] })
  return {
    debug: (message, extra = {}) => { logger.debug(message, extra) },
    info: (message, extra = {}) => { logger.info(message, extra) },
    warn: (message, extra = {}) => { logger.warn(message, extra) },
    error: (message, extra = {}) => { logger.error(message, extra) }
  }
}

/** The webhook keys' stale answers, revocations and refusals: logged and counted. */
function secretEvents (log: WorkerLog, metrics: MetricsSink): (event: SecretEvent) => void {
  return (event) => {
    if (event.type === 'stale') log.warn('secret refresh failed: serving the last value', { ...event })
    else log.error(`secret ${event.type}`, { ...event })
    metrics.add('WebhookKeyRefreshFailures', { Outcome: event.type })
  }
}

/** The client, its calls traced when the runtime traces (core/tracing.ts). */
export const traced = <T>(runtime: Pick<WorkerRuntime, 'tracing'>, client: T): T =>
  runtime.tracing?.captureClient(client) ?? client

export function createWorkerRuntime (config: Config, overrides: Partial<WorkerRuntime> = {}): WorkerRuntime {
  const rest = overrides
  const getSecretsClient = once(async (): Promise<SecretsManagerClient> => {
    // Only deployed stages read Secrets Manager (local keys are values): off the cold start.
    const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager')
    return traced(rest, new SecretsManagerClient(clientOptions(config, config.endpoints.secretsManager)))
  })
  const log = rest.log ?? powertoolsLog(config)
  // LOG_LEVEL=silent prints nothing, metric lines included.
  const metrics = rest.metrics ?? createMetrics({
    service: serviceName(config.functionName, 'worker'),
    enabled: config.metrics && config.logLevel !== 'silent'
  })
  return {
    ...rest,
    config,
    log,
    metrics,
    eventbridge: rest.eventbridge ?? traced(
      rest,
      new EventBridgeClient(clientOptions(config, config.endpoints.eventbridge))
    ),
    secrets: rest.secrets ?? createSecretStore(
      getSecretsClient,
      config.secretsTtlSeconds,
      { maxStaleSeconds: config.secretsMaxStaleSeconds, onEvent: secretEvents(log, metrics) }
    ),
    fetch: rest.fetch ?? globalThis.fetch,
    sleep: rest.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    now: rest.now ?? Date.now,
    webhookRetryDelaysMs: rest.webhookRetryDelaysMs ?? [250, 1000],
    webhookMaxPauseMs: rest.webhookMaxPauseMs ?? 5000,
    effectRetryDelaysS: rest.effectRetryDelaysS ?? EFFECT_RETRY_DELAYS_S,
    replayRetryDelaysS: rest.replayRetryDelaysS ?? REPLAY_RETRY_DELAYS_S,
    published: rest.published ?? new Map()
  }
}
