// Redriving a dead-letter queue with SQS's own message move task (StartMessageMoveTask), the same
// call against the local SQS and a deployed stack. What goes where:
//   events         EventsDeadLetterQueue       -> OrderEffectsQueue        (order events; their effects)
//   orders-stream  OrdersStreamDeadLetterQueue -> OrdersStreamReplayQueue  (stream records; old batch pointers)
// (then, for orders-stream, the batches in OrdersStreamFailureBucket: scripts/ops/stream-failures.ts)
// The worker handles what arrives as it did the first time; the effects ledger skips every effect
// already done, so redriving twice (or a message redriven while its copy is still being retried)
// sends no webhook and no email twice.
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  StartMessageMoveTaskCommand,
  type SQSClient
} from '@aws-sdk/client-sqs'
import { queueOf, type Target } from './targets.js'

export const REDRIVES = {
  events: { from: 'EventsDeadLetterQueue', to: 'OrderEffectsQueue' },
  'orders-stream': { from: 'OrdersStreamDeadLetterQueue', to: 'OrdersStreamReplayQueue' }
} as const
export type RedriveName = keyof typeof REDRIVES

export interface RedriveResult { moved: number; status: string; from: string; to: string }

export async function redrive (
  target: Target,
  sqs: SQSClient,
  name: RedriveName,
  opts: { perSecond?: number; pollMs?: number; log?: (line: string) => void } = {}
): Promise<RedriveResult> {
  const log = opts.log ?? (() => {})
  const { from, to } = REDRIVES[name]
  const source = await queueOf(target, sqs, from)
  const destination = await queueOf(target, sqs, to)
  const waiting = Number(
    (await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: source.url, AttributeNames: ['ApproximateNumberOfMessages'] })
    )).Attributes?.ApproximateNumberOfMessages ?? 0
  )
  if (waiting === 0) {
    log(`${from} is empty: nothing to redrive`)
    return { moved: 0, status: 'EMPTY', from: source.arn, to: destination.arn }
  }
  log(`moving about ${waiting} message(s) from ${from} to ${to} ...`)
  const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({
    SourceArn: source.arn,
    DestinationArn: destination.arn,
    ...(opts.perSecond !== undefined
      ? {
          MaxNumberOfMessagesPerSecond: opts.perSecond
        }
      : {})
  }))
  for (;;) {
    const tasks = (await sqs.send(new ListMessageMoveTasksCommand({
      SourceArn: source.arn,
      MaxResults: 10
    }))).Results ?? []
    const task = tasks.find((t) => t.TaskHandle === TaskHandle) ?? tasks[0]
    const status = task?.Status ?? 'UNKNOWN'
    if (status !== 'RUNNING') {
      const moved = task?.ApproximateNumberOfMessagesMoved ?? 0
      log(
        `${status.toLowerCase()}: ${moved} message(s) ` +
          `moved${task?.FailureReason !== undefined ? ` (${task.FailureReason})` : ''}`
      )
      return { moved, status, from: source.arn, to: destination.arn }
    }
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 2000))
  }
}
