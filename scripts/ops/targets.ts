// Where the ops commands act: the local stack (`npm start`'s endpoints and names) or a deployed
// stack, whose resources are found by their logical ids in CloudFormation (your AWS credentials).
import { CloudFormationClient, DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation'
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs'
import { LOCAL_WORKER_PORTS } from '../../local/worker.js'
import { LOCAL_ACCOUNT, queueDefinitions } from '../../local/sqs-queues.js'
import { createLocalBuckets } from '../../local/s3-api.js'
import { createS3Client, type S3Client } from '../../core/s3.js'

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' }

export interface Target {
  where: string
  region: string
  /** Local endpoints (undefined: AWS). */
  sqsEndpoint?: string
  eventsEndpoint?: string
  s3Endpoint?: string
  dynamodbEndpoint?: string
  /** A resource's physical id by its template logical id (a queue's URL, a table's, bus's or bucket's name). */
  physicalId: (logicalId: string) => Promise<string>
}

type Env = Record<string, string | undefined>

export function localTarget (env: Env = process.env): Target {
  const bus = `http://127.0.0.1:${env.EVENTBUS_PORT ?? LOCAL_WORKER_PORTS.eventBus}`
  const dynamodb = env.DYNAMODB_ENDPOINT ?? `http://127.0.0.1:${env.DYNAMODB_PORT ?? 8000}`
  const names: Record<string, string> = {
    OrdersTable: env.ORDERS_TABLE ?? 'orders',
    OrdersEventBus: env.EVENT_BUS_NAME ?? 'commerce-local'
  }
  return {
    where: `the local stack (${bus})`,
    region: env.AWS_REGION ?? 'us-east-1',
    sqsEndpoint: bus,
    eventsEndpoint: bus,
    // The local S3 (local/s3-api.ts) is on the same endpoint as the bus and the queues.
    s3Endpoint: bus,
    dynamodbEndpoint: dynamodb,
    physicalId: async (logicalId) => {
      const queue = queueDefinitions().find((q) => q.logicalId === logicalId)
      if (queue !== undefined) return `${bus}/${LOCAL_ACCOUNT}/${queue.name}`
      const bucket = createLocalBuckets().list.find((b) => b.logicalId === logicalId)
      if (bucket !== undefined) return bucket.name
      const name = names[logicalId]
      if (name === undefined) throw new Error(`no local ${logicalId}`)
      return name
    }
  }
}

export function stackTarget (stack: string, region: string): Target {
  const cfn = new CloudFormationClient({ region })
  return {
    where: `stack ${stack} (${region})`,
    region,
    physicalId: async (logicalId) => {
      const res = await cfn.send(new DescribeStackResourceCommand({ StackName: stack, LogicalResourceId: logicalId }))
      const id = res.StackResourceDetail?.PhysicalResourceId
      if (id === undefined) throw new Error(`stack ${stack} has no ${logicalId}`)
      return id
    }
  }
}

export function sqsClientFor (target: Target): SQSClient {
  return new SQSClient({
    region: target.region,
    ...(target.sqsEndpoint !== undefined ? { endpoint: target.sqsEndpoint, credentials: LOCAL_CREDENTIALS } : {})
  })
}

export function s3ClientFor (target: Target): S3Client {
  return createS3Client({
    region: target.region,
    ...(target.s3Endpoint !== undefined ? { endpoint: target.s3Endpoint, credentials: LOCAL_CREDENTIALS } : {})
  })
}

/** A queue's URL and ARN by its logical id. */
export async function queueOf (
  target: Target,
  sqs: SQSClient,
  logicalId: string
): Promise<{ url: string; arn: string }> {
  let url = await target.physicalId(logicalId)
  if (!url.startsWith('http')) url = (await sqs.send(new GetQueueUrlCommand({ QueueName: url }))).QueueUrl as string
  const arn = (await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: url,
    AttributeNames: ['QueueArn']
  }))).Attributes?.QueueArn
  if (arn === undefined) throw new Error(`no ARN for ${logicalId}`)
  return { url, arn }
}

/**
 * The target the ops commands' --stack / --region name (the local stack without --stack), or
 * undefined after printing the usage error. Quiets the SDK's Node-version notice (an operator's run).
 */
export function targetFromArgs (
  values: { stack?: string; region?: string },
  usage: string,
  env: Env = process.env
): Target | undefined {
  const region = values.region ?? env.AWS_REGION
  if (values.stack !== undefined && region === undefined) {
    console.error(`--region (or AWS_REGION) is required with --stack\n${usage}`)
    return undefined
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  return values.stack === undefined ? localTarget(env) : stackTarget(values.stack, region as string)
}

/** What an ops command tells its user when a call failed. */
export function explainFailure (err: unknown, target: Target, what: string): string {
  const code = (err as { code?: string }).code ?? (err as Error).name
  if (code === 'ECONNREFUSED' || code === 'TimeoutError') {
    return `cannot reach ${target.where}: is \`npm start\` running?`
  }
  return `${what} failed: ${(err as Error).name}: ${(err as Error).message}`
}
