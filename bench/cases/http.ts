// HTTP read and write over the local server and DynamoDB Local, each against the same work done by
// raw SDK calls at the same concurrency in the same run (A B A B ... rounds, after one unmeasured
// round that warms the server's and DynamoDB Local's JITs: WARM_UP_MS). The API runs as `npm start` runs it,
// in a child process (bench/lib/stack.ts); the load comes from autocannon, 10 connections.
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { STUB_SHIPPING_ADDRESS, stubItem } from '../lib/aws-stub.js'
import { orderTransaction } from '../lib/order-calls.js'
import { BARE_HTTP_SERVER, batchPut, freshTables, requireStack, startApi } from '../lib/stack.js'
import { quantile, summarize, type Summary } from '../lib/stats.js'
import { compare, type BenchCase, type BenchContext, type Row } from '../lib/types.js'

const CONNECTIONS = 10

export interface LoadResult {
  /** Successful (2xx) requests or operations per second. */
  perSecond: number
  p99Ms: number
  ok: number
  failed: number
  /** The first failure's status or message, for the report. */
  firstFailure?: string
}

interface AutocannonRequest { method?: string; path?: string; headers?: Record<string, string>; body?: string }
interface AutocannonResult {
  duration: number
  '2xx': number
  non2xx: number
  errors: number
  timeouts: number
  latency: { p99: number }
}
// autocannon ships no types; this is the part of its API the bench uses.
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: {
  url: string
  connections: number
  duration: number
  requests: Array<AutocannonRequest & {
    setupRequest?: (req: AutocannonRequest) => AutocannonRequest
    onResponse?: (status: number, body: string) => void
  }>
}) => Promise<AutocannonResult>

export interface HttpLoad {
  url: string
  method: 'GET' | 'POST'
  headers?: Record<string, string>
  /** Called for every request: a body and headers of its own (a fresh Idempotency-Key ...). */
  next?: () => { body?: string; headers?: Record<string, string> }
}

/** autocannon: `connections` connections, each sending its next request when the last is answered. */
export async function httpLoad (load: HttpLoad, connections: number, durationMs: number): Promise<LoadResult> {
  const u = new URL(load.url)
  const next = load.next
  let firstFailure: string | undefined
  const result = await autocannon({
    url: u.origin,
    connections,
    duration: durationMs / 1000,
    requests: [{
      method: load.method,
      path: `${u.pathname}${u.search}`,
      headers: load.headers,
      ...(next === undefined
        ? {}
        : {
            setupRequest: (req: AutocannonRequest) => {
              const n = next()
              return {
                ...req,
                ...(n.body !== undefined ? { body: n.body } : {}),
                headers: { ...req.headers, ...n.headers }
              }
            }
          }),
      onResponse: (status: number, body: string) => {
        if ((status < 200 || status >= 300) && firstFailure === undefined) {
          firstFailure = `${status} ${String(body).slice(0, 200)}`
        }
      }
    }]
  })
  const failed = result.non2xx + result.errors + result.timeouts
  if (firstFailure === undefined && failed > 0) {
    firstFailure = `${result.errors} connection errors, ${result.timeouts} timeouts`
  }
  return {
    perSecond: result['2xx'] / result.duration,
    p99Ms: result.latency.p99,
    ok: result['2xx'],
    failed,
    firstFailure
  }
}

