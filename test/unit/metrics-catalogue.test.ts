// The dashboard and every alarm in infra/template.yaml against the metrics the code emits
// (core/metrics.ts's catalogue, the only names and dimensions the sink accepts): same namespace,
// same names, the same dimension names, `service` naming the function that emits the metric, and
// dimension values the code can produce. And every metric the code emits is on the dashboard.
import t from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadTemplate } from '../../infra/template.js'
import { METRICS, METRICS_NAMESPACE, type MetricName } from '../../core/metrics.js'

const template = loadTemplate()
const resources = template.Resources
const EMITTER_FUNCTION = { api: 'ApiFunction', worker: 'WorkerFunction' } as const
/** The values a dimension can take where the code fixes them (the others are open but bounded). */
const FIXED_VALUES: Record<string, string[]> = {
  Partner: ['warehouse', 'delivery'],
  Kind: ['bounce', 'complaint'],
  Queue: ['events', 'stream'],
  Outcome: ['stale', 'revoked', 'unavailable']
}

/**
 * A reference to one of our metrics: its name, and its dimensions (name -> value, or undefined when a SEARCH spans
 * them).
 */
interface Reference { where: string; namespace: string; name: string; dimensions: Record<string, string | undefined> }

// !Sub's ${Resource} and ${Resource.Attribute} become <<Resource>> so the body parses as JSON; a
// Number parameter becomes its default.
const placeholders = (text: string): string => text.replace(/\$\{([A-Za-z0-9:]+)(\.[A-Za-z]+)?\}/g, (
  _,
  name: string
) => {
  const param = template.Parameters?.[name]
  return param?.Type === 'Number' ? String(param.Default) : `<<${name}>>`
})

/** The assertions checkReference makes (tap's, or a recorder's in the test of the test). */
interface Asserts {
  same: (found: unknown, wanted: unknown, message: string) => unknown
  equal: (found: unknown, wanted: unknown, message: string) => unknown
  ok: (value: unknown, message: string) => unknown
  fail: (message: string) => unknown
}

function dashboardReferences (id: string, body: unknown): Reference[] {
  const text = (body as { 'Fn::Sub'?: unknown })['Fn::Sub']
  if (typeof text !== 'string') throw new Error(`${id}: DashboardBody is expected as !Sub of a JSON text`)
  const json = JSON.parse(placeholders(text)) as {
    widgets: Array<{ type: string; properties: { title?: string; metrics?: unknown[][] } }>
  }
  const refs: Reference[] = []
  for (const widget of json.widgets) {
    const where = `${id} widget "${widget.properties.title ?? widget.type}"`
    for (const entry of widget.properties.metrics ?? []) {
      const [first] = entry
      if (typeof first === 'string') {
        // [namespace, name, dim, value, dim, value, ..., { options }?]
        const parts = entry.filter((x): x is string => typeof x === 'string')
        const [namespace, name, ...pairs] = parts
        if (parts.includes('.')) throw new Error(`${where}: write each metric in full, no "." shorthand`)
        const dimensions: Record<string, string> = {}
        for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!
        refs.push({ where, namespace: namespace!, name: name!, dimensions })
      } else {
        const expression = String((first as { expression?: unknown }).expression ?? '')
        const search = /SEARCH\('\{([^}]*)\}([^']*)'/.exec(expression)
        if (search === null) continue
        const [namespace, ...dimensionNames] = search[1]!.split(',').map((s) => s.trim())
        const name = /MetricName="([^"]+)"/.exec(search[2]!)?.[1]
        if (name === undefined) throw new Error(`${where}: a SEARCH must name its metric (MetricName="...")`)
        const dimensions: Record<string, string | undefined> = Object.fromEntries(
          dimensionNames.map((d) => [d, undefined])
        )
        for (const m of search[2]!.matchAll(/(\w+)="([^"]*)"/g)) if (m[1] !== 'MetricName') dimensions[m[1]!] = m[2]
        refs.push({ where, namespace: namespace!, name, dimensions })
      }
    }
  }
  return refs
}

const asValue = (v: unknown): string => {
  if (typeof v === 'string') return v
  const ref = (v as { Ref?: unknown }).Ref
  if (typeof ref === 'string') return `<<${ref}>>`
  return JSON.stringify(v)
}

