// The worker Lambda's entry point (dist/worker/index.mjs, index.handler). One function serves two
// triggers: the orders table's stream (records -> events on the bus) and the bus's rules (events ->
// webhooks and emails). Config and SDK clients are made once per container, at module scope (in
// Lambda's init phase), and reused by every invocation.
import type { Context, DynamoDBBatchResponse } from 'aws-lambda'
import { loadConfig } from '../core/config.js'
import { createWorkerRuntime } from './runtime.js'
import { createHandler, type WorkerEvent } from './dispatch.js'

const handle = createHandler(createWorkerRuntime(loadConfig()))

export const handler = async (event: WorkerEvent, context: Context): Promise<DynamoDBBatchResponse | undefined> =>
  handle(event, context)
