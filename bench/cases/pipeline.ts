// The pipeline: how long after an order's 201 its warehouse webhook arrives, with the worker run
// exactly as `npm start` runs it (startLocalWorker: the stream poller standing in for the event
// source mapping, the local bus routing by the template's rules, the partner simulator receiving
// the signed webhooks) against DynamoDB Local's stream and the SES emulator. Orders are placed over
// HTTP a few at a time; each batch waits for its webhooks. No baseline: the target is a p50 < 1 s.
import { randomUUID } from 'node:crypto'
import { loadConfig } from '../../core/config.js'
import { reservePort } from '../../local/emulators/process.js'
import { startSesLocal } from '../../local/emulators/ses.js'
import { localWorkerEnv, startLocalWorker, type LocalWorker } from '../../local/worker.js'
import type { ReceivedWebhook } from '../../local/partner-simulator.js'
import type { WorkerLog } from '../../workers/runtime.js'
import { STUB_SHIPPING_ADDRESS, stubItem } from '../lib/aws-stub.js'
import { onExit } from '../lib/processes.js'
import { batchPut, freshTables, requireStack, startApi } from '../lib/stack.js'
import { quantile, summarize } from '../lib/stats.js'
import type { BenchCase, Row } from '../lib/types.js'

const ITEM_ID = 'bench-item-1'
const AT_A_TIME = 5
const WEBHOOK_TIMEOUT_MS = 20_000
/** local/stream-poller.ts's pause between polls of a quiet stream (startLocalWorker sets none). */
export const POLL_INTERVAL_MS = 250

/**
 * Arrival times of the warehouse's OrderPlaced webhooks, by order id, read from the partner
 * simulator's list of received webhooks each time it logs one (it logs right after recording).
 */
export function webhookClock (): {
  onLog: () => void
  attach: (received: ReceivedWebhook[]) => void
  arrival: (orderId: string) => Promise<number>
} {
  let list: ReceivedWebhook[] = []
  let seen = 0
  const arrived = new Map<string, number>()
  const waiters = new Map<string, (at: number) => void>()
  return {
    attach: (received) => { list = received; seen = 0 },
    onLog: () => {
      const now = performance.now()
      for (; seen < list.length; seen++) {
        const w = list[seen] as ReceivedWebhook
        const id = (w.body as { order?: { id?: unknown } } | undefined)?.order?.id
        if (w.partner !== 'warehouse' || w.eventType !== 'OrderPlaced' || !w.signatureOk || typeof id !== 'string' ||
          arrived.has(id)) {
          continue
        }
        arrived.set(id, now)
        waiters.get(id)?.(now)
      }
    },
    arrival: async (orderId) => {
      const at = arrived.get(orderId)
      if (at !== undefined) return at
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(orderId)
          reject(new Error(`no warehouse webhook for order ${orderId} within ${WEBHOOK_TIMEOUT_MS} ms`))
        }, WEBHOOK_TIMEOUT_MS)
        waiters.set(orderId, (t) => { clearTimeout(timer); waiters.delete(orderId); resolve(t) })
      })
    }
  }
}

