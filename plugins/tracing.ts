// X-Ray annotations on the API's traces (core/tracing.ts; the Lambda entry point loads the Tracer
// only when TRACING=Active and passes it in): every request's route pattern, and the order id of
// any route with an `:orderId` in its path; POST /orders adds the id of the order it placed.
// Without tracing, `app.tracing` does nothing and no hook is added: no cost per request.
import fp from 'fastify-plugin'
import type { Tracing } from '../core/tracing.js'
import { routeOf } from './metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    tracing: Pick<Tracing, 'annotate'>
  }
}

export interface TracingPluginOptions { tracing?: Tracing }

const OFF: Pick<Tracing, 'annotate'> = { annotate: () => {} }

export default fp<TracingPluginOptions>(async function tracingPlugin (app, opts) {
  const tracing = opts.tracing
  app.decorate('tracing', tracing ?? OFF)
  if (tracing === undefined) return
  app.addHook('onRequest', (request, _reply, done) => {
    tracing.annotate('route', routeOf(request))
    const orderId = (request.params as { orderId?: unknown } | undefined)?.orderId
    if (typeof orderId === 'string') tracing.annotate('orderId', orderId)
    done()
  })
}, { name: 'tracing' })
