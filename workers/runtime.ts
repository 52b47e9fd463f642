// What the worker's code runs with: config, SDK clients, the secret store, the idempotency store,
// a logger, fetch and a clock. handler.ts builds one per Lambda container, at module scope (clients
// are reused across invocations); tests and the local stack build their own with overrides.
import { EventBridgeClient } from '@aws-sdk/client-eventbridge'
import { SESv2Client } from '@aws-sdk/client-sesv2'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency'
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb'
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence'
import { Logger } from '@aws-lambda-powertools/logger'
import type { Config } from '../app/config.js'
import { clientOptions, once } from '../app/aws.js'
import { createSecretStore, type SecretStore } from '../app/secret-store.js'

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
  ses: SESv2Client
  secrets: SecretStore
  /** Where each effect records that it was done (Powertools idempotency, config.tables.idempotency). */
  persistence: BasePersistenceLayer
  idempotency: IdempotencyConfig
  fetch: typeof fetch
  sleep: (ms: number) => Promise<void>
  /** Pauses between webhook attempts (429 and 5xx); their count + 1 is the number of attempts. */
  webhookRetryDelaysMs: number[]
}

/**
 * How long an effect's "done" record is kept. It must outlive every redelivery: stream records are
 * retried for up to 24 h (MaximumRecordAgeInSeconds) and events for 1 h; an order never returns to
 * a status, so a long window costs nothing.
 */
export const EFFECT_RECORD_TTL_SECONDS = 7 * 24 * 3600

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

export function createWorkerRuntime (config: Config, overrides: Partial<WorkerRuntime> & { dynamodb?: DynamoDBClient } = {}): WorkerRuntime {
  const { dynamodb, ...rest } = overrides
  const getSecretsClient = once(async (): Promise<SecretsManagerClient> => {
    // Only deployed stages read Secrets Manager (local keys are values): off the cold start.
    const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager')
    return new SecretsManagerClient(clientOptions(config, config.endpoints.secretsManager))
  })
  return {
    config,
    log: rest.log ?? powertoolsLog(config),
    eventbridge: rest.eventbridge ?? new EventBridgeClient(clientOptions(config, config.endpoints.eventbridge)),
    ses: rest.ses ?? new SESv2Client(clientOptions(config, config.endpoints.ses)),
    secrets: rest.secrets ?? createSecretStore(getSecretsClient, config.secretsTtlSeconds),
    persistence: rest.persistence ?? new DynamoDBPersistenceLayer({
      tableName: config.tables.idempotency,
      keyAttr: 'id',
      expiryAttr: 'expiration',
      awsSdkV3Client: dynamodb ?? new DynamoDBClient(clientOptions(config, config.endpoints.dynamodb))
    }),
    idempotency: rest.idempotency ?? new IdempotencyConfig({ expiresAfterSeconds: EFFECT_RECORD_TTL_SECONDS }),
    fetch: rest.fetch ?? globalThis.fetch,
    sleep: rest.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    webhookRetryDelaysMs: rest.webhookRetryDelaysMs ?? [250, 1000]
  }
}
