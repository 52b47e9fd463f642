// A tiny local EventBridge: PutEvents' JSON protocol (served by local/aws-endpoint.ts), so the
// worker's own EventBridgeClient is used unchanged (EVENTBRIDGE_ENDPOINT points here). Each
// accepted entry becomes an EventBridge event, routed by the rules of infra/template.yaml to their
// targets: a queue target (the effects queue) gets the event as the message body, as EventBridge's
// SQS target does, before PutEvents answers, so an event the bus accepted is in a queue (on disk
// under npm start) and survives a crash. A target that cannot take it fails the entry
// (InternalFailure) and the stream retries it; EventBridge would retry it and then dead-letter it.
import { randomUUID } from 'node:crypto'
import type { EventBridgeEvent } from 'aws-lambda'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { WorkerLog } from '../workers/runtime.js'
import { matchesPattern } from './event-pattern.js'
import { templateRules, type LocalRule } from './event-rules.js'
import { AwsError, type AwsService } from './aws-endpoint.js'
import { LOCAL_ACCOUNT } from './sqs-queues.js'

export type BusEvent = EventBridgeEvent<string, unknown>
/** Hands an event to a rule's target; throws when the target cannot take it. */
export type BusDelivery = (target: LocalRule['targets'][number], event: BusEvent) => void

export interface EventBusOptions {
  busName: string
  deliver: BusDelivery
  rules?: LocalRule[]
  region?: string
  log: WorkerLog
}

export interface EventBus {
  /** PutEvents as a service of the local AWS endpoint. */
  service: AwsService
  /** Every event accepted so far (newest last), for tests. */
  events: BusEvent[]
}

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

/** EventBridge's size of an entry (workers/stream-to-events.ts entrySize counts the same). */
const entryBytes = (e: PutEventsEntry): number => (e.Time !== undefined ? 14 : 0) + Buffer.byteLength(e.Source ?? '') +
  Buffer.byteLength(e.DetailType ?? '') + Buffer.byteLength(e.Detail ?? '') + (e.Resources ?? []).reduce(
  (n, r) => n + Buffer.byteLength(r),
  0
)

/** EventBridge's own checks of one entry: a failed entry, the call itself still succeeds. */
function checkEntry (entry: PutEventsEntry, busName: string): EntryResult | undefined {
  if (entry.Source === undefined || entry.Source === '') {
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.'
    }
  }
  if (entry.DetailType === undefined || entry.DetailType === '') {
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.'
    }
  }
  if (entry.Detail === undefined) {
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.'
    }
  }
  let detail: unknown
  try {
    detail = JSON.parse(entry.Detail)
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }
  }
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }
  }
  const bus = entry.EventBusName ?? 'default'
  // A bus is named by its name or its ARN (arn:aws:events:<region>:<account>:event-bus/<name>).
  if (bus !== busName && !bus.endsWith(`:event-bus/${busName}`)) {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: `Event bus ${bus} does not exist.` }
  }
  return undefined
}

export function createEventBus (opts: EventBusOptions): EventBus {
  const { busName, log, deliver } = opts
  const rules = opts.rules ?? templateRules()
  const region = opts.region ?? 'us-east-1'
  const events: BusEvent[] = []

  /** Every matching rule's targets; throws if one could not take the event. */
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
      for (const target of rule.targets) deliver(target, event)
    }
    log.debug('event routed', { eventId: event.id, detailType: event['detail-type'], rules: matched })
  }

  function putEvents (input: unknown): { FailedEntryCount: number; Entries: EntryResult[] } {
    if (!Value.Check(PutEventsRequest, input)) {
      const first = Value.Errors(PutEventsRequest, input).First()
      throw new AwsError(
        400,
        'ValidationException',
        `1 validation error detected: ${first?.path || 'request'} ${first?.message ?? 'is not valid'}`
      )
    }
    const total = input.Entries.reduce((n, e) => n + entryBytes(e), 0)
    if (total > MAX_DETAIL_BYTES) {
      throw new AwsError(400, 'ValidationException', 'Total size of the entries in the request is over the limit.')
    }
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
        time: new Date(entry.Time !== undefined ? entry.Time * 1000 : Date.now()).toISOString().replace(
          /\.\d{3}Z$/,
          'Z'
        ),
        region,
        resources: entry.Resources ?? [],
        detail: JSON.parse(entry.Detail as string)
      }
      try {
        route(event)
      } catch (err) {
        log.error(
          'local bus could not deliver an event to its target',
          { eventId: event.id, reason: (err as Error).message }
        )
        return { ErrorCode: 'InternalFailure', ErrorMessage: 'The event could not be delivered; retry.' }
      }
      events.push(event)
      return { EventId: event.id }
    })
    return { FailedEntryCount: results.filter((r) => r.ErrorCode !== undefined).length, Entries: results }
  }

  return {
    events,
    service: (operation, input) => {
      if (operation !== 'PutEvents') {
        throw new AwsError(
          400,
          'UnknownOperationException',
          `The local bus implements AWSEvents.PutEvents only (got ${operation}).`
        )
      }
      return putEvents(input)
    }
  }
}
