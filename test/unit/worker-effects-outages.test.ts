// Effects across outages and redrives: every email once and in order, however a redrive feeds the
// events back; SES's SendEmail made once per delivery and an unknown outcome sent once more at most;
// only refusals that can never pass parked at once; leases that outlast their effect's worst case.
import t, { type Test } from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mockClient } from 'aws-sdk-client-mock'
import { SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses'
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs'
import { MAXIMUM_RETRY_DELAY, THROTTLING_RETRY_DELAY_BASE } from '@smithy/core/retry'
import type { SQSRecord } from 'aws-lambda'
import { createHandler } from '../../workers/dispatch.js'
import { effectLeaseMs } from '../../workers/effects.js'
import { dynamodbOf, sesOf } from '../../workers/clients.js'
import { order, orderEvent, sqsMessage, testRuntime } from '../helpers/worker-fixtures.js'
import { until } from '../helpers/until.js'
import type { PublicOrder } from '../../domain/events.js'
import type { WorkerRuntime } from '../../workers/runtime.js'

const SOON_AFTER = Date.parse('2025-01-03T03:04:05.000Z')
const history = (...statuses: PublicOrder['status'][]) =>
  statuses.map((status, i) => ({ status, at: `2025-01-02T03:0${i}:05.123Z`, by: 'user:user-1' }))
const awsError = (name: string, fault: 'client' | 'server') =>
  Object.assign(new Error(name), { name, $fault: fault, $metadata: { httpStatusCode: 400 } })
const again = (m: SQSRecord, count: number): SQSRecord =>
  ({ ...m, attributes: { ...m.attributes, ApproximateReceiveCount: String(count) } })

function setup (statuses: number[] = [], overrides: Partial<WorkerRuntime> = {}, env: Record<string, string> = {}) {
  const calls: string[] = []
  const fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
    calls.push(JSON.parse(String(init?.body)).type as string)
    return new Response('ok', { status: statuses.shift() ?? 200 })
  }) as typeof globalThis.fetch
  const runtime = testRuntime({ fetch, now: () => SOON_AFTER, ...overrides }, env)
  const sqs = mockClient(runtime.sqs)
  sqs.on(SendMessageCommand).resolves({ MessageId: 'parked' })
  sqs.on(ChangeMessageVisibilityCommand).resolves({})
  const emails: string[] = []
  const sesFailures: Error[] = []
  if (overrides.ses === undefined && env.SES_ENDPOINT === undefined) {
    mockClient(runtime.ses).on(SendEmailCommand).callsFake((input: SendEmailCommandInput) => {
      const failure = sesFailures.shift()
      if (failure !== undefined) throw failure
      emails.push(input.Message!.Subject!.Data!.split(' — ')[0] as string)
      return { MessageId: `m-${emails.length}` }
    })
  }
  const handle = createHandler(runtime)
  const deliver = async (...messages: SQSRecord[]): Promise<string[]> => {
    const res = await handle({ Records: messages }) as { batchItemFailures: Array<{ itemIdentifier: string }> }
    return res.batchItemFailures.map((f) => f.itemIdentifier)
  }
  const parked = () => sqs.commandCalls(SendMessageCommand).length
  return { runtime, calls, emails, sesFailures, deliver, parked }
}

const placed = order({ id: 'ord-r' })
const packed = order({ id: 'ord-r', status: 'packed', packageId: 'PKG-1', history: history('placed', 'packed') })

