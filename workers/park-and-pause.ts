// The worker's own SQS calls: parking a message (an event, a stream record) with its content in a
// dead-letter queue, and pausing a failed message before its next delivery (its visibility
// timeout, set from the queue's retry schedule). Lambda's SQS event source mapping deletes every
// message the handler does not report failed, so parking is "send to the DLQ, then report success".
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs'
import type { Config } from '../core/config.js'
import type { WorkerRuntime } from './runtime.js'
import { sqsOf } from './clients.js'

export class ParkingError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ParkingError'
  }
}

/** Why something was parked: message attributes an operator reads in the console or the redrive. */
export interface ParkReason { reason: string; error: string; detail?: string }

/** The queue URL of a queue ARN (arn:aws:sqs:<region>:<account>:<name>), at the emulator locally. */
export function queueUrlOf (arn: string, config: Pick<Config, 'endpoints'>): string {
  const [, partition, , region, account, name] = arn.split(':')
  if (name === undefined || account === undefined || region === undefined) {
    throw new Error(`not an SQS queue ARN: ${arn}`)
  }
  if (config.endpoints.sqs !== undefined) return `${config.endpoints.sqs}/${account}/${name}`
  return `https://sqs.${region}.amazonaws.com${partition === 'aws-cn' ? '.cn' : ''}/${account}/${name}`
}

/** Sends `body` to the dead-letter queue at `url` with the reason as message attributes. */
export async function park (
  runtime: WorkerRuntime,
  url: string | undefined,
  body: string,
  why: ParkReason
): Promise<void> {
  if (url === undefined) {
    throw new ParkingError('no dead-letter queue is configured (EVENTS_DLQ_URL / ORDERS_STREAM_DLQ_URL)')
  }
  const attribute = (value: string) => ({ DataType: 'String', StringValue: value.slice(0, 1000) || '-' })
  await (await sqsOf(runtime)).send(new SendMessageCommand({
    QueueUrl: url,
    MessageBody: body,
    MessageAttributes: {
      parkedBy: attribute('worker'),
      reason: attribute(why.reason),
      error: attribute(why.error),
      ...(why.detail !== undefined ? { detail: attribute(why.detail) } : {})
    }
  }))
}

/** Delays a message's next delivery by `seconds` (best effort: the queue's own visibility timeout otherwise). */
export async function retryLater (
  runtime: WorkerRuntime,
  queueArn: string,
  receiptHandle: string,
  seconds: number
): Promise<void> {
  try {
    await (await sqsOf(runtime)).send(new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrlOf(queueArn, runtime.config), ReceiptHandle: receiptHandle, VisibilityTimeout: seconds
    }))
  } catch (err) {
    runtime.log.warn(
      'could not set the retry pause; the queue\'s visibility timeout applies',
      { error: (err as Error).name, reason: (err as Error).message }
    )
  }
}
