// The clients only some of the worker's paths need, each a runtime's own override or made once per
// runtime on first use and imported dynamically: a container that only turns stream records into
// events never loads SES, SQS, the effects ledger or DynamoDB Streams (bench: worker cold start).
import type { SQSClient } from '@aws-sdk/client-sqs'
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { clientOptions } from '../core/aws-options.js'
import { createSesClient, type SESClient } from '../core/ses.js'
import type { EffectLedger } from './effect-ledger.js'
import type { MailSuppressions } from './mail-suppressions.js'
import { traced, type WorkerRuntime } from './runtime.js'

const made = new WeakMap<WorkerRuntime, Map<string, Promise<unknown>>>()

type Made = 'ses' | 'sqs' | 'streams' | 'dynamodb' | 'ledger' | 'suppressions'

/**
 * The runtime's own `name` when it has one, else the one `make` makes on its first use (made again after a failure).
 */
async function lazily<K extends Made> (
  runtime: WorkerRuntime,
  name: K,
  make: () => Promise<NonNullable<WorkerRuntime[K]>>
): Promise<NonNullable<WorkerRuntime[K]>> {
  const own = runtime[name]
  if (own !== undefined) return own
  let byName = made.get(runtime)
  if (byName === undefined) made.set(runtime, byName = new Map())
  let p = byName.get(name) as Promise<NonNullable<WorkerRuntime[K]>> | undefined
  if (p === undefined) {
    p = make()
    byName.set(name, p)
    p.catch(() => byName?.delete(name))
  }
  return await p
}

export async function sesOf (runtime: WorkerRuntime): Promise<SESClient> {
  return await lazily(runtime, 'ses', async () => {
    const options = clientOptions(runtime.config, runtime.config.endpoints.ses)
    // SendEmail has no idempotency token: one attempt, with a timeout long enough for SES; a call
    // without an answer is handled by workers/effects.ts (sent once more at most).
    const requestHandler = { ...options.requestHandler, requestTimeout: runtime.config.awsTimeouts.sesRequestMs }
    return traced(runtime, await createSesClient({ ...options, maxAttempts: 1, requestHandler }))
  })
}

export async function sqsOf (runtime: WorkerRuntime): Promise<SQSClient> {
  return await lazily(runtime, 'sqs', async () => {
    const { SQSClient } = await import('@aws-sdk/client-sqs')
    return traced(runtime, new SQSClient(clientOptions(runtime.config, runtime.config.endpoints.sqs)))
  })
}

export async function streamsOf (runtime: WorkerRuntime): Promise<DynamoDBStreamsClient> {
  return await lazily(runtime, 'streams', async () => {
    const { DynamoDBStreamsClient } = await import('@aws-sdk/client-dynamodb-streams')
    return traced(runtime, new DynamoDBStreamsClient(clientOptions(runtime.config, runtime.config.endpoints.dynamodb)))
  })
}

/** One DynamoDB client for the ledger and the mail suppressions. */
export async function dynamodbOf (runtime: WorkerRuntime): Promise<DynamoDBClient> {
  return await lazily(runtime, 'dynamodb', async () => {
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb')
    return traced(runtime, new DynamoDBClient(clientOptions(runtime.config, runtime.config.endpoints.dynamodb)))
  })
}

export async function ledgerOf (runtime: WorkerRuntime): Promise<EffectLedger> {
  return await lazily(runtime, 'ledger', async () => {
    const [ddb, { createDynamoLedger }] = await Promise.all([dynamodbOf(runtime), import('./effect-ledger.js')])
    return createDynamoLedger(ddb, runtime.config.tables.idempotency, runtime.now)
  })
}

/** The addresses sent no more order mail (mail-suppressions.ts). */
export async function suppressionsOf (runtime: WorkerRuntime): Promise<MailSuppressions> {
  return await lazily(runtime, 'suppressions', async () => {
    const [ddb, { createMailSuppressions }] = await Promise.all([dynamodbOf(runtime), import('./mail-suppressions.js')])
    return createMailSuppressions(ddb, runtime.config.tables.suppressions)
  })
}
