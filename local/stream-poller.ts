// The local stand-in for Lambda's DynamoDB event source mapping: reads the orders table's stream
// from DynamoDB Local and calls the worker's handler with Lambda-shaped DynamoDBStreamEvents,
// keeping the mapping's promises:
// - a batch is retried from its first failed record (batchItemFailures), with no limit on attempts,
//   until its records are older than the mapping's MaximumRecordAgeInSeconds; then, like the
//   mapping with an S3 destination, it hands the invocation record (the batch's records in its
//   payload: workers/stream-failure-record.ts) to the on-failure destination and moves on. (The
//   worker parks records with their content before that: workers/stream-to-events.ts.)
// - its position: with a positions file (npm start keeps it under .local-data), the last record
//   handed over and checkpointed per shard survives a restart, and reading resumes right after it,
//   so a record written before a crash is delivered after it (again, if it was being handled:
//   the worker's effects are idempotent). Without one (`--in-memory`, tests), or when the table's
//   stream changed, it starts as configured.
// - a failure reading the stream (DynamoDB Local restarting, an expired iterator) is retried with
//   a pause, from the saved positions: the poller never gives up on its own.
//
// Shards: DynamoDB closes a shard now and then and opens a child; a closed shard (no next
// iterator) is finished, and a child is read only once its parent is, so records stay in order.
import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
  DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand,
  type Shard, type ShardIteratorType
} from '@aws-sdk/client-dynamodb-streams'
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda'
import type { Config } from '../core/config.js'
import { clientOptions } from '../core/aws.js'
import type { WorkerLog } from '../workers/runtime.js'
import { toLambdaRecord } from '../workers/stream-readback.js'
import { streamFailureRecord, type StreamFailureRecord } from '../workers/stream-failure-record.js'

export { toLambdaRecord } from '../workers/stream-readback.js'

export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined | void>

export interface StreamPollerOptions {
  config: Config
  /** The table whose stream is read (default: config.tables.orders). */
  table?: string
  handler: StreamHandler
  log: WorkerLog
  /** LATEST (default) skips what was written before the first start; TRIM_HORIZON reads the whole stream. */
  startingPosition?: 'LATEST' | 'TRIM_HORIZON'
  /** Read from TRIM_HORIZON anyway when the table was created at or after this moment (a fresh table). */
  trimHorizonIfCreatedAfter?: Date
  /** Where each shard's position is kept across restarts (JSON); unset: nothing is kept. */
  positionsFile?: string
  /** Pause between polls of a quiet stream (default 250 ms). */
  intervalMs?: number
  /** Records per handler call (the template's BatchSize). */
  batchSize?: number
  /** Give a failing batch up once its first record is this old (the template's MaximumRecordAgeInSeconds). */
  maxRecordAgeSeconds?: number
  /** Where a batch given up on goes: the mapping's on-failure destination (the records with their metadata). */
  onFailure?: (failure: StreamFailureRecord) => void
  /** Pause before retrying a failed batch (the mapping retries at once; the worker paces itself). */
  retryPauseMs?: number
}

export interface StreamPoller {
  streamArn: string
  /** Resolves when every record written so far has been handed to the handler (tests). */
  drained: () => Promise<void>
  stop: () => Promise<void>
}

interface ShardState {
  id: string
  parentId?: string
  iterator?: string
  /** The last record handed over and done with (checkpointed). */
  lastSequence?: string
  /** Records created before this (epoch seconds) were before the first start from LATEST: skipped. */
  notBefore?: number
  finished: boolean
}

interface SavedPositions { streamArn: string; shards: Array<Omit<ShardState, 'iterator'>> }

const DISCOVER_EVERY_MS = 5000
export const DEFAULT_POLL_INTERVAL_MS = 250

function readPositions (file: string | undefined, log: WorkerLog): SavedPositions | undefined {
  if (file === undefined || !existsSync(file)) return undefined
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedPositions
    if (typeof saved.streamArn === 'string' && Array.isArray(saved.shards)) return saved
  } catch (err) {
    log.warn(
      'the stream positions file is unreadable; starting as configured',
      { file, reason: (err as Error).message }
    )
  }
  return undefined
}

