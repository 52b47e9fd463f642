// The business metrics, in CloudWatch's embedded metric format (EMF): each is a JSON line on
// stdout that CloudWatch Logs turns into a metric, no API call. Written with Powertools for AWS
// Lambda's Metrics. One namespace; every metric has the `service` dimension (the function's name,
// so two stacks in one account never mix) and at most one more, always of a bounded set of values
// (a currency, a problem code, a route pattern, a partner): never an order id, a user or an email.
//
// METRICS below is the catalogue: the only names and dimensions the code can emit (the types
// enforce it), and what infra/template.yaml's dashboard and alarms must refer to
// (test/unit/metrics-catalogue.test.ts checks both ways).
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'

export const METRICS_NAMESPACE = 'ServerlessCommerce'

type Unit = 'Count' | 'Milliseconds' | 'None'
interface MetricDefinition {
  /** The function whose code emits it: its name is the `service` dimension. */
  emitter: 'api' | 'worker'
  unit: Unit
  /** Dimensions besides `service`. */
  dimensions: readonly string[]
  description: string
}

export const METRICS = {
  // The API (routes/, plugins/errors.ts).
  OrdersPlaced: {
    emitter: 'api',
    unit: 'Count',
    dimensions: [],
    description: 'orders created (a replay is not counted)'
  },
  OrderValue: {
    emitter: 'api',
    unit: 'None',
    dimensions: ['Currency'],
    description: "placed orders' totals, in the currency's minor units"
  },
  OrdersRefused: {
    emitter: 'api',
    unit: 'Count',
    dimensions: ['Code'],
    description: 'POST /orders answered 4xx or 5xx, by problem code'
  },
  IdempotentReplays: {
    emitter: 'api',
    unit: 'Count',
    dimensions: [],
    description: 'POST /orders answered from an Idempotency-Key record'
  },
  SignInFailures: {
    emitter: 'api',
    unit: 'Count',
    dimensions: ['Code'],
    description: 'POST /signin answered 4xx, by problem code'
  },
  RateLimited: {
    emitter: 'api',
    unit: 'Count',
    dimensions: ['Route'],
    description: 'requests the app answered 429, by route'
  },
  ServerErrors: {
    emitter: 'api',
    unit: 'Count',
    dimensions: ['Route'],
    description: 'requests answered 5xx, by route'
  },
  SecretRefreshFailures: {
    emitter: 'api',
    unit: 'Count',
    dimensions: ['Outcome'],
    description: 'partner or cursor keys Secrets Manager could not refresh (Outcome: stale: the last value served, ' +
      'at most SECRETS_MAX_STALE_SECONDS | revoked: not found, access denied or undecryptable: dropped at once | ' +
        'unavailable: nothing to serve, 503)'
  },
  // The worker (workers/).
  EventsPublished: {
    emitter: 'worker',
    unit: 'Count',
    dimensions: ['EventType'],
    description: 'order events put on the bus, by detail-type'
  },
  WebhooksDelivered: {
    emitter: 'worker',
    unit: 'Count',
    dimensions: ['Partner'],
    description: 'webhooks a partner answered 2xx'
  },
  WebhooksFailed: {
    emitter: 'worker',
    unit: 'Count',
    dimensions: ['Partner'],
    description: 'webhooks that failed every attempt of one delivery (the event is retried)'
  },
  WebhookLatency: {
    emitter: 'worker',
    unit: 'Milliseconds',
    dimensions: ['Partner'],
    description: 'time from the first attempt to the answer'
  },
  WebhooksSkipped: {
    emitter: 'worker',
    unit: 'Count',
    dimensions: ['Partner'],
    description: 'webhooks not sent: no URL configured for the partner'
  },
  EmailsSent: { emitter: 'worker', unit: 'Count', dimensions: [], description: 'order emails SES accepted' },
  EmailsFailed: {
    emitter: 'worker', unit: 'Count', dimensions: [], description: 'order emails SES refused (retried or parked)'
  },
  EmailsSuppressed: {
    emitter: 'worker',
    unit: 'Count',
    dimensions: [],
    description: 'order emails not sent: the address bounced or complained before'
  },
  EmailsUnverified: {
    emitter: 'worker',
    unit: 'Count',
    dimensions: [],
    description: 'order emails not sent: the address was not verified when the order was placed'
  },
  WebhookKeyRefreshFailures: {
    emitter: 'worker',
    unit: 'Count',
    dimensions: ['Outcome'],
    description: 'webhook signing keys Secrets Manager could not refresh (Outcome as SecretRefreshFailures)'
  },
  MailFeedback: {
    emitter: 'worker',
    unit: 'Count',
    dimensions: ['Kind'],
    description: 'bounces and complaints SES reported (Kind: bounce | complaint)'
  },
  SupersededEffectsSkipped: {
    emitter: 'worker',
    unit: 'Count',
    dimensions: ['Effect'],
    description: 'webhooks not sent: a newer one of the same order already went to that partner (logged as a warning)'
  },
  EffectsWaiting: {
    emitter: 'worker',
    unit: 'Count',
    dimensions: ['Effect'],
    description: "emails held back (the event is retried) while the order's previous email is not sent"
  },
  EmailsAmbiguous: {
    emitter: 'worker',
    unit: 'Count',
    dimensions: [],
    description: 'SendEmail calls without an answer (a timeout): the email may have gone out; sent once more at most'
  },
  DuplicateEffectsSkipped: {
    emitter: 'worker',
    unit: 'Count',
    dimensions: ['Effect'],
    description: 'effects already done, not done again (a redelivery)'
  },
  DeadLettered: {
    emitter: 'worker',
    unit: 'Count',
    dimensions: ['Queue'],
    description: 'messages the worker parked in a dead-letter queue, or left for their queue to move there (Queue: ' +
      'events | stream)'
  }
} as const satisfies Record<string, MetricDefinition>

