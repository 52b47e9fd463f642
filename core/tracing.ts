// X-Ray traces with Powertools for AWS Lambda's Tracer, for a function whose template turns on
// active tracing (TRACING=Active). The Tracer and the X-Ray SDK under it (~130 KB) are imported
// only then: with tracing off nothing of this loads and nothing is wrapped, so the cold start is
// the same as without tracing (bench: "api GET /items/{id}, tracing on" shows what it costs).
//
// What a trace holds: one `## <handler>` subsegment per invocation (annotated ColdStart and
// Service), a subsegment per AWS SDK call of the clients passed through captureClient, one per
// outgoing fetch (the webhooks: the Tracer instruments fetch itself), and the annotations the
// code adds (route, orderId, ...): X-Ray's search filters on annotations
// (`annotation.orderId = "..."`).

export interface Tracing {
  /** The client, its calls recorded as subsegments (named after the service and operation). */
  captureClient: <T>(client: T) => T
  /** An annotation on the current invocation's subsegment. */
  annotate: (key: string, value: string | number | boolean) => void
  /** Runs one invocation inside its `## <name>` subsegment. */
  invocation: <R>(name: string, run: () => Promise<R>) => Promise<R>
}

/** Annotation keys: letters, digits and underscores only (X-Ray drops other keys). */
const KEY = /^[A-Za-z0-9_]+$/

export async function loadTracing (serviceName: string): Promise<Tracing> {
  const { Tracer } = await import('@aws-lambda-powertools/tracer')
  const tracer = new Tracer({ serviceName })
  return {
    captureClient: (client) => tracer.captureAWSv3Client(client),
    annotate (key, value) {
      if (KEY.test(key)) tracer.putAnnotation(key, value)
    },
    async invocation (name, run) {
      const parent = tracer.getSegment()
      const segment = parent?.addNewSubsegment(`## ${name}`)
      if (segment !== undefined) tracer.setSegment(segment)
      tracer.annotateColdStart()
      tracer.addServiceNameAnnotation()
      try {
        return await run()
      } catch (err) {
        tracer.addErrorAsMetadata(err as Error)
        throw err
      } finally {
        if (segment !== undefined && parent !== undefined) {
          segment.close()
          tracer.setSegment(parent)
        }
      }
    }
  }
}
