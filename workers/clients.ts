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
  rt: WorkerRuntime,
  name: K,
  make: () => Promise<NonNullable<WorkerRuntime[K]>>
): Promise<NonNullable<WorkerRuntime[K]>> {
  const own = rt[name]
  if (own !== undefined) return own
  let byName = made.get(rt)
  if (byName === undefined) made.set(rt, byName = new Map())
  let p = byName.get(name) as Promise<NonNullable<WorkerRuntime[K]>> | undefined
  if (p === undefined) {
    p = make()
    byName.set(name, p)
    p.catch(() => byName?.delete(name))
  }
  return await p
}

export async function sesOf (rt: WorkerRuntime): Promise<SESClient> {
  return await lazily(rt, 'ses', async () => {
    return traced(rt, await createSesClient(clientOptions(rt.config, rt.config.endpoints.ses)))
  })
}

export async function sqsOf (rt: WorkerRuntime): Promise<SQSClient> {
  return await lazily(rt, 'sqs', async () => {
    const { SQSClient } = await import('@aws-sdk/client-sqs')
    return traced(rt, new SQSClient(clientOptions(rt.config, rt.config.endpoints.sqs)))
  })
}

export async function streamsOf (rt: WorkerRuntime): Promise<DynamoDBStreamsClient> {
  return await lazily(rt, 'streams', async () => {
    const { DynamoDBStreamsClient } = await import('@aws-sdk/client-dynamodb-streams')
    return traced(rt, new DynamoDBStreamsClient(clientOptions(rt.config, rt.config.endpoints.dynamodb)))
  })
}

/** One DynamoDB client for the ledger and the mail suppressions. */
async function dynamodbOf (rt: WorkerRuntime): Promise<DynamoDBClient> {
  return await lazily(rt, 'dynamodb', async () => {
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb')
    return traced(rt, new DynamoDBClient(clientOptions(rt.config, rt.config.endpoints.dynamodb)))
  })
}

export async function ledgerOf (rt: WorkerRuntime): Promise<EffectLedger> {
  return await lazily(rt, 'ledger', async () => {
    const [ddb, { createDynamoLedger }] = await Promise.all([dynamodbOf(rt), import('./effect-ledger.js')])
    return createDynamoLedger(ddb, rt.config.tables.idempotency, rt.now)
  })
}

/** The addresses sent no more order mail (mail-suppressions.ts). */
export async function suppressionsOf (rt: WorkerRuntime): Promise<MailSuppressions> {
  return await lazily(rt, 'suppressions', async () => {
    const [ddb, { createMailSuppressions }] = await Promise.all([dynamodbOf(rt), import('./mail-suppressions.js')])
    return createMailSuppressions(ddb, rt.config.tables.suppressions)
  })
}
