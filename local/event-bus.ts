// A tiny local EventBridge: an HTTP server speaking PutEvents' JSON protocol, so the worker's own
// EventBridgeClient is used unchanged (EVENTBRIDGE_ENDPOINT points here). Each accepted entry
// becomes an EventBridge event and is delivered, after the answer (as EventBridge does), to the
// handler once per rule of infra/template.yaml whose pattern matches it, retried with backoff, and
// logged as a dead letter when the retries run out (the deployed rules send it to their queue).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AddressInfo } from 'node:net'
import type { EventBridgeEvent } from 'aws-lambda'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { WorkerLog } from '../workers/runtime.js'
import { matchesPattern } from './event-pattern.js'
import { workerRules, type LocalRule } from './event-rules.js'

export type BusEvent = EventBridgeEvent<string, unknown>
export type BusTarget = (event: BusEvent) => Promise<unknown>

export interface EventBusOptions {
  /** Called once per matching rule per event; a throw is retried. */
  target: BusTarget
  /** The bus's name: entries naming another bus are refused (default: only this one exists). */
  busName: string
  rules?: LocalRule[]
  port?: number
  host?: string
  region?: string
  log: WorkerLog
  /** Pauses before each redelivery; their count is the number of retries (the template allows 8). */
  retryDelaysMs?: number[]
}

export interface EventBus {
  url: string
  /** Every event accepted so far (newest last), for tests and the start banner. */
  events: BusEvent[]
  /** Resolves once every delivery started so far has succeeded or been dead-lettered. */
  idle: () => Promise<void>
  stop: () => Promise<void>
}

export const DEFAULT_BUS_RETRY_DELAYS_MS = [1000, 2000, 4000, 8000]
export const LOCAL_ACCOUNT = '000000000000'
const MAX_BODY_BYTES = 1024 * 1024
const MAX_DETAIL_BYTES = 256 * 1024

// The request as the SDK sends it; unknown members are refused, so a typo never passes silently.
const Entry = Type.Object({
  Time: Type.Optional(Type.Number()),
  Source: Type.Optional(Type.String()),
  Resources: Type.Optional(Type.Array(Type.String())),
  DetailType: Type.Optional(Type.String()),
  Detail: Type.Optional(Type.String()),
  EventBusName: Type.Optional(Type.String()),
  TraceHeader: Type.Optional(Type.String())
}, { additionalProperties: false })
const PutEventsRequest = Type.Object({
  Entries: Type.Array(Entry, { minItems: 1, maxItems: 10 }),
  EndpointId: Type.Optional(Type.String())
}, { additionalProperties: false })
type PutEventsEntry = Static<typeof Entry>

interface EntryResult { EventId?: string; ErrorCode?: string; ErrorMessage?: string }

class AwsError extends Error {
  constructor (readonly status: number, readonly type: string, message: string) {
    super(message)
    this.name = type
  }
}

async function readBody (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new AwsError(413, 'ValidationException', 'The request is too large.')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function send (res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomUUID(),
    ...(errorType !== undefined ? { 'x-amzn-errortype': errorType } : {})
  })
  res.end(JSON.stringify(body))
}

/** EventBridge's own checks of one entry: a failed entry, the call itself still succeeds. */
function checkEntry (entry: PutEventsEntry, busName: string): EntryResult | undefined {
  if (entry.Source === undefined || entry.Source === '') return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' }
  if (entry.DetailType === undefined || entry.DetailType === '') return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' }
  if (entry.Detail === undefined) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.' }
  if (Buffer.byteLength(entry.Detail) > MAX_DETAIL_BYTES) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Total size of the entries in the request is over the limit.' }
  let detail: unknown
  try {
    detail = JSON.parse(entry.Detail)
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }
  }
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }
  const bus = entry.EventBusName ?? 'default'
  // A bus is named by its name or its ARN (arn:aws:events:<region>:<account>:event-bus/<name>).
  if (bus !== busName && !bus.endsWith(`:event-bus/${busName}`)) {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: `Event bus ${bus} does not exist.` }
  }
  return undefined
}

