// The worker Lambda's entry point (dist/worker/index.mjs, index.handler). One function serves two
// triggers: the orders table's stream (records -> events on the bus) and the bus's rules (events ->
// webhooks and emails; SES's bounce and complaint reports). Config and SDK clients are made once
// per container, at module scope (in Lambda's init phase), and reused by every invocation. With
// TRACING=Active (the template's default) the X-Ray Tracer is loaded here too, its clients traced
// and each invocation one subsegment; otherwise none of it loads (core/tracing.ts).
import type { Context, DynamoDBBatchResponse } from 'aws-lambda'
import { loadConfig } from '../core/config.js'
import { serviceName } from '../core/metrics.js'
import { loadTracing } from '../core/tracing.js'
import { createWorkerRuntime } from './runtime.js'
import { createHandler, type WorkerEvent } from './dispatch.js'

const config = loadConfig()
const tracing = config.tracing ? await loadTracing(serviceName(config.functionName, 'worker')) : undefined
const handle = createHandler(createWorkerRuntime(config, tracing !== undefined ? { tracing } : {}))

export const handler = async (event: WorkerEvent, context: Context): Promise<DynamoDBBatchResponse | undefined> =>
  tracing === undefined ? handle(event, context) : tracing.invocation('worker', async () => handle(event, context))
