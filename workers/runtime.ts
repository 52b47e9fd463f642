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
import { createSecretStore, type SecretEvent, type SecretStore } from '../core/secret-store.js'
import { countSecretEvent } from '../core/secret-metrics.js'

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
  fetch: typeof fetch
  sleep: (ms: number) => Promise<void>
  /** Pauses between webhook attempts (429 and 5xx); their count + 1 is the number of attempts. */
  webhookRetryDelaysMs: number[]
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

/** The webhook keys' stale answers, revocations and refusals: logged and counted. */
function secretEvents (log: WorkerLog): (event: SecretEvent) => void {
  return (event) => {
    if (event.type === 'stale') log.warn('secret refresh failed: serving the last value', { ...event })
    else log.error(`secret ${event.type}`, { ...event })
    countSecretEvent(event, 'serverless-commerce-worker').catch(() => {})
  }
}

export function createWorkerRuntime (config: Config, overrides: Partial<WorkerRuntime> = {}): WorkerRuntime {
  const rest = overrides
  const log = rest.log ?? powertoolsLog(config)
  const getSecretsClient = once(async (): Promise<SecretsManagerClient> => {
    // Only deployed stages read Secrets Manager (local keys are values): off the cold start.
    const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager')
    return new SecretsManagerClient(clientOptions(config, config.endpoints.secretsManager))
  })
  return {
    config,
    log,
    eventbridge: rest.eventbridge ?? new EventBridgeClient(clientOptions(config, config.endpoints.eventbridge)),
    ...(rest.ses !== undefined ? { ses: rest.ses } : {}),
    secrets: rest.secrets ?? createSecretStore(getSecretsClient, config.secretsTtlSeconds, { maxStaleSeconds: config.secretsMaxStaleSeconds, onEvent: secretEvents(log) }),
    ...(rest.persistence !== undefined ? { persistence: rest.persistence } : {}),
    ...(rest.idempotency !== undefined ? { idempotency: rest.idempotency } : {}),
    ...(rest.dynamodb !== undefined ? { dynamodb: rest.dynamodb } : {}),
    fetch: rest.fetch ?? globalThis.fetch,
    sleep: rest.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    webhookRetryDelaysMs: rest.webhookRetryDelaysMs ?? [250, 1000]
  }
}