t.test('SES paused, both emails parked, redriven in one batch in any order: each email once, in order', async (t) => {
  for (const first of ['packed', 'placed'] as const) {
    const run = setup()
    // The outage: every delivery of both events fails (retried on the schedule; the queue then parks them).
    for (let i = 0; i < 2; i++) run.sesFailures.push(awsError('SendingPausedException', 'client'))
    const p = sqsMessage(orderEvent(placed))
    const k = sqsMessage(orderEvent(packed))
    t.same((await run.deliver(p, k)).sort(), [p.messageId, k.messageId].sort(), 'both retried, neither parked at once')
    t.equal(run.parked(), 0)
    // The redrive: the dead-letter queue gives them back in any order, in one batch.
    const batch = first === 'packed' ? [again(k, 1), again(p, 1)] : [again(p, 1), again(k, 1)]
    const retried = await run.deliver(...batch)
    for (let n = 2; retried.length > 0 && n < 5; n++) {
      const left = batch.filter((m) => retried.includes(m.messageId))
      retried.splice(0, retried.length, ...await run.deliver(...left.map((m) => again(m, n))))
    }
    t.same(retried, [], `${first} first: all delivered`)
    t.same(run.emails, ['Order placed', 'Order packed'], `${first} first: both emails, in order`)
    t.same(run.calls, ['OrderPlaced', 'OrderPacked'], 'each webhook once')
    const waited = run.runtime.metrics.counts.some(
      (c) => c.name === 'EffectsWaiting' && c.dimensions.Effect === 'email'
    )
    t.ok(waited || first === 'placed', 'a waiting email is counted')
  }
})

t.test('a replay sends what never went out: an email never sent, after the later one waited', async (t) => {
  const run = setup()
  const k = sqsMessage(orderEvent(packed))
  t.same(await run.deliver(k), [k.messageId], 'packed waits: placed never reached the worker (lost upstream)')
  t.same(run.emails, [])
  // npm run replay: every status of the order, in order, marked replayed.
  const replayed = (o: PublicOrder) =>
    sqsMessage({ ...orderEvent(o, `replay-${o.status}`), detail: { ...o, replayed: true } })
  t.same(await run.deliver(replayed(placed)), [])
  t.same(await run.deliver(replayed(packed)), [])
  t.same(await run.deliver(again(k, 2)), [], 'the waiting delivery is a duplicate now')
  t.same(run.emails, ['Order placed', 'Order packed'])
  // Two partners, two channels: the delivery service's webhook did not wait for the warehouse's.
  t.same(run.calls, ['OrderPacked', 'OrderPlaced'])
})

t.test('an email waits for the previous one only while it can still come: past 15 days it goes', async (t) => {
  const run = setup([], { now: () => Date.parse('2025-01-20T03:04:05.000Z') })
  t.same(await run.deliver(sqsMessage(orderEvent(packed))), [])
  t.same(run.emails, ['Order packed'])
})

t.test('only refusals that can never pass are parked at once; throttling, access, configuration retried', async (t) => {
  const outcome = (expected: 'park' | 'retry') => expected === 'park' ? { kept: 0, parked: 1 } : { kept: 1, parked: 0 }
  const cases: Array<[string, 'park' | 'retry']> = [
    ['MessageRejected', 'park'], ['BadRequestException', 'park'], ['AccessDeniedException', 'retry'],
    ['MailFromDomainNotVerifiedException', 'retry'], ['NotFoundException', 'retry'],
    ['TooManyRequestsException', 'retry']
  ]
  for (const [name, expected] of cases) {
    const run = setup()
    run.sesFailures.push(awsError(name, 'client'))
    const kept = await run.deliver(sqsMessage(orderEvent(placed)))
    t.same({ kept: kept.length, parked: run.parked() }, outcome(expected), `SES ${name}: ${expected}`)
  }
  // DynamoDB throttling the suppression read, or refusing access during a deploy.
  for (const error of ['ProvisionedThroughputExceededException', 'AccessDeniedException']) {
    const suppressions = { isSuppressed: async () => { throw awsError(error, 'client') }, suppress: async () => {} }
    const run = setup([], { suppressions })
    const m = sqsMessage(orderEvent(placed))
    t.same(await run.deliver(m), [m.messageId], `suppression read ${error}: retried`)
    t.equal(run.parked(), 0)
  }
  // Partners: a payload refused is parked; a key or URL being changed (401, 403, 404) is retried.
  const answers = [[400, 'park'], [422, 'park'], [401, 'retry'], [403, 'retry'], [404, 'retry']] as const
  for (const [status, expected] of answers) {
    const run = setup([status])
    const kept = await run.deliver(sqsMessage(orderEvent(placed)))
    t.same({ kept: kept.length, parked: run.parked() }, outcome(expected), `webhook ${status}: ${expected}`)
  }
})

