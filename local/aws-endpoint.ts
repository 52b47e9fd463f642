// One local HTTP endpoint for the AWS JSON protocols the worker and the ops commands speak: the
// local EventBridge (X-Amz-Target `AWSEvents.*`, JSON 1.1) and the local SQS (`AmazonSQS.*`, JSON
// 1.0), so the SDK clients are used unchanged with EVENTBRIDGE_ENDPOINT / SQS_ENDPOINT pointing
// here. Errors come back as AWS sends them (`__type`, `x-amzn-errortype`). With `s3`, a request
// without X-Amz-Target is S3's REST API, path-style (local/s3-api.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomUUID } from 'node:crypto'
import { listen } from './emulators/process.js'
import type { WorkerLog } from '../workers/runtime.js'
import { handleS3Request, type LocalBuckets } from './s3-api.js'

export class AwsError extends Error {
  constructor (readonly status: number, readonly type: string, message: string) {
    super(message)
    this.name = type
  }
}

/** A service's operations: `operation` is the part of X-Amz-Target after the dot. */
export type AwsService = (operation: string, input: unknown) => Promise<unknown> | unknown

export interface AwsEndpoint { url: string; server: Server; stop: () => Promise<void> }

const MAX_BODY_BYTES = 1024 * 1024

async function readBody (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new AwsError(413, 'ValidationException', 'The request is too large.')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function send (res: ServerResponse, status: number, contentType: string, body: unknown, errorType?: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'x-amzn-requestid': randomUUID(),
    ...(errorType !== undefined ? { 'x-amzn-errortype': errorType } : {})
  })
  res.end(JSON.stringify(body))
}

export async function startAwsEndpoint (
  opts: { services: Record<string, AwsService>; s3?: LocalBuckets; host?: string; port?: number; log: WorkerLog }
): Promise<AwsEndpoint> {
  const { services, log } = opts
  const server = createServer((req, res) => {
    void (async () => {
      const contentType = req.headers['content-type'] ?? 'application/x-amz-json-1.1'
      try {
        if (opts.s3 !== undefined && req.headers['x-amz-target'] === undefined) {
          handleS3Request(opts.s3, req, res)
          return
        }
        if (req.method !== 'POST') {
          throw new AwsError(
            405,
            'UnknownOperationException',
            `${req.method ?? ''} is not supported: AWS JSON calls are POSTs.`
          )
        }
        const target = String(req.headers['x-amz-target'] ?? '')
        const [prefix, operation] = target.split('.')
        const service = prefix === undefined ? undefined : services[prefix]
        if (service === undefined || operation === undefined) {
          throw new AwsError(
            400,
            'UnknownOperationException',
            `The local endpoint serves ${Object.keys(services).join(', ')} (got ${target || 'no X-Amz-Target'}).`
          )
        }
        if (!/^application\/x-amz-json-1\.[01]\b/.test(contentType)) {
          throw new AwsError(400, 'SerializationException', 'Content-Type must be application/x-amz-json-1.0 or 1.1.')
        }
        let input: unknown
        try {
          input = JSON.parse(await readBody(req))
        } catch (err) {
          if (err instanceof AwsError) throw err
          throw new AwsError(400, 'SerializationException', 'The request body is not valid JSON.')
        }
        send(res, 200, contentType, await service(operation, input))
      } catch (err) {
        if (err instanceof AwsError) {
          send(res, err.status, contentType, { __type: err.type, message: err.message }, err.type)
        } else {
          log.error('local AWS endpoint failed', { error: (err as Error).name, reason: (err as Error).message })
          send(res, 500, contentType, { __type: 'InternalFailure', message: 'Internal error.' }, 'InternalFailure')
        }
      }
    })()
  })
  const url = await listen(server, opts.host ?? '127.0.0.1', opts.port ?? 0)
  return {
    url,
    server,
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
