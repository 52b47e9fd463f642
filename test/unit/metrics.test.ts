// core/metrics.ts: the EMF lines CloudWatch turns into metrics (namespace, dimensions, units,
// values), one line per set of dimension values, nothing when disabled or empty.
import t from 'tap'
import { METRICS, METRICS_NAMESPACE, createMetrics, serviceName } from '../../core/metrics.js'
import { capturedMetrics, emittedIn, type EmfLine } from '../helpers/metrics.js'

t.test('a flush writes one EMF line per set of dimension values, in the one namespace', async (t) => {
  const { sink, lines, metrics } = capturedMetrics('shop-prod-api')
  sink.add('OrdersPlaced', {})
  sink.add('OrderValue', { Currency: 'EUR' }, 2500)
  sink.add('OrderValue', { Currency: 'EUR' }, 100)
  sink.add('OrderValue', { Currency: 'USD' }, 999)
  t.same(lines, [], 'nothing is written before flush')
  sink.flush()
  t.equal(lines.length, 3, 'no extra dimension, EUR, USD')
  const first = JSON.parse(lines[0]!) as EmfLine
  t.match(
    first._aws,
    {
      CloudWatchMetrics: [{
        Namespace: 'ServerlessCommerce',
        Dimensions: [['service']],
        Metrics: [{ Name: 'OrdersPlaced', Unit: 'Count' }]
      }]
    }
  )
  t.ok(Math.abs(first._aws.Timestamp - Date.now()) < 60_000, 'timestamped now')
  t.equal(first.service, 'shop-prod-api')
  t.same(metrics().map(({ name, dimensions, value, unit }) => ({ name, dimensions, value, unit })), [
    { name: 'OrdersPlaced', dimensions: { service: 'shop-prod-api' }, value: 1, unit: 'Count' },
    { name: 'OrderValue', dimensions: { service: 'shop-prod-api', Currency: 'EUR' }, value: [2500, 100], unit: 'None' },
    { name: 'OrderValue', dimensions: { service: 'shop-prod-api', Currency: 'USD' }, value: 999, unit: 'None' }
  ])
  sink.flush()
  t.equal(lines.length, 3, 'a flush with nothing recorded writes nothing')
  sink.add('WebhookLatency', { Partner: 'warehouse' }, 42)
  sink.flush()
  t.same(emittedIn(JSON.parse(lines[3]!) as EmfLine), [
    {
      namespace: METRICS_NAMESPACE,
      name: 'WebhookLatency',
      unit: 'Milliseconds',
      dimensions: { service: 'shop-prod-api', Partner: 'warehouse' },
      value: 42
    }
  ], 'the dimensions of one flush are not carried into the next')
})

t.test('disabled (LOG_LEVEL=silent), nothing is written', async (t) => {
  const lines: string[] = []
  const sink = createMetrics({ service: 's', write: (line) => { lines.push(line) }, enabled: false })
  sink.add('OrdersPlaced', {})
  sink.flush()
  t.same(lines, [])
})

t.test('the service dimension is the function name, or a fixed local name', async (t) => {
  t.equal(serviceName('shop-prod-worker', 'worker'), 'shop-prod-worker')
  t.equal(serviceName(undefined, 'api'), 'serverless-commerce-api')
})

t.test('the catalogue: bounded dimensions only, at most one besides service', async (t) => {
  for (const [name, def] of Object.entries(METRICS)) {
    t.ok(def.dimensions.length <= 1, `${name}: one dimension at most`)
    for (const d of def.dimensions) t.notOk(/order|user|email|id$/i.test(d), `${name}: ${d} is not an identifier`)
  }
})
