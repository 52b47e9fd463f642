// Warm invocations per second of the API handler in one process (what a busy Lambda container
// does): GET /items/{id}, GET /orders and POST /orders against the hello bundle (the two order
// routes also against a build without the revocation step: what it costs), AWS stubbed in memory two ways:
// at the client (DynamoDBDocumentClient's send answers at once: the app and framework alone, the
// target row) and at the socket (the real SDK client does its middleware, signing and parsing,
// compared with the floor making the same GetItem). The API runs with the template's environment
// (bench/lib/env.ts); one row puts CORS and the access line back in the app. Each sample is a fresh
// process measuring for a fixed time; the variants alternate.
import { IN_APP_CORS_AND_ACCESS_LOG, NO_RATE_LIMITS, lambdaEnv } from '../lib/env.js'
import { STUB_HOST } from '../probes/in-memory-http.js'
import { runProbe } from '../lib/processes.js'
import { summarize } from '../lib/stats.js'
import { compare, type BenchCase, type Row } from '../lib/types.js'
import type { EventName } from '../lib/events.js'

export const warmApi: BenchCase = {
  name: 'warm API',
  async run (ctx) {
    // 7 samples a variant: one process's rate moves by up to 1.5x between samples on this shared VM.
    const rounds = ctx.quick ? 1 : 7
    const durationMs = ctx.quick ? 300 : 2000
    const env = lambdaEnv(`http://${STUB_HOST}:4566`)
    const variants: Array<{ label: string; bundle: string; event: EventName; env?: Record<string, string> }> = [
      { label: 'api GET /items/{id}, AWS stubbed at the client', bundle: 'api-sdk-stubbed', event: 'getItem' },
      { label: 'hello', bundle: 'hello', event: 'getItem' },
      {
        label: 'api GET /items/{id}, AWS stubbed at the client, CORS and access log in the app',
        bundle: 'api-sdk-stubbed',
        event: 'getItem',
        env: IN_APP_CORS_AND_ACCESS_LOG
      },
      { label: 'api POST /orders, AWS stubbed at the client', bundle: 'api-sdk-stubbed', event: 'postOrder' },
      {
        label: 'api POST /orders, AWS stubbed at the client, no revocation step',
        bundle: 'api-sdk-stubbed-no-revocation',
        event: 'postOrder'
      },
      { label: 'api GET /orders, AWS stubbed at the client', bundle: 'api-sdk-stubbed', event: 'listOrders' },
      {
        label: 'api GET /orders, AWS stubbed at the client, no revocation step',
        bundle: 'api-sdk-stubbed-no-revocation',
        event: 'listOrders'
      },
      { label: 'floor, AWS stubbed at the client', bundle: 'floor-sdk-stubbed', event: 'getItem' },
      { label: 'api GET /items/{id}, SDK over an in-memory socket', bundle: 'api', event: 'getItem' },
      { label: 'floor, SDK over an in-memory socket', bundle: 'floor', event: 'getItem' },
      { label: 'api POST /orders, SDK over an in-memory socket', bundle: 'api', event: 'postOrder' },
      // The rate limiter's cost: the limited routes with and without it (one DynamoDB call each).
      {
        label: 'api POST /orders, AWS stubbed at the client, no rate limits',
        bundle: 'api-sdk-stubbed',
        event: 'postOrder',
        env: NO_RATE_LIMITS
      },
      {
        label: 'api POST /orders, SDK over an in-memory socket, no rate limits',
        bundle: 'api',
        event: 'postOrder',
        env: NO_RATE_LIMITS
      },
      { label: 'api POST /signin, AWS stubbed at the client', bundle: 'api-sdk-stubbed', event: 'signin' },
      {
        label: 'api POST /signin, AWS stubbed at the client, no rate limits',
        bundle: 'api-sdk-stubbed',
        event: 'signin',
        env: NO_RATE_LIMITS
      },
      { label: 'api POST /signin, SDK over an in-memory socket', bundle: 'api', event: 'signin' },
      {
        label: 'api POST /signin, SDK over an in-memory socket, no rate limits',
        bundle: 'api',
        event: 'signin',
        env: NO_RATE_LIMITS
      }
    ]
    ctx.log(`warm API: ${variants.length} variants x ${rounds} rounds of ${durationMs} ms`)
    const samples = new Map<string, number[]>(variants.map((v) => [v.label, []]))
    const failed = new Map<string, string>()
    for (let i = 0; i < rounds; i++) {
      for (const v of variants) {
        if (failed.has(v.label)) continue
        try {
          const { result } = await runProbe<{ perSecond: number }>(ctx.built.probes.warm,
            [
              ctx.built.bundles[v.bundle] as string,
              ctx.events[v.event],
              String(durationMs)
            ], { ...env, ...v.env }, durationMs + 30_000)
          samples.get(v.label)?.push(result.perSecond)
        } catch (err) {
          failed.set(v.label, (err as Error).message)
          ctx.log(`  ${v.label}: ${(err as Error).message}`)
        }
      }
    }
    const rows: Row[] = []
    const row = (label: string, baseline: string, limit?: number): void => {
      const s = samples.get(label) ?? []
      if (s.length === 0) {
        rows.push({
          case: 'warm API',
          measured: `${label}: invocations/s`,
          unit: '/s',
          summary: summarize([]),
          note: `did not run: ${failed.get(label) ?? ''}`
        })
        return
      }
      const base = samples.get(baseline) ?? []
      rows.push(compare({
        case: 'warm API',
        measured: `${label}: invocations/s`,
        unit: '/s',
        summary: summarize(s),
        ...(base.length > 0 ? { baseline: { name: baseline, summary: summarize(base) } } : {}),
        better: 'higher',
        ...(limit !== undefined ? { target: `>= ${limit}x` } : {})
      }, limit))
    }
    row('api GET /items/{id}, AWS stubbed at the client', 'hello', 0.85)
    // As deployed (template), and with the two pieces of per-request work the template hands to
    // API Gateway done in the app, as in local runs: the cost of each place.
    row('api GET /items/{id}, AWS stubbed at the client, CORS and access log in the app', 'hello')
    row('api POST /orders, AWS stubbed at the client', 'hello', 0.5)
    row('api GET /orders, AWS stubbed at the client', 'hello')
    // What revocation costs a warm request: the check against a build without it (Cognito is asked
    // once per user and bound; a warm container answers from its memory).
    row(
      'api POST /orders, AWS stubbed at the client',
      'api POST /orders, AWS stubbed at the client, no revocation step'
    )
    row('api GET /orders, AWS stubbed at the client', 'api GET /orders, AWS stubbed at the client, no revocation step')
    row('floor, AWS stubbed at the client', 'hello')
    // The real SDK client per call (hello makes no AWS call; the floor makes the same GetItem).
    row('api GET /items/{id}, SDK over an in-memory socket', 'floor, SDK over an in-memory socket')
    row('floor, SDK over an in-memory socket', 'hello')
    row('api POST /orders, SDK over an in-memory socket', 'hello')
    // The rate limiter: each limited route against itself without it, same run.
    for (const route of ['POST /orders', 'POST /signin']) {
      for (const aws of ['AWS stubbed at the client', 'SDK over an in-memory socket']) {
        row(`api ${route}, ${aws}`, `api ${route}, ${aws}, no rate limits`)
      }
    }
    row('api POST /signin, SDK over an in-memory socket, no rate limits', 'hello')
    return rows
  }
}
