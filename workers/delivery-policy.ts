// How long the worker keeps trying, in one place: the effects queue's retry schedule (and so the
// template's maxReceiveCount, checked by test/unit/template.test.ts), the replay queue's, how old
// a stream record may get before it is parked (config.streamParkAfterSeconds, 6 h by default, below
// the stream mapping's MaximumRecordAgeInSeconds), and how long an effect's "done" record is kept.
// docs/events.md states these numbers; the local stack (local/sqs-queues.ts) applies the same ones.

/**
 * Pauses (seconds) before each retry of an order event whose effects failed, by receive count: the
 * worker sets the message's visibility to the next pause (ChangeMessageVisibility). About 94 minutes
 * in all, then SQS moves the message to EventsDeadLetterQueue (maxReceiveCount = length + 1).
 */
export const EFFECT_RETRY_DELAYS_S = [10, 30, 60, 120, 300, 600, 900, 900, 900, 900, 900] as const

/** The same for stream records redriven into OrdersStreamReplayQueue: about 21 minutes, then back to its DLQ. */
export const REPLAY_RETRY_DELAYS_S = [10, 60, 300, 900] as const

/** maxReceiveCount of a queue whose retries pause by `delays`. */
export const maxReceiveCount = (delays: readonly number[]): number => delays.length + 1

/** The pause before the next attempt of a message received `receiveCount` times. */
export function retryDelaySeconds (delays: readonly number[], receiveCount: number): number {
  const i = Math.min(Math.max(receiveCount, 1), delays.length) - 1
  return delays[i] ?? delays[delays.length - 1] ?? 60
}

/**
 * While a stream batch makes no progress (every record failed for a passing reason), the worker
 * waits before answering, so Lambda's immediate retries do not spin: 1 s, growing with the first
 * record's age (a tenth of it), at most 30 s.
 */
export function streamRetryPauseMs (oldestAgeMs: number): number {
  return Math.min(30_000, Math.max(1_000, Math.floor(oldestAgeMs / 10)))
}

/**
 * How long an effect's ledger record outlives its last write: longer than any redelivery can come
 * (the dead-letter queues keep messages 14 days, then a redrive adds the retry schedule). A replay
 * of an order older than this would send its effects again.
 */
export const EFFECT_RECORD_TTL_SECONDS = 30 * 24 * 3600

/**
 * How long an email waits for the email of the order's previous status: as long as that one can
 * still come (its dead-letter queue keeps it 14 days, then a redrive adds the retry schedule).
 * Past that, the previous status change is taken as never coming, and the email goes out.
 */
export const EMAIL_ORDER_WAIT_MAX_MS = 15 * 24 * 3600 * 1000

/**
 * The stream replay queue's name ends so (template QueueName, local queue): unreadable messages from it are parked with
 * the stream's.
 */
export const STREAM_REPLAY_QUEUE_SUFFIX = 'orders-stream-replay'