export const pipeline: BenchCase = {
  name: 'pipeline',
  needsStack: true,
  async run (ctx) {
    const stack = requireStack(ctx)
    const orders = ctx.quick ? 10 : 50
    const stops: Array<() => Promise<void>> = []
    const stopAll = async (): Promise<void> => { for (const s of stops.reverse()) await s().catch(() => {}) }
    const unregister = onExit(stopAll)
    const problems: string[] = []
    try {
      const tablesSince = new Date(Date.now() - 1000)
      const tables = await freshTables(stack, 'pipeline')
      stops.push(tables.drop)
      await batchPut(stack.ddb, tables.names.items, [{ ...stubItem(ITEM_ID), stock: 1_000_000_000 }])
      const sesPort = await reservePort('the SES emulator')
      const ses = await startSesLocal({ port: sesPort })
      stops.push(ses.stop)
      const workerEnv = await localWorkerEnv({ EVENTBUS_PORT: '0', PARTNER_PORT: '0' })
      // One user places the 50 orders within a minute: its order limit is raised out of the way.
      const env = { ...tables.env, ...workerEnv, SES_ENDPOINT: ses.endpoint, RATE_LIMIT_ORDERS_PER_USER: '100000' }
      const api = await startApi(stack, env)
      stops.push(api.stop)
      // METRICS on, as deployed: the worker's metric lines are part of its cost.
      const config = loadConfig({
        ...stack.env, STAGE: 'local', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', METRICS: 'on', ...env
      })
      const clock = webhookClock()
      const keep = (level: string) => (message: string, extra: Record<string, unknown> = {}) => {
        if (problems.length < 5) problems.push(`${level}: ${message} ${JSON.stringify(extra).slice(0, 200)}`)
      }
      const quiet: WorkerLog = { debug: () => {}, info: () => {}, warn: keep('warn'), error: keep('error') }
      const worker: LocalWorker = await startLocalWorker({
        config,
        apiUrl: api.url,
        autoAdvance: false,
        partnerSimulator: true,
        freshTablesSince: tablesSince,
        log: quiet,
        partnerLog: clock.onLog
      })
      stops.push(worker.stop)
      if (worker.partners === undefined) throw new Error('the partner simulator did not start')
      clock.attach(worker.partners.received)

      const userId = `bench-user-${randomUUID()}`
      const token = stack.issuer.token({ sub: userId, email: `${userId}@bench.example.com` })
      const place = async (): Promise<number> => {
        const res = await fetch(`${api.url}/orders`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'idempotency-key': randomUUID()
          },
          body: JSON.stringify({
            items: [{ id: ITEM_ID, count: 1, color: 'BLK' }], shippingAddress: STUB_SHIPPING_ADDRESS
          })
        })
        const placedAt = performance.now()
        const body = await res.json() as { id?: string }
        if (res.status !== 201 || typeof body.id !== 'string') {
          throw new Error(`POST /orders answered ${res.status}: ${JSON.stringify(body).slice(0, 200)}`)
        }
        // Both clocks are this process's: when the event loop happens to handle the webhook before
        // the 201's body, the webhook arrived no later than the answer, which counts as 0 ms.
        return Math.max(0, (await clock.arrival(body.id)) - placedAt)
      }
      ctx.log(`pipeline: ${orders} orders, ${AT_A_TIME} at a time, each batch waiting for its webhooks`)
      await place() // unmeasured: the worker's first event loads its modules and opens its connections
      const latencies: number[] = []
      for (let done = 0; done < orders; done += AT_A_TIME) {
        latencies.push(...await Promise.all(Array.from({ length: Math.min(AT_A_TIME, orders - done) }, place)))
      }
      const s = summarize(latencies)
      const p95 = quantile(latencies, 0.95)
      const note = `${latencies.length} orders over HTTP, ${AT_A_TIME} at a time; the local stream poller reads a ` +
        'quiet stream every ' +
        `${POLL_INTERVAL_MS} ms (local/stream-poller.ts): a record waits for the next poll, up to ` +
          `${POLL_INTERVAL_MS} ms, ${POLL_INTERVAL_MS / 2} ms on average` +
        (problems.length > 0 ? `; worker warnings: ${problems.join(' | ')}` : '')
      const rows: Row[] = [
        {
          case: 'pipeline',
          measured: 'order 201 to warehouse webhook: p50',
          unit: 'ms',
          summary: s,
          target: '< 1000 ms',
          pass: s.median < 1000,
          note
        },
        {
          case: 'pipeline',
          measured: 'order 201 to warehouse webhook: p95',
          unit: 'ms',
          summary: { ...s, median: p95 }
        }
      ]
      return rows
    } finally {
      unregister()
      await stopAll()
    }
  }
}