/** The baselines' load: `concurrency` loops, each awaiting `op` one call after another, for `durationMs`. */
export async function loops (op: () => Promise<unknown>, concurrency: number, durationMs: number): Promise<LoadResult> {
  const latencies: number[] = []
  let failed = 0
  let firstFailure: string | undefined
  const started = performance.now()
  const until = started + durationMs
  const loop = async (): Promise<void> => {
    while (performance.now() < until) {
      const t = performance.now()
      try {
        await op()
        latencies.push(performance.now() - t)
      } catch (err) {
        failed++
        firstFailure ??= `${(err as Error).name}: ${(err as Error).message}`
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  const seconds = (performance.now() - started) / 1000
  return {
    perSecond: latencies.length / seconds,
    p99Ms: quantile(latencies, 0.99),
    ok: latencies.length,
    failed,
    firstFailure
  }
}

interface Variant { label: string; run: (durationMs: number) => Promise<LoadResult> }

/**
 * Unmeasured load on each variant before the measured rounds. The API has far more code to
 * JIT-compile than a raw SDK loop or the bare server: measured by the server's CPU time per GET,
 * after 0.7 s of load the API spent 1213 us against the bare server's 808, after 4 s 831 against
 * 818. Throughput is compared in that steady state, as a container serving traffic runs.
 */
const WARM_UP_MS = 4000
/** --quick's warm-up: enough for the first requests (a token's keys, the account check) to be answered. */
const QUICK_WARM_UP_MS = 1000

/**
 * Runs the variants round-robin after one unmeasured warm-up round (a short one in --quick). A failure rate above 1 %
 * fails the case (the numbers would measure error paths); fewer are counted for the note.
 */
async function interleave (ctx: BenchContext, what: string, variants: Variant[]): Promise<Map<string, LoadResult[]>> {
  const rounds = ctx.quick ? 1 : 5
  const durationMs = ctx.quick ? 400 : 2000
  ctx.log(`${what}: ${variants.length} variants x ${rounds} rounds of ${durationMs} ms, ${CONNECTIONS} concurrent`)
  const results = new Map<string, LoadResult[]>(variants.map((v) => [v.label, []]))
  // --quick has a short warm-up round: it checks that the case runs, its numbers mean nothing, but
  // on a loaded machine the first requests of a cold server may take longer than its round.
  for (let i = -1; i < rounds; i++) {
    for (const v of variants) {
      const r = await v.run(i < 0 ? (ctx.quick ? QUICK_WARM_UP_MS : WARM_UP_MS) : durationMs)
      if (r.ok === 0 || r.failed > r.ok / 100) {
        throw new Error(`${v.label}: ${r.failed} of ${r.ok + r.failed} failed (first: ${r.firstFailure ?? 'none'})`)
      }
      if (i >= 0) results.get(v.label)?.push(r)
    }
  }
  return results
}

const failures = (results: LoadResult[]): string => {
  const n = results.reduce((a, r) => a + r.failed, 0)
  return n === 0
    ? ''
    : `; ${n} non-2xx/errors left out (first: ${results.find((r) => r.firstFailure)?.firstFailure ??
    ''})`
}

export const ITEM_ID = 'bench-item-1'

/**
 * Two report rows around the bare HTTP server: the API against it (what the app adds to any
 * HTTP server making the same calls) and it against the raw SDK loops (what the HTTP hop and the
 * load generator cost on this machine, with no app at all).
 */
function bareRows (
  caseName: string,
  measured: string,
  api: LoadResult[],
  bare: LoadResult[],
  sdk: { name: string; results: LoadResult[] }
): Row[] {
  const rate = (r: LoadResult[]): Summary => summarize(r.map((x) => x.perSecond))
  return [
    compare({
      case: caseName,
      measured: `${measured} vs the bare HTTP server`,
      unit: '/s',
      summary: rate(api),
      baseline: { name: 'bare HTTP server', summary: rate(bare) },
      better: 'higher'
    }),
    compare({
      case: caseName,
      measured: 'bare HTTP server (node:http, no framework): requests/s',
      unit: '/s',
      summary: rate(bare),
      baseline: { name: sdk.name, summary: rate(sdk.results) },
      better: 'higher',
      note: 'the same calls behind node:http and the same load generator: what the HTTP hop and the load generator ' +
        'alone cost on this machine'
    })
  ]
}

export const httpRead: BenchCase = {
  name: 'HTTP read',
  needsStack: true,
  async run (ctx) {
    const stack = requireStack(ctx)
    const tables = await freshTables(stack, 'read')
    try {
      await batchPut(stack.ddb, tables.names.items, [stubItem(ITEM_ID)])
      const api = await startApi(stack, tables.env)
      const bareServer = await startApi(stack, tables.env, BARE_HTTP_SERVER).catch(
        async (err: unknown) => { await api.stop(); throw err }
      )
      try {
        const http = 'api GET /items/{id}'
        const sdk = 'raw SDK GetItem'
        const bare = 'bare HTTP server GET (node:http + GetItem)'
        const s = await interleave(ctx, 'HTTP read', [
          {
            label: http,
            run: async (ms) => httpLoad({ url: `${api.url}/items/${ITEM_ID}`, method: 'GET' }, CONNECTIONS, ms)
          },
          {
            label: sdk,
            run: async (ms) => loops(
              () => stack.ddb.send(new GetCommand({ TableName: tables.names.items, Key: { id: ITEM_ID } })),
              CONNECTIONS,
              ms
            )
          },
          {
            label: bare,
            run: async (ms) => httpLoad({ url: `${bareServer.url}/items/${ITEM_ID}`, method: 'GET' }, CONNECTIONS, ms)
          }
        ])
        const a = s.get(http) ?? []
        const b = s.get(sdk) ?? []
        const c = s.get(bare) ?? []
        return [
          compare({
            case: 'HTTP read',
            measured: 'GET /items/{id}: requests/s',
            unit: '/s',
            summary: summarize(a.map((r) => r.perSecond)),
            baseline: { name: sdk, summary: summarize(b.map((r) => r.perSecond)) },
            better: 'higher',
            target: '>= 0.8x',
            note: `${CONNECTIONS} connections vs ${CONNECTIONS} concurrent GetItem loops on the same DynamoDB ` +
              `Local${failures(a)}`
          }, 0.8),
          compare({
            case: 'HTTP read',
            measured: 'GET /items/{id}: p99',
            unit: 'ms',
            summary: summarize(a.map((r) => r.p99Ms)),
            baseline: { name: sdk, summary: summarize(b.map((r) => r.p99Ms)) },
            better: 'lower'
          }),
          ...bareRows('HTTP read', 'GET /items/{id}: requests/s', a, c, { name: sdk, results: b })
        ]
      } finally {
        await Promise.all([api.stop(), bareServer.stop()])
      }
    } finally {
      await tables.drop()
    }
  }
}

/** Items the write loads rotate over: concurrent transactions on one item would only measure conflicts. */
const WRITE_ITEMS = 10

export const httpWrite: BenchCase = {
  name: 'HTTP write',
  needsStack: true,
  async run (ctx) {
    const stack = requireStack(ctx)
    const tables = await freshTables(stack, 'write')
    const ids = Array.from({ length: WRITE_ITEMS }, (_, i) => `bench-item-${i}`)
    const { orders, items, idempotency } = tables.names
    try {
      // Stock enough that nothing is ever short: the bench measures placing, not refusing.
      await batchPut(stack.ddb, items, ids.map((id) => ({ ...stubItem(id), stock: 1_000_000_000 })))
      // One user places every order: its rate limit is raised out of the way, not switched off, so
      // each order still pays the limiter's counter as deployed.
      const api = await startApi(stack, { ...tables.env, RATE_LIMIT_ORDERS_PER_USER: '100000' })
      const bareServer = await startApi(stack, tables.env, BARE_HTTP_SERVER).catch(
        async (err: unknown) => { await api.stop(); throw err }
      )
      const userId = `bench-user-${randomUUID()}`
      const token = stack.issuer.token({ sub: userId, email: `${userId}@bench.example.com` })
      let n = 0
      const nextItem = (): string => ids[n++ % ids.length] as string
      const transaction = orderTransaction(stack.ddb, { items, orders, idempotency }, userId)
      const orderBody = (): { body: string } => ({
        body: JSON.stringify({
          items: [{ id: nextItem(), count: 1, color: 'BLK' }], shippingAddress: STUB_SHIPPING_ADDRESS
        })
      })
      try {
        const http = 'api POST /orders'
        const tx = 'raw SDK TransactWriteItems'
        const bare = 'bare HTTP server POST (node:http + the transaction)'
        const s = await interleave(ctx, 'HTTP write', [
          {
            label: http,
            run: async (ms) => httpLoad({
              url: `${api.url}/orders`,
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              next: () => ({ ...orderBody(), headers: { 'idempotency-key': randomUUID() } })
            }, CONNECTIONS, ms)
          },
          { label: tx, run: async (ms) => loops(async () => await transaction(nextItem()), CONNECTIONS, ms) },
          {
            label: bare,
            run: async (ms) => httpLoad(
              {
                url: `${bareServer.url}/orders`,
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                next: orderBody
              },
              CONNECTIONS,
              ms
            )
          }
        ])
        const get = (label: string): number[] => (s.get(label) ?? []).map((r) => r.perSecond)
        const p99 = (label: string): number[] => (s.get(label) ?? []).map((r) => r.p99Ms)
        const rows: Row[] = [
          compare({
            case: 'HTTP write',
            measured: 'POST /orders: orders/s',
            unit: '/s',
            summary: summarize(get(http)),
            baseline: { name: tx, summary: summarize(get(tx)) },
            better: 'higher',
            target: '>= 0.7x',
            note: `${CONNECTIONS} connections, a fresh Idempotency-Key each, rotating over ${WRITE_ITEMS} items; ` +
              'the baseline is the route\'s transaction (order, stock conditioned on the priced item, the key\'s ' +
                'record), the one call the route makes ' +
              `once its container knows the items (each item's first order also reads it)${failures(s.get(http) ?? [])}`
          }, 0.7),
          compare({
            case: 'HTTP write',
            measured: 'POST /orders: p99',
            unit: 'ms',
            summary: summarize(p99(http)),
            baseline: { name: tx, summary: summarize(p99(tx)) },
            better: 'lower'
          }),
          ...bareRows(
            'HTTP write',
            'POST /orders: orders/s',
            s.get(http) ?? [],
            s.get(bare) ?? [],
            { name: tx, results: s.get(tx) ?? [] }
          )
        ]
        return rows
      } finally {
        await Promise.all([api.stop(), bareServer.stop()])
      }
    } finally {
      await tables.drop()
    }
  }
}