function alarmReferences (id: string, props: Record<string, any>): Reference[] {
  const where = `alarm ${id}`
  const dims = (list: Array<{ Name: string; Value: unknown }> = []): Record<string, string> =>
    Object.fromEntries(list.map((d) => [d.Name, asValue(d.Value)]))
  if (props.MetricName !== undefined) {
    return [{ where, namespace: props.Namespace, name: props.MetricName, dimensions: dims(props.Dimensions) }]
  }
  const refs: Reference[] = []
  for (const q of props.Metrics ?? []) {
    const m = q.MetricStat?.Metric
    if (m !== undefined) {
      refs.push({ where, namespace: m.Namespace, name: m.MetricName, dimensions: dims(m.Dimensions) })
    }
    const expression = typeof q.Expression === 'string' ? q.Expression : q.Expression?.['Fn::Sub']
    const insights = typeof expression === 'string'
      ? /SELECT \w+\((\w+)\) FROM SCHEMA\(([^)]*)\)(?: WHERE (.*))?/.exec(
        placeholders(expression)
      )
      : null
    if (insights !== null) {
      const [namespace, ...dimensionNames] = insights[2]!.split(',').map((s) => s.trim())
      const dimensions: Record<string, string | undefined> = Object.fromEntries(
        dimensionNames.map((d) => [d, undefined])
      )
      for (const w of (insights[3] ?? '').matchAll(/(\w+) = '([^']*)'/g)) dimensions[w[1]!] = w[2]
      refs.push({ where, namespace: namespace!, name: insights[1]!, dimensions })
    }
  }
  return refs
}

const dashboards = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Dashboard')
const alarms = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
const dashboardRefs = dashboards.flatMap(([id, r]) => dashboardReferences(id, r.Properties?.DashboardBody))
const alarmRefs = alarms.flatMap(([id, r]) => alarmReferences(id, r.Properties ?? {}))

function checkReference (t: Asserts, ref: Reference): void {
  const def = METRICS[ref.name as MetricName]
  if (def === undefined) {
    t.fail(`${ref.where}: ${ref.namespace}/${ref.name} is not a metric the code emits (core/metrics.ts)`)
    return
  }
  t.same(
    Object.keys(ref.dimensions).sort(),
    ['service', ...def.dimensions].sort(),
    `${ref.where}: ${ref.name} has the dimensions the code gives it`
  )
  t.equal(
    ref.dimensions.service,
    `<<${EMITTER_FUNCTION[def.emitter]}>>`,
    `${ref.where}: ${ref.name}'s service is ${EMITTER_FUNCTION[def.emitter]}, which emits it`
  )
  for (const [dimension, value] of Object.entries(ref.dimensions)) {
    const allowed = FIXED_VALUES[dimension]
    if (allowed !== undefined && value !== undefined) {
      t.ok(allowed.includes(value), `${ref.where}: ${dimension}=${value} is a value the code emits`)
    }
  }
}

t.test('the dashboard exists and holds what the issue asks for', async (t) => {
  t.equal(dashboards.length, 1, 'one operations dashboard')
  const text = JSON.stringify(dashboards[0]?.[1].Properties?.DashboardBody)
  for (const [what, pattern] of [
    ['API latency p50 and p99', /Latency.*p50.*p99/], ['API 4xx and 5xx', /"4xx.*5xx/], [
      'orders a minute',
      /OrdersPlaced/
    ],
    ['order value', /OrderValue/], ['webhook success by partner', /WebhooksDelivered/], [
      'email failures',
      /EmailsFailed/
    ],
    ['stream iterator age', /IteratorAge/], ['dead-letter depth', /ApproximateNumberOfMessagesVisible/], [
      'throttles',
      /Throttles/
    ],
    ['cold starts (init duration)', /initDuration/]
  ] as const) t.match(text, pattern, what)
})

t.test('every ServerlessCommerce metric on the dashboard is one the code emits, as it emits it', async (t) => {
  const ours = dashboardRefs.filter((r) => r.namespace === METRICS_NAMESPACE)
  t.ok(ours.length >= Object.keys(METRICS).length, `${ours.length} references`)
  for (const ref of ours) checkReference(t, ref)
  for (const ref of dashboardRefs) {
    t.ok(
      ref.namespace === METRICS_NAMESPACE || ref.namespace.startsWith('AWS/'),
    `${ref.where}: namespace ${ref.namespace}`
    )
  }
  const shown = new Set(ours.map((r) => r.name))
  for (const name of Object.keys(METRICS)) t.ok(shown.has(name), `${name} is on the dashboard`)
})