export async function startEventBus (opts: EventBusOptions): Promise<EventBus> {
  const { target, busName, log } = opts
  const rules = opts.rules ?? workerRules()
  const region = opts.region ?? 'us-east-1'
  const retryDelays = opts.retryDelaysMs ?? DEFAULT_BUS_RETRY_DELAYS_MS
  const events: BusEvent[] = []
  const inFlight = new Set<Promise<void>>()
  const stopping = new AbortController()

  async function deliver (rule: LocalRule, event: BusEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await target(event)
        return
      } catch (err) {
        const failure = { rule: rule.name, eventId: event.id, detailType: event['detail-type'], attempt, error: (err as Error).name, reason: (err as Error).message }
        if (attempt > retryDelays.length || stopping.signal.aborted) {
          log.error('event given up on (dead letter)', { ...failure, detail: event.detail })
          return
        }
        log.warn('event delivery failed, retrying', { ...failure, inMs: retryDelays[attempt - 1] })
        try {
          await sleep(retryDelays[attempt - 1], undefined, { signal: stopping.signal })
        } catch {
          // stop() cut the pause short: the next failure (or this loop's check) ends it.
        }
      }
    }
  }

  function route (event: BusEvent): void {
    let matched = 0
    for (const rule of rules) {
      let matches = false
      try {
        matches = matchesPattern(rule.pattern, event as unknown as Record<string, unknown>)
      } catch (err) {
        log.error('rule pattern cannot be evaluated locally', { rule: rule.name, reason: (err as Error).message })
      }
      if (!matches) continue
      matched++
      const delivery = deliver(rule, event).finally(() => { inFlight.delete(delivery) })
      inFlight.add(delivery)
    }
    log.debug('event routed', { eventId: event.id, detailType: event['detail-type'], rules: matched })
  }

  function putEvents (input: unknown): { FailedEntryCount: number; Entries: EntryResult[] } {
    if (!Value.Check(PutEventsRequest, input)) {
      const first = Value.Errors(PutEventsRequest, input).First()
      throw new AwsError(400, 'ValidationException', `1 validation error detected: ${first?.path || 'request'} ${first?.message ?? 'is not valid'}`)
    }
    const accepted: BusEvent[] = []
    const results = input.Entries.map((entry): EntryResult => {
      const problem = checkEntry(entry, busName)
      if (problem !== undefined) return problem
      const event: BusEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType as string,
        source: entry.Source as string,
        account: LOCAL_ACCOUNT,
        // EventBridge's time has no milliseconds.
        time: new Date(entry.Time !== undefined ? entry.Time * 1000 : Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region,
        resources: entry.Resources ?? [],
        detail: JSON.parse(entry.Detail as string)
      }
      accepted.push(event)
      return { EventId: event.id }
    })
    events.push(...accepted)
    // Routed after the answer is on its way, as EventBridge delivers asynchronously.
    const routing: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => { for (const event of accepted) route(event) })
      .finally(() => { inFlight.delete(routing) })
    inFlight.add(routing)
    return { FailedEntryCount: results.filter((r) => r.ErrorCode !== undefined).length, Entries: results }
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        if (req.method !== 'POST') throw new AwsError(405, 'UnknownOperationException', `${req.method ?? ''} is not supported: PutEvents is a POST.`)
        const operation = req.headers['x-amz-target']
        if (operation !== 'AWSEvents.PutEvents') {
          throw new AwsError(400, 'UnknownOperationException', `The local bus implements AWSEvents.PutEvents only (got ${String(operation ?? 'no X-Amz-Target')}).`)
        }
        if (!/^application\/x-amz-json-1\.1\b/.test(req.headers['content-type'] ?? '')) {
          throw new AwsError(400, 'SerializationException', 'Content-Type must be application/x-amz-json-1.1.')
        }
        let input: unknown
        try {
          input = JSON.parse(await readBody(req))
        } catch (err) {
          if (err instanceof AwsError) throw err
          throw new AwsError(400, 'SerializationException', 'The request body is not valid JSON.')
        }
        send(res, 200, putEvents(input))
      } catch (err) {
        if (err instanceof AwsError) {
          send(res, err.status, { __type: err.type, message: err.message }, err.type)
        } else {
          log.error('local bus failed', { error: (err as Error).name, reason: (err as Error).message })
          send(res, 500, { __type: 'InternalException', message: 'Internal error.' }, 'InternalException')
        }
      }
    })()
  })

  const host = opts.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => { server.off('error', reject); resolve() })
  })
  const { port } = server.address() as AddressInfo
  log.info('local event bus started', { url: `http://${host}:${port}`, busName, rules: rules.map((r) => r.name) })

  return {
    url: `http://${host}:${port}`,
    events,
    idle: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight])
    },
    stop: async () => {
      stopping.abort()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await Promise.all([...inFlight])
    }
  }
}