export async function startStreamPoller (opts: StreamPollerOptions): Promise<StreamPoller> {
  const { config, handler, log } = opts
  const table = opts.table ?? config.tables.orders
  const intervalMs = opts.intervalMs ?? DEFAULT_POLL_INTERVAL_MS
  const batchSize = opts.batchSize ?? 10
  const retryPauseMs = opts.retryPauseMs ?? intervalMs
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
  const fresh = opts.trimHorizonIfCreatedAfter !== undefined && created !== undefined &&
    created >= opts.trimHorizonIfCreatedAfter
  const saved = readPositions(opts.positionsFile, log)
  const resumed = saved !== undefined && saved.streamArn === streamArn
  const initialPosition: ShardIteratorType = fresh ? 'TRIM_HORIZON' : (opts.startingPosition ?? 'LATEST')

  const shards = new Map<string, ShardState>()
  if (resumed) for (const s of saved.shards) shards.set(s.id, { ...s })
  let stopped = false
  let wake: (() => void) | undefined
  let lastDiscovery = 0
  // Callers of drained(), each with the first pass that started after its call.
  let idleWaiters: Array<{ after: number; resolve: () => void }> = []
  let pass = 0

  const savePositions = (): void => {
    const file = opts.positionsFile
    if (file === undefined) return
    const data: SavedPositions = {
      streamArn,
      shards: [...shards.values()].map(({ iterator: _iterator, ...rest }) => rest)
    }
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(`${file}.tmp`, JSON.stringify(data))
    renameSync(`${file}.tmp`, file)
  }

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

  /** Where a shard is read from now: after its checkpoint, else from its start. */
  const resumePosition = (shard: ShardState): ShardIteratorType =>
    shard.lastSequence !== undefined ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON'

  /**
   * Finds shards and gives each an iterator. At the very first start (nothing saved), open shards
   * begin at the starting position (LATEST is kept as "records from now on", which survives a
   * restart) and closed ones are skipped (unless reading from TRIM_HORIZON); a shard that appears
   * later is a child, read from its start; a known shard resumes after its checkpoint.
   */
  async function discover (initial: boolean): Promise<void> {
    lastDiscovery = Date.now()
    let changed = false
    for (const shard of await listShards()) {
      const id = shard.ShardId
      if (id === undefined) continue
      let state = shards.get(id)
      if (state === undefined) {
        changed = true
        state = { id, parentId: shard.ParentShardId, finished: false }
        shards.set(id, state)
        const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined
        if (initial && !resumed && initialPosition === 'LATEST') {
          if (closed) { state.finished = true; continue }
          state.notBefore = Math.floor(Date.now() / 1000)
        }
      }
      if (state.finished || state.iterator !== undefined) continue
      state.iterator = await iteratorFor(state, resumePosition(state))
      if (state.iterator === undefined) state.finished = true
    }
    if (changed) savePositions()
  }

  /** Hands records to the handler; on batchItemFailures retries from the first failed record. */
  async function deliver (shard: ShardState, records: DynamoDBRecord[]): Promise<'done' | 'stopped'> {
    let batch = records
    for (let attempt = 1; batch.length > 0; attempt++) {
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
      if (failedFrom < 0) return 'done'
      batch = batch.slice(failedFrom)
      if (stopped) return 'stopped'
      const first = batch[0] as DynamoDBRecord
      const age = Date.now() / 1000 - (first.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000)
      if (opts.maxRecordAgeSeconds !== undefined && age > opts.maxRecordAgeSeconds) {
        opts.onFailure?.(streamFailureRecord(batch, {
          shardId: shard.id,
          streamArn: streamArn as string,
          condition: 'RecordAgeExceeded',
          approximateInvokeCount: attempt
        }))
        log.error(
          'stream batch given up on: it went to the on-failure destination with its records',
          { shardId: shard.id, from: first.dynamodb?.SequenceNumber, records: batch.length, attempts: attempt }
        )
        return 'done'
      }
      log.debug(
        'stream batch retried from its first failed record',
        { sequenceNumber: first.dynamodb?.SequenceNumber, records: batch.length, attempt }
      )
      await pause(retryPauseMs)
    }
    return 'done'
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
        shard.iterator = await iteratorFor(
          shard,
          name === 'ExpiredIteratorException' ? resumePosition(shard) : 'TRIM_HORIZON'
        )
        continue
      }
      let records = (res.Records ?? []).map((r) => toLambdaRecord(r, streamArn as string))
      if (shard.notBefore !== undefined && records.length > 0) {
        const notBefore = shard.notBefore
        records = records.filter((r) => (r.dynamodb?.ApproximateCreationDateTime ?? notBefore) >= notBefore)
        if (records.length > 0) delete shard.notBefore
      }
      if (records.length > 0) {
        any = true
        if (await deliver(shard, records) === 'stopped') break
        // Checkpointed only once the batch is done with: a crash before this delivers it again.
        shard.lastSequence = records[records.length - 1]?.dynamodb?.SequenceNumber
        savePositions()
      }
      shard.iterator = res.NextShardIterator
      if (shard.iterator === undefined) {
        // Closed and read to the end: its children (found by the next discovery) take over.
        shard.finished = true
        savePositions()
        lastDiscovery = 0
      }
    }
    return any
  }

  await discover(true)
  log.info(
    'stream poller started',
    { table, streamArn, startingPosition: resumed ? 'after the saved positions' : initialPosition }
  )

  const loop = (async () => {
    let failures = 0
    // stopped is set by stop(), between the awaits of this loop.
    // eslint-disable-next-line no-unmodified-loop-condition
    while (!stopped) {
      let busy = false
      pass++
      try {
        busy = await pollOnce()
        failures = 0
      } catch (err) {
        failures++
        if (!stopped) {
          log.warn(
            'reading the orders stream failed; starting again from the saved positions',
            { error: (err as Error).name, reason: (err as Error).message, failures }
          )
        }
        // Fresh iterators from the checkpoints on the next pass.
        for (const shard of shards.values()) delete shard.iterator
        lastDiscovery = 0
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
