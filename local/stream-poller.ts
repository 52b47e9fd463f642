// The local stand-in for Lambda's DynamoDB event source mapping: reads the orders table's stream
// from DynamoDB Local and calls the worker's handler with Lambda-shaped DynamoDBStreamEvents.
// Like the mapping, it honours batchItemFailures: the batch is retried from the first failed record
// (with backoff), so a record is never skipped while the bus is down; after the last retry the
// records are logged as dead letters (the deployed mapping sends them to its queue).
//
// Shards: DynamoDB closes a shard now and then and opens a child; a closed shard (no next
// iterator) is finished, and a child is read only once its parent is, so records stay in order.
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
  DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand,
  type _Record as StreamRecord, type Shard, type ShardIteratorType
} from '@aws-sdk/client-dynamodb-streams'
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda'
import type { Config } from '../core/config.js'
import { clientOptions } from '../core/aws.js'
import type { WorkerLog } from '../workers/runtime.js'

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined | void>

export interface StreamPollerOptions {
  config: Config
  /** The table whose stream is read (default: config.tables.orders). */
  table?: string
  handler: StreamHandler
  log: WorkerLog
  /** LATEST (default) skips what was written before start; TRIM_HORIZON reads the whole stream. */
  startingPosition?: 'LATEST' | 'TRIM_HORIZON'
  /** Read from TRIM_HORIZON anyway when the table was created at or after this moment (a fresh table). */
  trimHorizonIfCreatedAfter?: Date
  /** Pause between polls of a quiet stream. */
  intervalMs?: number
  /** Records per handler call (the template's BatchSize). */
  batchSize?: number
  /** Pauses before each retry of a failed batch; their count is the number of retries. */
  retryDelaysMs?: number[]
}

export interface StreamPoller {
  streamArn: string
  /** Resolves when every record written so far has been handed to the handler (tests). */
  drained: () => Promise<void>
  stop: () => Promise<void>
}

interface ShardState { id: string; parentId?: string; iterator?: string; lastSequence?: string; finished: boolean }

/** About 2 minutes of retries: the bus or a partner may be down that long without losing a record. */
export const DEFAULT_STREAM_RETRY_DELAYS_MS = [250, 500, 1000, 2000, 5000, 10000, 30000, 60000]
const DISCOVER_EVERY_MS = 5000

/** DynamoDB Streams' record as Lambda delivers it: epoch seconds, the stream's ARN. */
export function toLambdaRecord (record: StreamRecord, streamArn: string): DynamoDBRecord {
  const data = record.dynamodb ?? {}
  const created = data.ApproximateCreationDateTime
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion,
    eventSource: record.eventSource ?? 'aws:dynamodb',
    awsRegion: record.awsRegion,
    dynamodb: {
      // DynamoDB Local's records already carry AttributeValue maps, the shape Lambda gives.
      ...(data as NonNullable<DynamoDBRecord['dynamodb']>),
      ApproximateCreationDateTime: created instanceof Date ? Math.floor(created.getTime() / 1000) : (created as number | undefined)
    },
    eventSourceARN: streamArn
  }
}

