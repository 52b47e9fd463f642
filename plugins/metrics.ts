// The app's metrics sink (core/metrics.ts) as `app.metrics`, and how a request names its route in a
// metric's dimension: the route's pattern (`POST /orders/:orderId/cancel`), never its URL, so the
// values are as many as the routes. Routes and plugins only record (route hooks that read the
// answer record in onSend); one onResponse hook flushes once per request, after everything a
// request recorded, before Lambda may freeze the container. The errors plugin records 5xx and 429
// answers by route. What is recorded outside any request (a secret refreshed after its answer) goes
// out with the next request's flush.
import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { createMetrics, serviceName, type MetricsSink } from '../core/metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: MetricsSink
  }
}

export interface MetricsPluginOptions {
  /** A sink of the caller's (tests capture the lines); default: EMF lines on stdout. */
  sink?: MetricsSink
}

/** The route dimension: method and route pattern; `unmatched` for a request no route took. */
export const routeOf = (request: FastifyRequest): string =>
  `${request.method} ${request.routeOptions.url ?? 'unmatched'}`

export default fp<MetricsPluginOptions>(async function metricsPlugin (app, opts) {
  const metrics = opts.sink ?? createMetrics({
    service: serviceName(app.config.functionName, 'api'),
    // LOG_LEVEL=silent prints nothing, metric lines included (the tests run so); locally off unless METRICS=on.
    enabled: app.config.metrics && app.config.logLevel !== 'silent'
  })
  app.decorate('metrics', metrics)
  app.addHook('onResponse', (_request, _reply, done) => {
    metrics.flush()
    done()
  })
}, { name: 'metrics' })
