// Redriving the stream batches Lambda gave up on (OrdersStreamFailureBucket, the stream mapping's
// S3 on-failure destination): each object is an invocation record with the batch's records in its
// payload (workers/stream-failure-record.ts). Its records are sent, one message each, to
// OrdersStreamReplayQueue, where the worker publishes them as it does redriven records from the
// dead-letter queue (workers/sqs-batch.ts: retried, then parked with their content); the object is
// deleted only once every one of its records is in the queue. An object that cannot be read or
// sent is left in the bucket and reported; running again picks up what is left. A run stopped
// between the last send and the delete sends that object's records again on the next run: the
// bus then gets their events twice, and the worker's effects ledger still sends each webhook and
// email once. The same calls against the local stack and a deployed one (scripts/ops/targets.ts).
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs'
import type { S3Client } from '../../core/s3.js'
import { recordsOfStreamFailure } from '../../workers/stream-failure-record.js'
import { queueOf, type Target } from './targets.js'

export const STREAM_FAILURES = { from: 'OrdersStreamFailureBucket', to: 'OrdersStreamReplayQueue' } as const

export interface StreamFailuresResult {
  /** Objects whose records were all sent, then deleted. */
  redriven: number
  /** Records sent to the replay queue (of the redriven objects and of those left). */
  records: number
  /** Objects left in the bucket, with the reason. */
  left: Array<{ key: string; reason: string }>
}

const reasonOf = (err: unknown): string => `${(err as Error).name}: ${(err as Error).message}`

export async function redriveStreamFailures (
  target: Target,
  s3: S3Client,
  sqs: SQSClient,
  opts: { log?: (line: string) => void } = {}
): Promise<StreamFailuresResult> {
  const log = opts.log ?? (() => {})
  const bucket = await target.physicalId(STREAM_FAILURES.from)
  const queue = await queueOf(target, sqs, STREAM_FAILURES.to)
  const result: StreamFailuresResult = { redriven: 0, records: 0, left: [] }
  let token: string | undefined
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }))
    for (const { Key: key } of page.Contents ?? []) {
      if (key === undefined) continue
      let sent = 0
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
        const records = recordsOfStreamFailure(await object.Body?.transformToString('utf8') ?? '')
        for (const record of records) {
          await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify(record) }))
          sent++
        }
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
        result.redriven++
        log(`${key}: ${records.length} record(s) sent to ${STREAM_FAILURES.to}, object deleted`)
      } catch (err) {
        result.left.push({ key, reason: reasonOf(err) })
        log(`${key}: left in the bucket after ${sent} record(s) sent (${reasonOf(err)})`)
      }
      result.records += sent
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined
  } while (token !== undefined)
  if (result.redriven === 0 && result.left.length === 0) log(`${STREAM_FAILURES.from} is empty: nothing to redrive`)
  return result
}
