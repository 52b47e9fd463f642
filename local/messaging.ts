// The local EventBridge, SQS and S3 together on one endpoint: the template's queues (kept in `dir`
// when given) and buckets (in `bucketsDir`), the bus routing by the template's rules into the
// queues, and the HTTP endpoint speaking the three protocols. local/worker.ts runs it for npm
// start; tests and the bundle test start it alone.
import type { WorkerLog } from '../workers/runtime.js'
import { createEventBus, type EventBus } from './event-bus.js'
import { startAwsEndpoint, type AwsService } from './aws-endpoint.js'
import { createLocalQueues, type LocalQueues } from './sqs-queues.js'
import { sqsService } from './sqs-api.js'
import { createLocalBuckets, type LocalBuckets } from './s3-api.js'

export interface LocalMessaging {
  url: string
  bus: EventBus
  queues: LocalQueues
  buckets: LocalBuckets
  stop: () => Promise<void>
}

export async function startLocalMessaging (opts: {
  busName: string
  region: string
  log: WorkerLog
  host?: string
  port?: number
  dir?: string
  bucketsDir?: string
}): Promise<LocalMessaging> {
  const host = opts.host ?? '127.0.0.1'
  const buckets = createLocalBuckets({ dir: opts.bucketsDir })
  const stopping = new AbortController()
  // The queue URLs name the endpoint, which needs its port first: the services are filled in after.
  const services: { bus?: EventBus; sqs?: AwsService } = {}
  const aws = await startAwsEndpoint({
    host,
    port: opts.port,
    log: opts.log,
    s3: buckets,
    services: {
      AWSEvents: (operation, input) => (services.bus as EventBus).service(operation, input),
      AmazonSQS: (operation, input) => (services.sqs as AwsService)(operation, input)
    }
  })
  const queues = createLocalQueues({ endpoint: aws.url, region: opts.region, dir: opts.dir })
  services.sqs = sqsService(queues, { stopping: stopping.signal })
  const bus = services.bus = createEventBus({
    busName: opts.busName,
    region: opts.region,
    log: opts.log,
    deliver: (target, event) => {
      // The SQS target gets the event as the message body, as EventBridge sends it.
      if ('queue' in target) queues.byLogicalId(target.queue).send(JSON.stringify(event))
    }
  })
  return { url: aws.url, bus, queues, buckets, stop: async () => { stopping.abort(); await aws.stop() } }
}
