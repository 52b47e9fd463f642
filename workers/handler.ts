// The worker Lambda's entry point (dist/worker/index.mjs, index.handler). One function serves three
// triggers: the orders table's stream (records -> events on the bus), the effects queue the bus's
// rule fills (events -> webhooks and emails), and the stream replay queue (redriven records ->
// events). Config and SDK clients are made once per container, at module scope (in Lambda's init
// phase), and reused by every invocation.
import type { Context } from 'aws-lambda'
import { loadConfig } from '../core/config.js'
import { createWorkerRuntime } from './runtime.js'
import { createHandler, type WorkerEvent, type WorkerResponse } from './dispatch.js'

const handle = createHandler(createWorkerRuntime(loadConfig()))

export const handler = async (event: WorkerEvent, context: Context): Promise<WorkerResponse> =>
  handle(event, context)
