// Warm invocations per second of the API handler in one process (what a busy Lambda container
// does): GET /items/{id} and POST /orders, AWS answered in memory, against the hello bundle. Each
// sample is a fresh process measuring for a fixed time; the variants alternate.
import { lambdaEnv } from '../lib/env.js'
import { STUB_HOST } from '../probes/in-memory-http.js'
import { runProbe } from '../lib/processes.js'
import { summarize } from '../lib/stats.js'
import { compare, type BenchCase, type Row } from '../lib/types.js'
import type { EventName } from '../lib/events.js'

export const warmApi: BenchCase = {
  name: 'warm API',
  async run (ctx) {
    const rounds = ctx.quick ? 1 : 5
    const durationMs = ctx.quick ? 300 : 2000
    const env = lambdaEnv(`http://${STUB_HOST}:4566`)
    const variants: Array<{ label: string; bundle: string; event: EventName }> = [
      { label: 'api GET /items/{id}', bundle: 'api', event: 'getItem' },
      { label: 'hello', bundle: 'hello', event: 'getItem' },
      { label: 'floor', bundle: 'floor', event: 'getItem' },
      { label: 'api POST /orders', bundle: 'api', event: 'postOrder' }
    ]
    ctx.log(`warm API: ${variants.length} variants x ${rounds} rounds of ${durationMs} ms`)
    const samples = new Map<string, number[]>(variants.map((v) => [v.label, []]))
    const failed = new Map<string, string>()
    for (let i = 0; i < rounds; i++) {
      for (const v of variants) {
        if (failed.has(v.label)) continue
        try {
          const { result } = await runProbe<{ perSecond: number }>(ctx.built.probes.warm,
            [ctx.built.bundles[v.bundle] as string, ctx.events[v.event], String(durationMs)], env, durationMs + 30_000)
          samples.get(v.label)?.push(result.perSecond)
        } catch (err) {
          failed.set(v.label, (err as Error).message)
          ctx.log(`  ${v.label}: ${(err as Error).message}`)
        }
      }
    }
    const hello = summarize(samples.get('hello') ?? [])
    const rows: Row[] = []
    const row = (label: string, limit?: number): void => {
      const s = samples.get(label) ?? []
      if (s.length === 0) {
        rows.push({ case: 'warm API', measured: `${label}: invocations/s`, unit: '/s', summary: summarize([]), note: `did not run: ${failed.get(label) ?? ''}` })
        return
      }
      rows.push(compare({
        case: 'warm API', measured: `${label}: invocations/s`, unit: '/s', summary: summarize(s),
        baseline: { name: 'hello', summary: hello }, better: 'higher', ...(limit !== undefined ? { target: `>= ${limit}x` } : {})
      }, limit))
    }
    row('api GET /items/{id}', 0.85)
    row('api POST /orders')
    // The same GetItem through the same SDK, in the floor bundle: what is left is the app's own
    // per-request cost (hello makes no AWS call, so against it the SDK's per-call work counts).
    const floor = samples.get('floor') ?? []
    const api = samples.get('api GET /items/{id}') ?? []
    if (floor.length > 0 && api.length > 0) {
      rows.push(compare({
        case: 'warm API', measured: 'api GET /items/{id}: invocations/s', unit: '/s', summary: summarize(api),
        baseline: { name: 'floor', summary: summarize(floor) }, better: 'higher'
      }))
      rows.push(compare({
        case: 'warm API', measured: 'floor: invocations/s', unit: '/s', summary: summarize(floor),
        baseline: { name: 'hello', summary: hello }, better: 'higher'
      }))
    }
    return rows
  }
}
