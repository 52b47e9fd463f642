// What the worker's effects (webhooks, emails) need beyond the runtime: the SES client and the
// idempotency store (Powertools' DynamoDB persistence layer on config.tables.idempotency), each a
// runtime's own override or made once per runtime on first use. Only effects.ts imports this file,
// and dispatch.ts imports effects.ts on the first EventBridge event, so a container that only turns
// stream records into events never loads SES or Powertools idempotency (bench: worker cold start).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { SESv2Client } from '@aws-sdk/client-sesv2'
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency'
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb'
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence'
import { clientOptions } from '../core/aws-options.js'
import type { WorkerRuntime } from './runtime.js'

/**
 * How long an effect's "done" record is kept. It must outlive every redelivery: stream records are
 * retried for up to 24 h (MaximumRecordAgeInSeconds) and events for 1 h; an order never returns to
 * a status, so a long window costs nothing.
 */
export const EFFECT_RECORD_TTL_SECONDS = 7 * 24 * 3600

export interface EffectStore { ses: SESv2Client; dynamodb: DynamoDBClient; persistence: BasePersistenceLayer; idempotency: IdempotencyConfig }

const stores = new WeakMap<WorkerRuntime, EffectStore>()

/** The client, its calls traced when the runtime traces (core/tracing.ts). */
const traced = <T>(rt: WorkerRuntime, client: T): T => rt.tracing?.captureClient(client) ?? client

/** The effects' clients and store for this runtime (made on the first call, then the same). */
export function effectStore (rt: WorkerRuntime): EffectStore {
  let store = stores.get(rt)
  if (store === undefined) {
    const { config } = rt
    // One DynamoDB client for the idempotency records and the mail suppressions.
    const dynamodb = rt.dynamodb ?? traced(rt, new DynamoDBClient(clientOptions(config, config.endpoints.dynamodb)))
    store = {
      ses: rt.ses ?? traced(rt, new SESv2Client(clientOptions(config, config.endpoints.ses))),
      dynamodb,
      persistence: rt.persistence ?? new DynamoDBPersistenceLayer({
        tableName: config.tables.idempotency,
        keyAttr: 'id',
        expiryAttr: 'expiration',
        awsSdkV3Client: dynamodb
      }),
      idempotency: rt.idempotency ?? new IdempotencyConfig({ expiresAfterSeconds: EFFECT_RECORD_TTL_SECONDS })
    }
    stores.set(rt, store)
  }
  return store
}
