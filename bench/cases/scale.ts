// Scale: does a first page stay as fast when the data grows? p50 of GET /items?category= with
// 10,000 items in the table against 100, and of GET /orders for a user with 1,000 orders against 10.
// Each side has its own tables (seeded with parallel BatchWrites, in the shapes data/ stores) and
// its own API process; requests go one at a time, alternating between the sides in blocks.
import { randomUUID } from 'node:crypto'
import { stubItem, stubOrder } from '../lib/aws-stub.js'
import { batchPut, freshTables, requireStack, startApi, type BenchApi, type BenchStack, type BenchTables } from '../lib/stack.js'
import { summarize } from '../lib/stats.js'
import { compare, type BenchCase, type Row } from '../lib/types.js'

const CATEGORY = 'bench'
const PAGE = 20

interface Side { label: string; items: number; orders: number; tables: BenchTables; api: BenchApi }

export function sizes (quick: boolean): { big: { items: number; orders: number }; small: { items: number; orders: number } } {
  return quick
    ? { big: { items: 1000, orders: 100 }, small: { items: 100, orders: 10 } }
    : { big: { items: 10_000, orders: 1000 }, small: { items: 100, orders: 10 } }
}

async function side (stack: BenchStack, label: string, items: number, orders: number, userId: string): Promise<Side> {
  const tables = await freshTables(stack, label)
  try {
    await Promise.all([
      batchPut(stack.ddb, tables.names.items, Array.from({ length: items }, (_, i) => {
        const id = `bench-${String(i).padStart(6, '0')}`
        return { ...stubItem(id), category: CATEGORY }
      })),
      batchPut(stack.ddb, tables.names.orders, Array.from({ length: orders }, (_, i) => stubOrder(i, userId)))
    ])
    return { label, items, orders, tables, api: await startApi(stack, tables.env) }
  } catch (err) {
    await tables.drop()
    throw err
  }
}

/** One request's latency in ms; the answer is checked, so a fast error never passes for a fast page. */
async function timed (url: string, headers: Record<string, string>, expected: number, list: 'items' | 'orders'): Promise<number> {
  const t = performance.now()
  const res = await fetch(url, { headers })
  const body = await res.json() as Record<string, unknown[] | undefined>
  const ms = performance.now() - t
  if (res.status !== 200 || body[list]?.length !== expected) {
    throw new Error(`GET ${new URL(url).pathname} answered ${res.status} with ${body[list]?.length ?? 'no'} ${list}, expected ${expected}`)
  }
  return ms
}

export const scale: BenchCase = {
  name: 'scale',
  needsStack: true,
  async run (ctx) {
    const stack = requireStack(ctx)
    const size = sizes(ctx.quick)
    const userId = `bench-user-${randomUUID()}`
    const token = stack.issuer.token({ sub: userId, email: `${userId}@bench.example.com` })
    const seedStarted = performance.now()
    // Both sides at once: DynamoDB Local and the API processes start-up share the two cores well.
    const started = await Promise.allSettled([
      side(stack, 'big', size.big.items, size.big.orders, userId),
      side(stack, 'small', size.small.items, size.small.orders, userId)
    ])
    const ready = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    try {
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed !== undefined) throw failed.reason
      const [big, small] = ready as [Side, Side]
      const seedS = (performance.now() - seedStarted) / 1000
      ctx.log(`scale: seeded ${size.big.items} + ${size.small.items} items, ${size.big.orders} + ${size.small.orders} orders and started 2 APIs in ${seedS.toFixed(1)} s`)
      const perSide = ctx.quick ? 20 : 200
      const block = ctx.quick ? 10 : 20
      const queries: Array<{ name: string; path: string; headers: Record<string, string>; count: (s: Side) => number; list: 'items' | 'orders' }> = [
        { name: 'items', path: `/items?category=${CATEGORY}`, headers: {}, count: (s: Side) => Math.min(PAGE, s.items), list: 'items' },
        { name: 'orders', path: '/orders', headers: { authorization: `Bearer ${token}` }, count: (s: Side) => Math.min(PAGE, s.orders), list: 'orders' }
      ]
      const samples = new Map<string, number[]>()
      const sides = [big, small]
      // One unmeasured block per side and query first (JIT, connections, get-jwks' first fetch).
      for (let done = -block; done < perSide; done += block) {
        for (const q of queries) {
          for (const s of sides) {
            const key = `${q.name} ${s.label}`
            const list = samples.get(key) ?? []
            samples.set(key, list)
            for (let i = 0; i < block; i++) {
              const ms = await timed(`${s.api.url}${q.path}`, q.headers, q.count(s), q.list)
              if (done >= 0) list.push(ms)
            }
          }
        }
      }
      const row = (q: string, measured: string, what: string): Row => compare({
        case: 'scale',
        measured,
        unit: 'ms',
        summary: summarize(samples.get(`${q} big`) ?? []),
        baseline: { name: `${what} (small)`, summary: summarize(samples.get(`${q} small`) ?? []) },
        better: 'lower',
        target: '<= 1.2x',
        note: `p50 of ${perSide} sequential requests per side (min-max of single requests)` +
          (ctx.quick ? `; --quick: ${size.big.items} items and ${size.big.orders} orders instead of 10,000 and 1,000` : '')
      }, 1.2)
      return [
        row('items', `GET /items?category= first page, ${size.big.items} items: p50`, `${size.small.items} items`),
        row('orders', `GET /orders first page, ${size.big.orders} orders of the user: p50`, `${size.small.orders} orders`)
      ]
    } finally {
      for (const s of ready) {
        await s.api.stop()
        await s.tables.drop()
      }
    }
  }
}
