// Cold starts: a fresh `node` process per sample imports a bundle and answers one event. All the
// variants of a group run round-robin (A B C A B C ...), so a noisy moment on the machine hits
// every variant alike; each variant is compared with its baseline's samples from the same rounds.
import { execFileSync } from 'node:child_process'
import { MISSING_TABLE, startAwsStub } from '../lib/aws-stub.js'
import { lambdaEnv } from '../lib/env.js'
import { onExit, runProbe } from '../lib/processes.js'
import { summarize, type Summary } from '../lib/stats.js'
import { compare, type BenchCase, type BenchContext, type Row } from '../lib/types.js'
import type { EventName } from '../lib/events.js'
import { ensureNode22 } from '../../scripts/node22.js'

interface ColdSample { totalMs: number; maxRssMiB: number; wallMs: number }
interface Variant {
  label: string
  bundle: string
  event: EventName
  status: number
  /** The Node binary (default: this process's). */
  node?: string
  /** Variables over the template's environment (lib/env.ts). */
  env?: Record<string, string>
}

async function rounds (ctx: BenchContext, variants: Variant[], n: number): Promise<Map<string, ColdSample[]>> {
  const stub = await startAwsStub()
  const unregister = onExit(stub.close)
  const samples = new Map<string, ColdSample[]>(variants.map((v) => [v.label, []]))
  try {
    const env = lambdaEnv(stub.endpoint)
    // One unmeasured round first: the OS file cache, not the bundle, would otherwise pay it.
    for (let i = -1; i < n; i++) {
      for (const v of variants) {
        const bundle = ctx.built.bundles[v.bundle]
        if (bundle === undefined) throw new Error(`no bundle ${v.bundle}`)
        const { result, wallMs } = await runProbe<{ totalMs: number; maxRssMiB: number; status: number }>(
          ctx.built.probes.cold, [bundle, ctx.events[v.event]], { ...env, ...v.env }, undefined, v.node)
        if (result.status !== v.status) throw new Error(`${v.label} answered ${result.status}, expected ${v.status}`)
        if (i >= 0) samples.get(v.label)?.push({ totalMs: result.totalMs, maxRssMiB: result.maxRssMiB, wallMs })
      }
    }
  } finally {
    unregister()
    await stub.close()
  }
  return samples
}

/**
 * What Lambda sets in a container of a function with active X-Ray tracing, and TRACING=Active (the
 * template's default): the app then loads Powertools' Tracer at init and traces the invocation. The
 * daemon's address is a UDP port nobody listens on; sending to it costs what it costs in Lambda.
 */
const TRACING_ON = {
  TRACING: 'Active',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  LAMBDA_TASK_ROOT: '/var/task',
  _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
  AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR'
}

/**
 * The template's former NODE_OPTIONS: Node reads and parses each module's source map as it loads
 * it. The bundles now map a stack only when one is formatted (core/source-mapped-stacks.ts); these
 * variants measure what the flag would cost, and the API against the floor as it was with it.
 */
const EAGER_SOURCE_MAPS = { NODE_OPTIONS: '--enable-source-maps' }

const metrics = [
  { key: 'totalMs', what: 'import to response', unit: 'ms' },
  { key: 'wallMs', what: 'process wall time', unit: 'ms' },
  { key: 'maxRssMiB', what: 'peak RSS', unit: 'MiB' }
] as const

function rowsFor (
  caseName: string,
  label: string,
  mine: ColdSample[],
  baseName: string,
  base: ColdSample[],
  limit?: number,
  targetText?: string
): Row[] {
  return metrics.map((m) => {
    const s: Summary = summarize(mine.map((x) => x[m.key]))
    const b: Summary = summarize(base.map((x) => x[m.key]))
    return compare({
      case: caseName,
      measured: `${label}: ${m.what}`,
      unit: m.unit,
      summary: s,
      baseline: { name: baseName, summary: b },
      better: 'lower',
      ...(m.key === 'totalMs' && targetText !== undefined ? { target: targetText } : {})
    }, m.key === 'totalMs' ? limit : undefined)
  })
}

/**
 * What --enable-source-maps costs: the API with it against the floor with it (the configuration before), and against
 * the API without.
 */
function sourceMapRows (
  caseName: string,
  suffix: string,
  api: ColdSample[],
  apiEager: ColdSample[],
  floorEager: ColdSample[]
): Row[] {
  return [
    ...rowsFor(
      caseName,
      `api GET /items/{id}${suffix}, both with NODE_OPTIONS=--enable-source-maps (before)`,
      apiEager,
      'floor with it',
      floorEager
    ).slice(0, 1),
    ...rowsFor(
      caseName,
      `api GET /items/{id}${suffix} with --enable-source-maps (before) vs stacks mapped when formatted (the ` +
        'template\'s)',
      apiEager,
      'without',
      api
    ).slice(0, 1)
  ]
}

