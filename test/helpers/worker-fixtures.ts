// Fixtures for the worker's tests: orders, Lambda-shaped stream records, EventBridge events and SQS
// messages, an in-memory effects ledger (the same conditions as the DynamoDB one) and a runtime
// built over aws-sdk-client-mock clients.
import type { DynamoDBRecord, EventBridgeEvent, SQSRecord } from 'aws-lambda'
import { marshall } from '@aws-sdk/util-dynamodb'
import { EventBridgeClient } from '@aws-sdk/client-eventbridge'
import { SESClient } from '@aws-sdk/client-ses'
import { SQSClient } from '@aws-sdk/client-sqs'
import { randomUUID } from 'node:crypto'
import {
  ledgerRecordId, refusedClaim, type Channel, type Claim, type EffectLedger
} from '../../workers/effect-ledger.js'
import type { MetricsSink } from '../../core/metrics.js'
import { suppressionKey, type MailSuppressions, type Suppression } from '../../workers/mail-suppressions.js'
import { loadConfig, type Config } from '../../core/config.js'
import { createWorkerRuntime, type WorkerLog, type WorkerRuntime } from '../../workers/runtime.js'
import {
  DETAIL_TYPES,
  EVENT_SOURCE,
  type OrderEventDetail,
  type OrderStatus,
  type PublicOrder
} from '../../domain/events.js'

export function order (overrides: Partial<PublicOrder> & Record<string, unknown> = {}): PublicOrder {
  return {
    id: 'ord-1',
    userId: 'user-1',
    userEmail: 'ada@example.com',
    userEmailVerified: true,
    status: 'placed',
    lines: [
      {
        id: 'item-1',
        title: 'Phone <b>X</b>',
        color: 'Midnight & Blue',
        colorCode: '#123',
        count: 2,
        unitPrice: 49999
      },
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
  const img = (o: object | undefined): any => o === undefined
    ? undefined
    : marshall(
      o as Record<string, unknown>,
      { removeUndefinedValues: true }
    )
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
  return from === undefined
    ? streamRecord('INSERT', { ...o })
    : streamRecord(
      'MODIFY',
      { ...o },
      { ...o, status: from }
    )
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

/** The effects ledger in memory, with the DynamoDB ledger's conditions (test/unit/effect-ledger.test.ts runs both). */
export class MemoryLedger implements EffectLedger {
  readonly records = new Map<string, { done?: number; ambiguous?: number; claim?: { token: string; until: number } }>()
  constructor (private readonly now: () => number = Date.now) {}

  async claim (orderId: string, channel: Channel, sequence: number, leaseMs: number, after = 0): Promise<Claim> {
    const id = ledgerRecordId(orderId, channel)
    const r = this.records.get(id) ?? {}
    const at = this.now()
    const refused = refusedClaim({ done: r.done, claimUntil: r.claim?.until }, sequence, after, at)
    if (refused !== undefined) return refused
    const token = randomUUID()
    this.records.set(id, { ...r, claim: { token, until: at + leaseMs } })
    return { outcome: 'claimed', token, ambiguous: r.ambiguous === sequence }
  }

  async complete (orderId: string, channel: Channel, sequence: number, token: string): Promise<void> {
    const id = ledgerRecordId(orderId, channel)
    const r = this.records.get(id) ?? {}
    const newest = r.done === undefined || r.done < sequence
    if (r.claim?.token === token && newest) this.records.set(id, { ...r, done: sequence, claim: undefined })
    else {
      if (newest) this.records.set(id, { ...r, done: sequence })
      await this.release(orderId, channel, token)
    }
  }

  async release (orderId: string, channel: Channel, token: string, ambiguous?: number): Promise<void> {
    const id = ledgerRecordId(orderId, channel)
    const r = this.records.get(id)
    if (r?.claim?.token !== token) return
    this.records.set(id, { ...r, claim: undefined, ...(ambiguous !== undefined ? { ambiguous } : {}) })
  }

  /** `effect#<order>#<channel>` of every channel with an effect done. */
  done (): string[] {
    return [...this.records.entries()].filter(([, r]) => r.done !== undefined).map(([id]) => id)
  }
}

/** The worker's metrics sink, keeping what was recorded (name and dimensions, one entry per add). */
export function memoryMetrics (): MetricsSink & {
  counts: Array<{ name: string; dimensions: Record<string, string>; value: number }>
} {
  const counts: Array<{ name: string; dimensions: Record<string, string>; value: number }> = []
  return {
    counts,
    add: (name, dimensions, value = 1) => {
      counts.push({
        name,
        dimensions: dimensions as Record<string, string>,
        value
      })
    },
    flush: () => {}
  }
}

/** The mail suppression list in memory (workers/mail-suppressions.ts's interface). */
export class MemorySuppressions implements MailSuppressions {
  readonly entries = new Map<string, Suppression>()
  async isSuppressed (address: string): Promise<boolean> { return this.entries.has(suppressionKey(address)) }
  async suppress (address: string, s: Suppression): Promise<void> { this.entries.set(suppressionKey(address), s) }
}

export interface LogLine { level: string; message: string; extra?: Record<string, unknown> }

export function memoryLog (): WorkerLog & { lines: LogLine[] } {
  const lines: LogLine[] = []
  const at = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    lines.push({
      level,
      message,
      extra
    })
  }
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
  EVENTS_DLQ_URL: 'http://sqs.test/000000000000/events-dlq',
  ORDERS_STREAM_DLQ_URL: 'http://sqs.test/000000000000/stream-dlq',
  WAREHOUSE_WEBHOOK_URL: 'http://warehouse.test/hooks',
  DELIVERY_WEBHOOK_URL: 'http://delivery.test/hooks',
  WAREHOUSE_WEBHOOK_SECRET: 'warehouse-secret-0123456789',
  DELIVERY_WEBHOOK_SECRET: 'delivery-secret-0123456789',
  PICKUP_ADDRESS: '1 Dock Road'
}

export function testConfig (env: Record<string, string> = {}): Config {
  return loadConfig({ ...TEST_WORKER_ENV, ...env })
}

export type TestRuntime = WorkerRuntime & {
  ses: SESClient
  sqs: SQSClient
  ledger: MemoryLedger
  suppressions: MemorySuppressions
  log: ReturnType<typeof memoryLog>
  metrics: ReturnType<typeof memoryMetrics>
}

/** A runtime over fresh (unmocked-by-default) clients, an in-memory ledger, no real pauses. */
export function testRuntime (overrides: Partial<WorkerRuntime> = {}, env: Record<string, string> = {}): TestRuntime {
  const config = testConfig(env)
  const credentials = { accessKeyId: 'x', secretAccessKey: 'x' }
  const runtime = createWorkerRuntime(config, {
    eventbridge: new EventBridgeClient({ region: 'us-east-1', credentials }),
    ses: new SESClient({ region: 'us-east-1', credentials, maxAttempts: 1 }),
    sqs: new SQSClient({ region: 'us-east-1', credentials, maxAttempts: 1 }),
    ledger: new MemoryLedger(),
    suppressions: new MemorySuppressions(),
    log: memoryLog(),
    metrics: memoryMetrics(),
    sleep: async () => {},
    ...overrides
  })
  return runtime as TestRuntime
}

/** An SQS message as Lambda delivers it from a queue (the effects queue by default). */
export function sqsMessage (body: unknown, receiveCount = 1, queue = 'order-effects'): SQSRecord {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return {
    messageId: `m-${randomUUID()}`,
    receiptHandle: `rh-${randomUUID()}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '1'
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
    awsRegion: 'us-east-1'
  }
}
