// SQS's JSON protocol over the local queues (local/sqs-queues.ts): the operations the worker, the local
// pollers and the ops commands call. Unknown members are ignored, unknown operations refused.
import type { LocalQueues, MessageAttribute, StoredMessage } from './sqs-queues.js'
import { QueueError } from './sqs-queues.js'
import { AwsError, type AwsService } from './aws-endpoint.js'

type Input = Record<string, unknown>

const str = (input: Input, name: string): string => {
  const v = input[name]
  if (typeof v !== 'string' || v === '') {
    throw new AwsError(400, 'MissingParameter', `The request must contain the parameter ${name}.`)
  }
  return v
}
const int = (input: Input, name: string, fallback: number, min: number, max: number): number => {
  const v = input[name]
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new AwsError(
      400,
      'InvalidParameterValue',
      `Value ${String(v)} for parameter ${name} is invalid: from ${min} to ${max}.`
    )
  }
  return v
}

function toWire (m: StoredMessage): Record<string, unknown> {
  return {
    MessageId: m.id,
    ReceiptHandle: m.receipt,
    MD5OfBody: m.md5,
    Body: m.body,
    Attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: String(m.sentAt),
      ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? Date.now()),
      SenderId: 'local'
    },
    ...(Object.keys(m.attributes).length > 0 ? { MessageAttributes: m.attributes } : {})
  }
}

export function sqsService (queues: LocalQueues, opts: { stopping?: AbortSignal } = {}): AwsService {
  const wrap = async (fn: () => Promise<unknown> | unknown): Promise<unknown> => {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof QueueError) throw new AwsError(400, err.type, err.message)
      throw err
    }
  }
  const operations: Record<string, (input: Input) => Promise<unknown> | unknown> = {
    GetQueueUrl: (input) => ({ QueueUrl: queues.urlOf(queues.byName(str(input, 'QueueName'))) }),
    ListQueues: () => ({ QueueUrls: queues.list.map((q) => queues.urlOf(q)) }),
    GetQueueAttributes: (input) => {
      const q = queues.byUrl(str(input, 'QueueUrl'))
      const { visible, inFlight } = q.counts()
      const dlq = queues.deadLetterOf(q)
      return {
        Attributes: {
          QueueArn: q.arn,
          ApproximateNumberOfMessages: String(visible),
          ApproximateNumberOfMessagesNotVisible: String(inFlight),
          VisibilityTimeout: String(q.def.visibilityTimeoutS),
          MessageRetentionPeriod: String(q.def.retentionS),
          ...(dlq !== undefined && q.def.redrive !== undefined
            ? {
                RedrivePolicy: JSON.stringify({
                  deadLetterTargetArn: dlq.arn,
                  maxReceiveCount: q.def.redrive.maxReceiveCount
                })
              }
            : {})
        }
      }
    },
    SendMessage: (input) => {
      const body = str(input, 'MessageBody')
      if (Buffer.byteLength(body) > 256 * 1024) {
        throw new AwsError(
          400,
          'InvalidParameterValue',
          'One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.'
        )
      }
      const m = queues.byUrl(str(input, 'QueueUrl')).send(
        body,
        (input.MessageAttributes ?? {}) as Record<string, MessageAttribute>
      )
      return { MessageId: m.id, MD5OfMessageBody: m.md5 }
    },
    ReceiveMessage: async (input) => {
      const q = queues.byUrl(str(input, 'QueueUrl'))
      const max = int(input, 'MaxNumberOfMessages', 1, 1, 10)
      const visibility = input.VisibilityTimeout === undefined
        ? undefined
        : int(
          input,
          'VisibilityTimeout',
          30,
          0,
          43200
        )
      const waitS = int(input, 'WaitTimeSeconds', 0, 0, 20)
      const deadline = Date.now() + waitS * 1000
      for (;;) {
        const got = q.receive(max, visibility, queues.deadLetterOf(q))
        if (got.length > 0 || Date.now() >= deadline || opts.stopping?.aborted === true) {
          return { Messages: got.map(toWire) }
        }
        const next = q.nextVisibleAt()
        await q.waitForMessages(Math.min(deadline, next ?? deadline) - Date.now(), opts.stopping)
      }
    },
    DeleteMessage: (input) => { queues.byUrl(str(input, 'QueueUrl')).delete(str(input, 'ReceiptHandle')); return {} },
    ChangeMessageVisibility: (input) => {
      queues.byUrl(str(input, 'QueueUrl')).changeVisibility(
        str(input, 'ReceiptHandle'),
        int(input, 'VisibilityTimeout', 30, 0, 43200)
      )
      return {}
    },
    PurgeQueue: (input) => {
      const q = queues.byUrl(str(input, 'QueueUrl'))
      for (const id of [...q.messages.keys()]) q.remove(id)
      return {}
    },
    StartMessageMoveTask: (input) => {
      const perSecond = input.MaxNumberOfMessagesPerSecond === undefined
        ? undefined
        : int(
          input,
          'MaxNumberOfMessagesPerSecond',
          500,
          1,
          500
        )
      const task = queues.startMoveTask(str(input, 'SourceArn'), input.DestinationArn as string | undefined, perSecond)
      return { TaskHandle: task.TaskHandle }
    },
    ListMessageMoveTasks: (input) => ({ Results: queues.moveTasks(str(input, 'SourceArn')) })
  }
  return async (operation, input) => {
    const op = operations[operation]
    if (op === undefined) {
      throw new AwsError(400, 'UnsupportedOperation', `The local SQS does not implement ${operation}.`)
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new AwsError(400, 'SerializationException', 'The request must be a JSON object.')
    }
    return await wrap(() => op(input as Input))
  }
}