export const apiColdStart: BenchCase = {
  name: 'cold start',
  async run (ctx) {
    const n = ctx.quick ? 2 : Number(process.env.BENCH_COLD_ROUNDS ?? 12)
    const variants: Variant[] = [
      { label: 'api GET /items/{id}', bundle: 'api', event: 'getItem', status: 200 },
      { label: 'floor', bundle: 'floor', event: 'getItem', status: 200 },
      { label: 'hello', bundle: 'hello', event: 'getItem', status: 200 },
      { label: 'api POST /signin', bundle: 'api', event: 'signin', status: 200 },
      { label: 'api GET /docs', bundle: 'api', event: 'docs', status: 200 },
      {
        label: 'api GET /items/{id}, OpenAPI built at init (before)',
        bundle: 'api-live-openapi',
        event: 'getItem',
        status: 200
      },
      {
        label: 'api GET /items/{id}, schemas compiled at init (before)',
        bundle: 'api-eager-compile',
        event: 'getItem',
        status: 200
      },
      {
        label: 'api GET /items/{id}, schemas compiled on first use',
        bundle: 'api-first-use-compile',
        event: 'getItem',
        status: 200
      },
      { label: 'api GET /items/{id}, tracing on', bundle: 'api', event: 'getItem', status: 200, env: TRACING_ON },
      {
        label: 'api GET /items/{id}, --enable-source-maps',
        bundle: 'api',
        event: 'getItem',
        status: 200,
        env: EAGER_SOURCE_MAPS
      },
      { label: 'floor, --enable-source-maps', bundle: 'floor', event: 'getItem', status: 200, env: EAGER_SOURCE_MAPS }
    ]
    ctx.log(`cold start: ${variants.length} variants x ${n} rounds`)
    const s = await rounds(ctx, variants, n)
    const get = (label: string): ColdSample[] => s.get(label) ?? []
    const api = get('api GET /items/{id}')
    return [
      ...rowsFor('cold start', 'api GET /items/{id}', api, 'floor', get('floor'), 1.15, '<= 1.15x'),
      ...rowsFor('cold start', 'api GET /items/{id}', api, 'hello', get('hello')).slice(0, 1),
      ...rowsFor('cold start', 'floor', get('floor'), 'hello', get('hello')).slice(0, 1),
      ...rowsFor('cold start, other routes', 'api POST /signin', get('api POST /signin'), 'floor', get('floor')),
      ...rowsFor('cold start, other routes', 'api GET /docs', get('api GET /docs'), 'floor', get('floor')),
      ...rowsFor(
        'cold start, tracing on',
        'api GET /items/{id}, X-Ray tracing on (TRACING=Active)',
        get('api GET /items/{id}, tracing on'),
        'floor',
        get('floor')
      ),
      ...rowsFor(
        'cold start, tracing on',
        'api GET /items/{id}, tracing on',
        get('api GET /items/{id}, tracing on'),
        'tracing off',
        api
      ).slice(0, 1),
      ...sourceMapRows(
        'cold start, source maps',
        '',
        api,
        get('api GET /items/{id}, --enable-source-maps'),
        get('floor, --enable-source-maps')
      ),
      ...rowsFor('optimisation', 'prebuilt OpenAPI (after) vs built at init (before)', api, 'before',
        get('api GET /items/{id}, OpenAPI built at init (before)')),
      ...rowsFor('optimisation', 'validators/serializers compiled on first use (after) vs all at init (before)',
        get('api GET /items/{id}, schemas compiled on first use'), 'before', get(
          'api GET /items/{id}, schemas compiled at init (before)'
        )),
      ...rowsFor('optimisation', 'validators/serializers compiled at build time (after) vs on first use ' +
        '(before)', api, 'before',
      get('api GET /items/{id}, schemas compiled on first use'))
    ]
  }
}

export const workerColdStart: BenchCase = {
  name: 'cold start, worker',
  async run (ctx) {
    const n = ctx.quick ? 2 : 10
    const variants: Variant[] = [
      { label: 'worker, one stream record', bundle: 'worker', event: 'streamRecord', status: 200 },
      { label: 'worker-plain', bundle: 'worker-plain', event: 'streamRecord', status: 200 },
      {
        label: 'worker, one stream record, tracing on',
        bundle: 'worker',
        event: 'streamRecord',
        status: 200,
        env: TRACING_ON
      }
    ]
    ctx.log(`worker cold start: ${variants.length} variants x ${n} rounds`)
    const s = await rounds(ctx, variants, n)
    const worker = s.get(variants[0]!.label) ?? []
    return [
      ...rowsFor(
        'cold start, worker',
        'worker, one stream record',
        worker,
        'worker-plain',
        s.get('worker-plain') ?? [],
        1.1,
        '<= 1.1x'
      ),
      ...rowsFor(
        'cold start, tracing on',
        'worker, one stream record, tracing on',
        s.get(variants[2]!.label) ?? [],
        'tracing off',
        worker
      ).slice(0, 1)
    ]
  }
}

