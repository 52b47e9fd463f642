// A metrics sink that keeps its EMF lines (core/metrics.ts writes them), and readers for them.
import { createMetrics, type MetricsSink } from '../../core/metrics.js'

export interface EmfLine {
  _aws: {
    Timestamp: number
    CloudWatchMetrics: Array<{
      Namespace: string
      Dimensions: string[][]
      Metrics: Array<{ Name: string; Unit: string }>
    }>
  }
  [key: string]: unknown
}

/** One metric as CloudWatch would see it: namespace, name, unit, dimensions (name -> value) and value. */
export interface EmittedMetric {
  namespace: string
  name: string
  unit: string
  dimensions: Record<string, string>
  value: unknown
}

export function capturedMetrics (service = 'test-service'): {
  sink: MetricsSink
  lines: string[]
  metrics: () => EmittedMetric[]
  named: (name: string) => EmittedMetric[]
} {
  const lines: string[] = []
  const sink = createMetrics({ service, write: (line) => { lines.push(line) } })
  const metrics = (): EmittedMetric[] => lines.flatMap((line) => emittedIn(JSON.parse(line) as EmfLine))
  return { sink, lines, metrics, named: (name) => metrics().filter((m) => m.name === name) }
}

/** The metrics one EMF line defines (every dimension set of every directive). */
export function emittedIn (line: EmfLine): EmittedMetric[] {
  return line._aws.CloudWatchMetrics.flatMap((d) => d.Metrics.flatMap((m) => d.Dimensions.map((set) => ({
    namespace: d.Namespace,
    name: m.Name,
    unit: m.Unit,
    dimensions: Object.fromEntries(set.map((k) => [k, String(line[k])])),
    value: line[m.Name]
  }))))
}
