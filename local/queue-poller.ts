// The local stand-in for Lambda's SQS event source mappings: the worker's SQS sources declared in
// infra/template.yaml (the effects queue, the stream replay queue), polled like the mapping does.
// Each batch goes to the handler as an SQS event; the messages it does not report failed
// (batchItemFailures) are deleted; the failed ones stay in the queue, invisible until the pause the
// worker set (or the queue's visibility timeout), then come back, and past maxReceiveCount the
// queue moves them to its dead-letter queue (local/sqs-queues.ts), as SQS does.
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda'
import { loadTemplate, type CfnTemplate } from '../infra/template.js'
import type { WorkerLog } from '../workers/runtime.js'
import type { LocalQueue, LocalQueues, StoredMessage } from './sqs-queues.js'

export interface QueueSource { queue: string; batchSize: number }

/** The function's SQS event sources (queue logical id, batch size) in the template. */
export function queueSources (template: CfnTemplate = loadTemplate(), functionId = 'WorkerFunction'): QueueSource[] {
  const events = (template.Resources[functionId]?.Properties?.Events ?? {}) as Record<string, {
    Type: string
    Properties?: Record<string, any>
  }>
  return Object.values(events).filter((e) => e.Type === 'SQS').map((e) => ({
    queue: e.Properties?.Queue?.['Fn::GetAtt']?.[0] as string,
    batchSize: Number(e.Properties?.BatchSize ?? 10)
  }))
}

export interface QueuePoller {
  /** Resolves once the sources' queues are empty and no batch is being handled (tests). */
  idle: () => Promise<void>
  stop: () => Promise<void>
}

function toRecord (m: StoredMessage, queue: LocalQueue, region: string): SQSRecord {
  return {
    messageId: m.id,
    receiptHandle: m.receipt ?? '',
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: String(m.sentAt),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt)
    },
    messageAttributes: Object.fromEntries(
      Object.entries(m.attributes).map(([k, v]) => [
        k,
        { dataType: v.DataType, stringValue: v.StringValue, stringListValues: [], binaryListValues: [] }
      ])
    ),
    md5OfBody: m.md5,
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: region
  }
}

export function startQueuePoller (opts: {
  queues: LocalQueues
  sources?: QueueSource[]
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | undefined | void>
  log: WorkerLog
  region: string
}): QueuePoller {
  const { queues, handler, log } = opts
  const stopping = new AbortController()
  let busy = 0
  const sources = opts.sources ?? queueSources()
  const loops = sources.map(async ({ queue: id, batchSize }) => {
    const queue = queues.byLogicalId(id)
    while (!stopping.signal.aborted) {
      const batch = queue.receive(batchSize, undefined, queues.deadLetterOf(queue))
      if (batch.length === 0) {
        const next = queue.nextVisibleAt()
        await queue.waitForMessages(
          next === undefined ? 1000 : Math.min(1000, Math.max(10, next - Date.now())),
          stopping.signal
        )
        continue
      }
      busy++
      try {
        const res = await handler({ Records: batch.map((m) => toRecord(m, queue, opts.region)) })
        const failed = new Set((res ?? { batchItemFailures: [] }).batchItemFailures.map((f) => f.itemIdentifier))
        for (const m of batch) if (!failed.has(m.id)) queue.delete(m.receipt ?? '')
      } catch (err) {
        // A thrown handler fails the whole batch, as in Lambda: every message comes back after its visibility timeout.
        log.warn(
          'queue batch failed',
          { queue: queue.def.name, error: (err as Error).name, reason: (err as Error).message }
        )
      } finally {
        busy--
      }
    }
  })
  return {
    idle: async () => {
      const sourceQueues = sources.map((s) => queues.byLogicalId(s.queue))
      // busy changes in the pollers' callbacks, between the awaits of this loop.
      // eslint-disable-next-line no-unmodified-loop-condition
      while (busy > 0 || sourceQueues.some((q) => q.messages.size > 0)) {
        await new Promise((resolve) => setTimeout(
          resolve,
          25
        ))
      }
    },
    stop: async () => {
      stopping.abort()
      await Promise.all(loops)
    }
  }
}