export async function startStreamPoller (opts: StreamPollerOptions): Promise<StreamPoller> {
  const { config, handler, log } = opts
  const table = opts.table ?? config.tables.orders
  const intervalMs = opts.intervalMs ?? 250
  const batchSize = opts.batchSize ?? 10
  const retryDelays = opts.retryDelaysMs ?? DEFAULT_STREAM_RETRY_DELAYS_MS
  const options = clientOptions(config, config.endpoints.dynamodb)
  const ddb = new DynamoDBClient(options)
  const streams = new DynamoDBStreamsClient(options)

  const described = await ddb.send(new DescribeTableCommand({ TableName: table })).finally(() => ddb.destroy())
  const streamArn = described.Table?.LatestStreamArn
  if (streamArn === undefined || described.Table?.StreamSpecification?.StreamEnabled !== true) {
    streams.destroy()
    throw new Error(`table ${table} has no stream: its template definition must set StreamSpecification`)
  }
  const created = described.Table?.CreationDateTime
  const fresh = opts.trimHorizonIfCreatedAfter !== undefined && created !== undefined && created >= opts.trimHorizonIfCreatedAfter
  const initialPosition: ShardIteratorType = fresh ? 'TRIM_HORIZON' : (opts.startingPosition ?? 'LATEST')

  const shards = new Map<string, ShardState>()
  let stopped = false
  let wake: (() => void) | undefined
  let lastDiscovery = 0
  // Callers of drained(), each with the first pass that started after its call.
  let idleWaiters: Array<{ after: number; resolve: () => void }> = []
  let pass = 0

  /** A pause that stop() cuts short. */
  const pause = async (ms: number): Promise<void> => {
    if (stopped) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { wake = undefined; resolve() }, ms)
      wake = () => { clearTimeout(timer); wake = undefined; resolve() }
    })
  }

  async function listShards (): Promise<Shard[]> {
    const all: Shard[] = []
    let from: string | undefined
    do {
      const res = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: from }))
      all.push(...(res.StreamDescription?.Shards ?? []))
      from = res.StreamDescription?.LastEvaluatedShardId
    } while (from !== undefined)
    return all
  }

  async function iteratorFor (shard: ShardState, type: ShardIteratorType): Promise<string | undefined> {
    const res = await streams.send(new GetShardIteratorCommand({
      StreamArn: streamArn,
      ShardId: shard.id,
      ShardIteratorType: type,
      ...(type === 'AFTER_SEQUENCE_NUMBER' ? { SequenceNumber: shard.lastSequence } : {})
    }))
    return res.ShardIterator
  }

  /** Finds new shards. At start, open shards begin at the starting position and closed ones are skipped
   * (unless reading from TRIM_HORIZON); a shard that appears later is a child, read from its start. */
  async function discover (initial: boolean): Promise<void> {
    lastDiscovery = Date.now()
    for (const shard of await listShards()) {
      const id = shard.ShardId
      if (id === undefined || shards.has(id)) continue
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined
      const state: ShardState = { id, parentId: shard.ParentShardId, finished: false }
      shards.set(id, state)
      if (initial && closed && initialPosition === 'LATEST') {
        state.finished = true
        continue
      }
      state.iterator = await iteratorFor(state, initial ? initialPosition : 'TRIM_HORIZON')
      if (state.iterator === undefined) state.finished = true
    }
  }

  /** Hands records to the handler; on batchItemFailures retries from the first failed record. */
  async function deliver (shard: ShardState, records: DynamoDBRecord[]): Promise<void> {
    let batch = records
    for (let retry = 0; batch.length > 0; retry++) {
      let failedFrom = -1
      try {
        const res = await handler({ Records: batch })
        const failed = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier))
        failedFrom = batch.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''))
      } catch (err) {
        // A thrown handler fails the whole batch, as in Lambda.
        log.warn('stream batch failed', { error: (err as Error).name, reason: (err as Error).message })
        failedFrom = 0
      }
      if (failedFrom < 0) return
      batch = batch.slice(failedFrom)
      if (retry >= retryDelays.length || stopped) {
        for (const r of batch) {
          log.error('stream record given up on (dead letter)', { shardId: shard.id, sequenceNumber: r.dynamodb?.SequenceNumber, orderId: r.dynamodb?.Keys?.id?.S, eventName: r.eventName, retries: retry })
        }
        return
      }
      log.warn('stream batch retried from its first failed record', { sequenceNumber: batch[0].dynamodb?.SequenceNumber, records: batch.length, retry: retry + 1, inMs: retryDelays[retry] })
      await pause(retryDelays[retry])
    }
  }

  /** One pass over the readable shards; whether any records came. */
  async function pollOnce (): Promise<boolean> {
    if (Date.now() - lastDiscovery >= DISCOVER_EVERY_MS) await discover(false)
    let any = false
    for (const shard of shards.values()) {
      if (stopped) break
      if (shard.finished || shard.iterator === undefined) continue
      const parent = shard.parentId === undefined ? undefined : shards.get(shard.parentId)
      if (parent !== undefined && !parent.finished) continue
      let res
      try {
        res = await streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: batchSize }))
      } catch (err) {
        const name = (err as Error).name
        if (name !== 'ExpiredIteratorException' && name !== 'TrimmedDataAccessException') throw err
        // An iterator lives 15 minutes; pick up after the last record handed over.
        shard.iterator = await iteratorFor(shard, shard.lastSequence !== undefined && name === 'ExpiredIteratorException' ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON')
        continue
      }
      const records = (res.Records ?? []).map((r) => toLambdaRecord(r, streamArn as string))
      if (records.length > 0) {
        any = true
        await deliver(shard, records)
        shard.lastSequence = records[records.length - 1].dynamodb?.SequenceNumber
      }
      shard.iterator = res.NextShardIterator
      if (shard.iterator === undefined) {
        // Closed and read to the end: its children (found by the next discovery) take over.
        shard.finished = true
        lastDiscovery = 0
      }
    }
    return any
  }

  await discover(true)
  log.info('stream poller started', { table, streamArn, startingPosition: initialPosition })

  const loop = (async () => {
    let failures = 0
    while (!stopped) {
      let busy = false
      pass++
      try {
        busy = await pollOnce()
        failures = 0
      } catch (err) {
        failures++
        if (!stopped) log.warn('reading the orders stream failed, retrying', { error: (err as Error).name, reason: (err as Error).message, failures })
      }
      if (!busy) {
        const ready = idleWaiters.filter((w) => w.after <= pass)
        idleWaiters = idleWaiters.filter((w) => w.after > pass)
        for (const w of ready) w.resolve()
      }
      // Straight on while records flow; a short pause on a quiet stream; longer after errors.
      if (!busy) await pause(failures > 0 ? Math.min(intervalMs * 2 ** failures, 5000) : intervalMs)
    }
  })()

  return {
    streamArn,
    drained: async () => new Promise<void>((resolve) => {
      if (stopped) resolve()
      else idleWaiters.push({ after: pass + 1, resolve })
    }),
    stop: async () => {
      if (stopped) return
      stopped = true
      wake?.()
      await loop
      for (const w of idleWaiters) w.resolve()
      streams.destroy()
    }
  }
}
