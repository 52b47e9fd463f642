// What the worker's code runs with: config, SDK clients, the secret store, a logger, fetch and a
// clock. handler.ts builds one per Lambda container, at module scope (clients are reused across
// invocations); tests and the local stack build their own with overrides. What only the effects
// need (SES, the idempotency store and its DynamoDB client) is made on first use by
// workers/effect-store.ts: a stream batch needs none of it.
import { EventBridgeClient } from '@aws-sdk/client-eventbridge'
import type { SESv2Client } from '@aws-sdk/client-sesv2'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import type { IdempotencyConfig } from '@aws-lambda-powertools/idempotency'
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence'
import { Logger } from '@aws-lambda-powertools/logger'
import type { Config } from '../core/config.js'
import { clientOptions, once } from '../core/aws-options.js'
import { createMetrics, serviceName, type MetricsSink } from '../core/metrics.js'
import type { Tracing } from '../core/tracing.js'
import type { MailSuppressions } from './mail-suppressions.js'
import { createSecretStore, type SecretStore } from '../core/secret-store.js'

export interface WorkerLog {
  debug: (message: string, extra?: Record<string, unknown>) => void
  info: (message: string, extra?: Record<string, unknown>) => void
  warn: (message: string, extra?: Record<string, unknown>) => void
  error: (message: string, extra?: Record<string, unknown>) => void
}

export interface WorkerRuntime {
  config: Config
  log: WorkerLog
  eventbridge: EventBridgeClient
  /** Unset: made on first use by workers/effect-store.ts (only effects send email). */
  ses?: SESv2Client
  secrets: SecretStore
  /**
   * Where each effect records that it was done (Powertools idempotency). Unset: a DynamoDB store on
   * config.tables.idempotency, made on first use (workers/effect-store.ts).
   */
  persistence?: BasePersistenceLayer
  idempotency?: IdempotencyConfig
  /** The DynamoDB client of that default store (unset: made with it). */
  dynamodb?: DynamoDBClient
  /**
   * Addresses sent no more order mail (mail-suppressions.ts). Unset: the DynamoDB list on
   * config.tables.suppressions, made on first use (mail-feedback.ts).
   */
  suppressions?: MailSuppressions
  fetch: typeof fetch
  sleep: (ms: number) => Promise<void>
  /** Pauses between webhook attempts (429 and 5xx); their count + 1 is the number of attempts. */
  webhookRetryDelaysMs: number[]
  /** The worker's metrics (core/metrics.ts), flushed once per invocation (dispatch.ts). */
  metrics: MetricsSink
  /** X-Ray tracing (handler.ts loads it when TRACING=Active): every client made here is traced. */
  tracing?: Tracing
  /** Milliseconds now (webhook latency). */
  now: () => number
}

const POWERTOOLS_LEVELS = { fatal: 'CRITICAL', error: 'ERROR', warn: 'WARN', info: 'INFO', debug: 'DEBUG', trace: 'TRACE', silent: 'SILENT' } as const

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

export function createWorkerRuntime (config: Config, overrides: Partial<WorkerRuntime> = {}): WorkerRuntime {
  const rest = overrides
  const getSecretsClient = once(async (): Promise<SecretsManagerClient> => {
    // Only deployed stages read Secrets Manager (local keys are values): off the cold start.
    const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager')
    return instrument(new SecretsManagerClient(clientOptions(config, config.endpoints.secretsManager)))
  })
  // With tracing on, each client the worker makes records its calls (core/tracing.ts).
  const instrument = <T>(client: T): T => rest.tracing?.captureClient(client) ?? client
  return {
    config,
    log: rest.log ?? powertoolsLog(config),
    eventbridge: rest.eventbridge ?? instrument(new EventBridgeClient(clientOptions(config, config.endpoints.eventbridge))),
    ...(rest.ses !== undefined ? { ses: rest.ses } : {}),
    secrets: rest.secrets ?? createSecretStore(getSecretsClient, config.secretsTtlSeconds),
    ...(rest.persistence !== undefined ? { persistence: rest.persistence } : {}),
    ...(rest.idempotency !== undefined ? { idempotency: rest.idempotency } : {}),
    ...(rest.dynamodb !== undefined ? { dynamodb: rest.dynamodb } : {}),
    ...(rest.suppressions !== undefined ? { suppressions: rest.suppressions } : {}),
    fetch: rest.fetch ?? globalThis.fetch,
    sleep: rest.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    webhookRetryDelaysMs: rest.webhookRetryDelaysMs ?? [250, 1000],
    // LOG_LEVEL=silent prints nothing, metric lines included.
    metrics: rest.metrics ?? createMetrics({ service: serviceName(config.functionName, 'worker'), enabled: config.logLevel !== 'silent' }),
    ...(rest.tracing !== undefined ? { tracing: rest.tracing } : {}),
    now: rest.now ?? (() => performance.now())
  }
}
