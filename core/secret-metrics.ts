// Counts what the secret store reports (core/secret-store.ts): a stale value served during a
// Secrets Manager failure, a secret revoked, a secret refused. Embedded metric format through
// Powertools (namespace ServerlessCommerce, one dimension: the service), written with the log line;
// loaded on the first event, so it costs the cold start nothing. Events are rare (at most one stale
// answer per secret every 30 s), so each is flushed at once. #23 owns the metrics design.
import type { SecretEvent } from './secret-store.js'

/** The one namespace of the project's metrics (the worker's too: workers/metrics.ts). */
export const METRICS_NAMESPACE = 'ServerlessCommerce'

export const SECRET_METRICS: Record<SecretEvent['type'], string> = {
  stale: 'SecretServedStale',
  revoked: 'SecretRevoked',
  unavailable: 'SecretUnavailable'
}

export async function countSecretEvent (event: SecretEvent, serviceName: string): Promise<void> {
  const { Metrics, MetricUnit } = await import('@aws-lambda-powertools/metrics')
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName })
  metrics.addMetric(SECRET_METRICS[event.type], MetricUnit.Count, 1)
  metrics.publishStoredMetrics()
}
