// The worker Lambda's entry point (dist/worker/index.mjs, index.handler). One function serves three
// triggers: the orders table's stream (records -> events on the bus), the effects queue the bus's
// rule fills (events -> webhooks and emails), and the stream replay queue (redriven records ->
// events). Config and SDK clients are made once per container, at module scope (in Lambda's init
// phase), and reused by every invocation. A fourth: SES's bounce and complaint reports. With
// TRACING=Active (the template's default) the X-Ray Tracer is loaded here too, the clients traced
// and each invocation one subsegment; otherwise none of it loads (core/tracing.ts). Logged stack
// traces (and those of errors thrown to the Lambda runtime) name the TypeScript sources, mapped
// when a stack is first formatted (core/source-mapped-stacks.ts).
import type { Context } from 'aws-lambda'
import { loadConfig } from '../core/config.js'
import { installSourceMappedStacks } from '../core/source-mapped-stacks.js'
import { serviceName } from '../core/metrics.js'
import { loadTracing } from '../core/tracing.js'
import { createWorkerRuntime } from './runtime.js'
import { createHandler, type WorkerEvent, type WorkerResponse } from './dispatch.js'

installSourceMappedStacks()
const config = loadConfig()
const tracing = config.tracing ? await loadTracing(serviceName(config.functionName, 'worker')) : undefined
const handle = createHandler(createWorkerRuntime(config, tracing !== undefined ? { tracing } : {}))

export const handler = async (event: WorkerEvent, context: Context): Promise<WorkerResponse> =>
  tracing === undefined
    ? await handle(event, context)
    : await tracing.invocation(
      'worker',
      async () => await handle(event, context)
    )
