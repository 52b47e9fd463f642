// Fixtures for the worker's tests: orders, Lambda-shaped stream records and EventBridge events, an
// in-memory Powertools persistence layer (the same conditional semantics as DynamoDBPersistenceLayer)
// and a runtime built over aws-sdk-client-mock clients.
import type { DynamoDBRecord, EventBridgeEvent } from 'aws-lambda'
import { marshall } from '@aws-sdk/util-dynamodb'
import { EventBridgeClient } from '@aws-sdk/client-eventbridge'
import { SESv2Client } from '@aws-sdk/client-sesv2'
import { IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError, IdempotencyRecordStatus } from '@aws-lambda-powertools/idempotency'
import { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence'
import { loadConfig, type Config } from '../../core/config.js'
import { createWorkerRuntime, type WorkerLog, type WorkerRuntime } from '../../workers/runtime.js'
import { DETAIL_TYPES, EVENT_SOURCE, type OrderEventDetail, type OrderStatus, type PublicOrder } from '../../domain/events.js'

export function order (overrides: Partial<PublicOrder> & Record<string, unknown> = {}): PublicOrder {
  return {
    id: 'ord-1',
    userId: 'user-1',
    userEmail: 'ada@example.com',
    userEmailVerified: true,
    status: 'placed',
    lines: [
      { id: 'item-1', title: 'Phone <b>X</b>', color: 'Midnight & Blue', colorCode: '#123', count: 2, unitPrice: 49999 },
      { id: 'item-2', title: 'Case', count: 1, unitPrice: 1999 }
    ],
    total: 101997,
    currency: 'USD',
    createdAt: '2025-01-02T03:04:05.000Z',
    updatedAt: '2025-01-02T03:04:05.000Z',
    history: [{ status: 'placed', at: '2025-01-02T03:04:05.000Z', by: 'user:user-1' }],
    ...overrides
  }
}

let seq = 1000
const nextSeq = (): string => String(++seq).padStart(21, '0')

export function streamRecord (
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  next: object | undefined,
  previous?: object,
  sequenceNumber = nextSeq()
): DynamoDBRecord {
  const id = ((next ?? previous) as { id?: string } | undefined)?.id as string
  const img = (o: object | undefined): any => o === undefined ? undefined : marshall(o as Record<string, unknown>, { removeUndefinedValues: true })
  return {
    eventID: `e-${sequenceNumber}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      Keys: { id: { S: id } },
      NewImage: img(next),
      OldImage: img(previous),
      SequenceNumber: sequenceNumber,
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES'
    },
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2025-01-01T00:00:00.000'
  }
}

/** The record of an order moving from one status to another (an insert for placed). */
export function statusRecord (o: PublicOrder, from?: OrderStatus): DynamoDBRecord {
  return from === undefined ? streamRecord('INSERT', { ...o }) : streamRecord('MODIFY', { ...o }, { ...o, status: from })
}

export function orderEvent (o: PublicOrder, id = 'evt-1'): EventBridgeEvent<any, OrderEventDetail> {
  return {
    version: '0',
    id,
    'detail-type': DETAIL_TYPES[o.status],
    source: EVENT_SOURCE,
    account: '123456789012',
    time: o.updatedAt,
    region: 'us-east-1',
    resources: [],
    detail: { ...o, sequenceNumber: '000000000000000001001' }
  }
}

/** Powertools persistence in memory: put fails if a live record exists, as DynamoDB's condition does. */
export class MemoryPersistenceLayer extends BasePersistenceLayer {
  readonly records = new Map<string, IdempotencyRecord>()

  protected async _getRecord (key: string): Promise<IdempotencyRecord> {
    const record = this.records.get(key)
    if (record === undefined) throw new IdempotencyItemNotFoundError()
    return record
  }

  protected async _putRecord (record: IdempotencyRecord): Promise<void> {
    const existing = this.records.get(record.idempotencyKey)
    const now = Date.now()
    const free = existing === undefined ||
      (existing.expiryTimestamp !== undefined && existing.expiryTimestamp < now / 1000) ||
      (existing.getStatus() === IdempotencyRecordStatus.INPROGRESS && existing.inProgressExpiryTimestamp !== undefined && existing.inProgressExpiryTimestamp < now)
    if (!free) throw new IdempotencyItemAlreadyExistsError(`exists: ${record.idempotencyKey}`, existing)
    this.records.set(record.idempotencyKey, record)
  }

  protected async _updateRecord (record: IdempotencyRecord): Promise<void> {
    this.records.set(record.idempotencyKey, record)
  }

  protected async _deleteRecord (record: IdempotencyRecord): Promise<void> {
    this.records.delete(record.idempotencyKey)
  }

  /** Keys of the records marked COMPLETED. */
  completed (): string[] {
    return [...this.records.values()].filter((r) => r.getStatus() === IdempotencyRecordStatus.COMPLETED).map((r) => r.idempotencyKey)
  }
}

export interface LogLine { level: string; message: string; extra?: Record<string, unknown> }

export function memoryLog (): WorkerLog & { lines: LogLine[] } {
  const lines: LogLine[] = []
  const at = (level: string) => (message: string, extra?: Record<string, unknown>) => { lines.push({ level, message, extra }) }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

export const TEST_WORKER_ENV: Record<string, string> = {
  STAGE: 'test',
  LOG_LEVEL: 'silent',
  AWS_REGION: 'us-east-1',
  USER_POOL_ID: 'us-east-1_testpool',
  USER_POOL_CLIENT_ID: 'test-client',
  EVENT_BUS_NAME: 'test-bus',
  SES_FROM: 'shop@example.com',
  SES_REPLY_TO: 'help@example.com',
  WAREHOUSE_WEBHOOK_URL: 'http://warehouse.test/hooks',
  DELIVERY_WEBHOOK_URL: 'http://delivery.test/hooks',
  WAREHOUSE_WEBHOOK_SECRET: 'warehouse-secret-0123456789',
  DELIVERY_WEBHOOK_SECRET: 'delivery-secret-0123456789',
  PICKUP_ADDRESS: '1 Dock Road'
}

export function testConfig (env: Record<string, string> = {}): Config {
  return loadConfig({ ...TEST_WORKER_ENV, ...env })
}

export type TestRuntime = WorkerRuntime & { ses: SESv2Client; persistence: MemoryPersistenceLayer; log: ReturnType<typeof memoryLog> }

/** A runtime over fresh (unmocked-by-default) clients, in-memory idempotency, no real pauses. */
export function testRuntime (overrides: Partial<WorkerRuntime> = {}, env: Record<string, string> = {}): TestRuntime {
  const config = testConfig(env)
  const rt = createWorkerRuntime(config, {
    eventbridge: new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
    ses: new SESv2Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 }),
    persistence: new MemoryPersistenceLayer(),
    log: memoryLog(),
    sleep: async () => {},
    ...overrides
  })
  return rt as TestRuntime
}