t.test('every alarm on a ServerlessCommerce metric refers to one the code emits, as it emits it', async (t) => {
  const ours = alarmRefs.filter((r) => r.namespace === METRICS_NAMESPACE)
  for (const ref of ours) checkReference(t, ref)
  for (const ref of alarmRefs) {
    t.ok(
      ref.namespace === METRICS_NAMESPACE || ref.namespace.startsWith('AWS/'),
    `${ref.where}: namespace ${ref.namespace}`
    )
  }
  for (const [id] of alarms) {
    t.ok(
      alarmRefs.some((r) => r.where === `alarm ${id}`),
    `alarm ${id}: its metric was read by this test`
    )
  }
  // The business alarms the issue asks for.
  const alarmed = (name: string, dims: Record<string, string> = {}): boolean =>
    ours.some((r) => r.name === name && Object.entries(dims).every(([k, v]) => r.dimensions[k] === v))
  t.ok(
    alarmed('WebhooksFailed', { Partner: 'warehouse' }) && alarmed('WebhooksFailed', { Partner: 'delivery' }),
    'webhook failures, per partner'
  )
  t.ok(alarmed('EmailsFailed'), 'emails failing')
  t.ok(alarmed('OrdersPlaced'), 'no orders')
  t.ok(alarmed('RateLimited'), 'sustained 429s')
  t.ok(
    alarmRefs.some((r) => r.name === 'Reputation.BounceRate') && alarmRefs.some((r) =>
      r.name === 'Reputation.ComplaintRate'),
    "SES's bounce and complaint rates"
  )
})

t.test('the checks above catch a wrong name, a missing dimension and another function', async (t) => {
  const results: string[] = []
  const probe: Asserts = {
    same: (a, b) => results.push(JSON.stringify(a) === JSON.stringify(b) ? 'ok' : 'fail'),
    equal: (a, b) => results.push(a === b ? 'ok' : 'fail'),
    ok: (v) => results.push(v !== false && v !== undefined && v !== null ? 'ok' : 'fail'),
    fail: () => results.push('fail')
  }
  const check = (ref: Reference): string[] => { results.length = 0; checkReference(probe, ref); return [...results] }
  t.same(
    check({
      where: 'x',
      namespace: METRICS_NAMESPACE,
      name: 'WebhooksFailed',
      dimensions: { service: '<<WorkerFunction>>', Partner: 'warehouse' }
    }),
    ['ok', 'ok', 'ok']
  )
  t.ok(
    check({
      where: 'x',
      namespace: METRICS_NAMESPACE,
      name: 'WebhookFailures',
      dimensions: { service: '<<WorkerFunction>>' }
    }).includes('fail'),
    'an unknown name'
  )
  t.ok(
    check({
      where: 'x',
      namespace: METRICS_NAMESPACE,
      name: 'WebhooksFailed',
      dimensions: { service: '<<WorkerFunction>>' }
    }).includes('fail'),
    'a missing dimension'
  )
  t.ok(
    check({
      where: 'x',
      namespace: METRICS_NAMESPACE,
      name: 'WebhooksFailed',
      dimensions: { service: '<<ApiFunction>>', Partner: 'warehouse' }
    }).includes('fail'),
    'the wrong function'
  )
  t.ok(
    check({
      where: 'x',
      namespace: METRICS_NAMESPACE,
      name: 'WebhooksFailed',
      dimensions: { service: '<<WorkerFunction>>', Partner: 'carrier' }
    }).includes('fail'),
    'a value the code never emits'
  )
})

t.test('every metric in the catalogue is emitted by the code (its name is written where it is recorded)', async (t) => {
  // The sink's types allow only catalogue names; this finds names the code no longer records.
  const root = new URL('../../', import.meta.url).pathname
  const sources = ['app', 'core', 'data', 'plugins', 'routes', 'workers'].flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => join(
      dir,
      f
    )))
    .filter((f) => f !== join('core', 'metrics.ts'))
  const text = sources.map((f) => readFileSync(join(root, f), 'utf8')).join('\n')
  for (const name of Object.keys(METRICS)) {
    t.match(
      text,
      new RegExp(`'${name}'`),
    `${name} is recorded somewhere in the code`
    )
  }
})