/**
 * The cold starts on Node 22, the Lambda runtime's version (scripts/node22.ts finds or installs it):
 * the API against the floor and the worker against its plain handler, both on Node 22, with the
 * same targets; the API on Node 22 against the API on this machine's Node; what
 * NODE_OPTIONS=--enable-source-maps (the template's until Node 22 made it costly: it reads the map
 * of every module it loads at load time) would cost there; and what the first logged error costs a
 * container now that its stack is mapped when formatted: a cold start whose first request answers
 * a logged 500 (the stub's missing table) against the same GET answered 200.
 */
export const node22ColdStart: BenchCase = {
  name: 'cold start, Node 22',
  async run (ctx) {
    const n = ctx.quick ? 2 : Number(process.env.BENCH_COLD_ROUNDS ?? 10)
    const node22 = ensureNode22(process.env, ctx.log)
    const version = execFileSync(node22, ['--version'], { encoding: 'utf8' }).trim()
    const on22 = (label: string): string => `${label} (Node ${version})`
    const variants: Variant[] = [
      { label: on22('api GET /items/{id}'), bundle: 'api', event: 'getItem', status: 200, node: node22 },
      { label: on22('floor'), bundle: 'floor', event: 'getItem', status: 200, node: node22 },
      { label: on22('worker, one stream record'), bundle: 'worker', event: 'streamRecord', status: 200, node: node22 },
      { label: on22('worker-plain'), bundle: 'worker-plain', event: 'streamRecord', status: 200, node: node22 },
      {
        label: on22('api, node:http imported (before)'),
        bundle: 'api-esm-http',
        event: 'getItem',
        status: 200,
        node: node22
      },
      {
        label: on22('worker, node:http imported (before)'),
        bundle: 'worker-esm-http',
        event: 'streamRecord',
        status: 200,
        node: node22
      },
      { label: `api GET /items/{id} (Node ${process.version})`, bundle: 'api', event: 'getItem', status: 200 },
      {
        label: on22('api GET /items/{id}, --enable-source-maps'),
        bundle: 'api',
        event: 'getItem',
        status: 200,
        node: node22,
        env: EAGER_SOURCE_MAPS
      },
      {
        label: on22('floor, --enable-source-maps'),
        bundle: 'floor',
        event: 'getItem',
        status: 200,
        node: node22,
        env: EAGER_SOURCE_MAPS
      },
      {
        label: on22('api GET /items/{id} answering a logged 500'),
        bundle: 'api',
        event: 'getItem',
        status: 500,
        node: node22,
        env: { ITEMS_TABLE: MISSING_TABLE }
      }
    ]
    ctx.log(`cold start on Node ${version}: ${variants.length} variants x ${n} rounds`)
    const s = await rounds(ctx, variants, n)
    const get = (label: string): ColdSample[] => s.get(label) ?? []
    const [api, floor, worker, plain, apiEsmHttp, workerEsmHttp, apiHere, apiEager, floorEager, first500] =
      variants.map((v) => get(v.label)) as Array<ColdSample[]>
    return [
      ...rowsFor('cold start, Node 22', on22('api GET /items/{id}'), api, on22('floor'), floor, 1.15, '<= 1.15x'),
      ...rowsFor(
        'cold start, Node 22',
        on22('worker, one stream record'),
        worker,
        on22('worker-plain'),
        plain,
        1.1,
        '<= 1.1x'
      ),
      ...(version.split('.')[0] === process.version.split('.')[0]
        ? []
        : rowsFor(
          'cold start, Node 22',
          on22('api GET /items/{id}'),
          api,
          `the same on Node ${process.version}`,
          apiHere
        ).slice(0, 1)),
      ...rowsFor('optimisation, Node 22', on22('api: node:http required (after) vs imported as an ES module (before)'),
        api, 'before', apiEsmHttp),
      ...rowsFor('optimisation, Node 22', on22(
        'worker: node:http required (after) vs imported as an ES module (before)'
      ),
      worker, 'before', workerEsmHttp),
      ...sourceMapRows('cold start, Node 22', ` (Node ${version})`, api, apiEager, floorEager),
      ...rowsFor(
        'cold start, Node 22',
        on22('api, first request a logged 500 (its stack mapped: the maps read then)'),
        first500,
        'the same GET answered 200',
        api
      ).slice(0, 1)
    ]
  }
}