export type MetricName = keyof typeof METRICS
export type DimensionsOf<N extends MetricName> = { [D in (typeof METRICS)[N]['dimensions'][number]]: string }

export interface MetricsSink {
  /** Records a value (default 1); nothing is written before flush(). */
  add: <N extends MetricName>(name: N, dimensions: DimensionsOf<N>, value?: number) => void
  /** Writes what was recorded: one EMF line per set of dimension values. Cheap when empty. */
  flush: () => void
}

export interface MetricsOptions {
  /** The `service` dimension: the emitting function's name (see serviceName). */
  service: string
  /** Where a line goes (default: stdout, where Lambda's log stream picks it up). */
  write?: (line: string) => void
  /** false: record and drop (LOG_LEVEL=silent prints nothing). */
  enabled?: boolean
}

/** The `service` dimension: the deployed function's name (`<stack>-api`), or a fixed local name. */
export function serviceName (functionName: string | undefined, emitter: MetricDefinition['emitter']): string {
  return functionName ?? `serverless-commerce-${emitter}`
}

const UNITS: Record<Unit, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
  None: MetricUnit.NoUnit
}

export function createMetrics (opts: MetricsOptions): MetricsSink {
  const write = opts.write ?? ((line: string) => { process.stdout.write(`${line}\n`) })
  const enabled = opts.enabled ?? true
  const powertools = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: opts.service })
  // Recorded values grouped by their dimension values: Powertools puts one set of dimensions on all
  // the metrics of a line, so each group is its own line.
  const groups = new Map<string, {
    dimensions: Record<string, string>
    values: Array<{ name: MetricName; value: number }>
  }>()
  return {
    add (name, dimensions, value = 1) {
      if (!enabled) return
      const dims = dimensions as Record<string, string>
      const key = JSON.stringify(dims)
      let group = groups.get(key)
      if (group === undefined) groups.set(key, group = { dimensions: dims, values: [] })
      group.values.push({ name, value })
    },
    flush () {
      if (groups.size === 0) return
      for (const { dimensions, values } of groups.values()) {
        for (const [dimension, value] of Object.entries(dimensions)) powertools.addDimension(dimension, value)
        for (const { name, value } of values) powertools.addMetric(name, UNITS[METRICS[name].unit], value)
        const line = JSON.stringify(powertools.serializeMetrics())
        powertools.clearMetrics()
        powertools.clearDimensions()
        write(line)
      }
      groups.clear()
    }
  }
}