/** An SES endpoint that never answers: counts the requests it gets. */
async function silentSes (t: Test): Promise<{ url: string; requests: () => number }> {
  let requests = 0
  const held: ServerResponse[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests++
    req.resume()
    held.push(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const res of held) res.destroy()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests }
}

t.test('SendEmail is made once per delivery; without an answer it is counted and sent once more at most', async (t) => {
  const ses = await silentSes(t)
  // The silent server runs on this process's event loop: a timeout shorter than a stall of the loaded
  // machine would fire before the server reads the request, and the request would go uncounted.
  const env = { SES_ENDPOINT: ses.url, SES_REQUEST_TIMEOUT_MS: '1500', AWS_CONNECT_TIMEOUT_MS: '1500' }
  const run = setup([], { ses: undefined }, env)
  const m = sqsMessage(orderEvent(placed))
  const received = async (n: number): Promise<number> =>
    await until(`${n} SendEmail requests at the server`, () => ses.requests() >= n ? ses.requests() : undefined)
  t.same(await run.deliver(m), [m.messageId], 'retried later')
  t.equal(await received(1), 1, 'one SendEmail: the SDK does not retry it')
  t.same(run.runtime.metrics.counts.filter((c) => c.name === 'EmailsAmbiguous').length, 1, 'counted')
  t.same(await run.deliver(again(m, 2)), [], 'the second delivery sends it again, and takes it as sent')
  t.equal(await received(2), 2)
  t.ok(run.runtime.log.lines.some((l) => l.message === 'order email outcome unknown twice: taken as sent'))
  t.same(await run.deliver(again(m, 3)), [])
  t.equal(ses.requests(), 2, 'never a third time')
  t.same(run.calls, ['OrderPlaced'], 'the webhook once')
})

interface SdkClient { config: { maxAttempts: () => Promise<number>; requestHandler: unknown } }
type HandlerConfig = { configProvider: Promise<{ connectionTimeout: number; requestTimeout: number }> }

t.test('leases outlast their effect when every attempt of every call times out (the worker\'s clients)', async (t) => {
  const tuned = {
    AWS_REQUEST_TIMEOUT_MS: '5000',
    AWS_CONNECT_TIMEOUT_MS: '3000',
    SES_REQUEST_TIMEOUT_MS: '20000',
    WEBHOOK_TIMEOUT_MS: '9000'
  }
  for (const env of [{}, tuned]) {
    const local = { SES_ENDPOINT: 'http://127.0.0.1:9', DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' }
    const runtime = testRuntime({ ses: undefined }, { ...local, ...env })
    /** The worst case of one call of `client`, from its own settings and the SDK's backoff limits. */
    const worst = async (client: SdkClient): Promise<number> => {
      const attempts = await client.config.maxAttempts()
      const handler = await (client.config.requestHandler as HandlerConfig).configProvider
      let pauses = 0
      for (let i = 1; i < attempts; i++) pauses += Math.min(MAXIMUM_RETRY_DELAY, THROTTLING_RETRY_DELAY_BASE * 2 ** i)
      return attempts * (handler.connectionTimeout + handler.requestTimeout) + pauses
    }
    const ses = await sesOf(runtime)
    t.equal(await ses.config.maxAttempts(), 1, 'SendEmail is never retried by the SDK')
    const ddb = await dynamodbOf(runtime)
    const email = effectLeaseMs(runtime, 'email')
    t.ok(email > await worst(ddb) + await worst(ses), `email lease ${email} ms > suppression read + SendEmail`)
    const pauses = runtime.webhookRetryDelaysMs.length
    const webhookWorst = pauses * runtime.webhookMaxPauseMs + (pauses + 1) * runtime.config.webhookTimeoutMs
    const webhook = effectLeaseMs(runtime, 'warehouse-webhook')
    t.ok(webhook > webhookWorst + await worst(ddb), `webhook lease ${webhook} ms > every attempt, pause, key read`)
    ses.destroy()
    ddb.destroy()
  }
})
