// The worker's metrics (CloudWatch embedded metric format through Powertools, in the log: no API
// call), namespace ServerlessCommerce, bounded dimensions only (a partner, never an order id).
// Powertools' Metrics is imported on the first metric, off the cold start. #23 owns the metrics
// design; this module holds the ones #19 needs: WebhooksSkipped (a partner without a webhook URL).
import type { WorkerLog } from './runtime.js'

import { METRICS_NAMESPACE } from '../core/secret-metrics.js'

export { METRICS_NAMESPACE }

export interface WorkerMetrics {
  /** Adds 1 to a count metric with these dimensions (flushed at once: one line each). */
  count: (name: string, dimensions?: Record<string, string>) => void
}

export function powertoolsMetrics (log: WorkerLog): WorkerMetrics {
  let loading: Promise<typeof import('@aws-lambda-powertools/metrics')> | undefined
  return {
    count (name, dimensions = {}) {
      loading ??= import('@aws-lambda-powertools/metrics')
      loading.then(({ Metrics, MetricUnit }) => {
        const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'worker' })
        for (const [key, value] of Object.entries(dimensions)) metrics.addDimension(key, value)
        metrics.addMetric(name, MetricUnit.Count, 1)
        metrics.publishStoredMetrics()
      }).catch((err: unknown) => { log.warn('metric not written', { metric: name, reason: (err as Error).message }) })
    }
  }
}
