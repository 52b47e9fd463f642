// Probes report one JSON line on file descriptor 3 (the parent's pipe), so the bundles' own logs on
// stdout never mix with the numbers.
import { writeSync } from 'node:fs'

export function report (result: Record<string, unknown>): never {
  writeSync(3, JSON.stringify(result) + '\n')
  process.exit(0)
}

export function fail (err: unknown): never {
  writeSync(3, JSON.stringify({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }) + '\n')
  process.exit(1)
}

export const lambdaContext = {
  functionName: 'bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
  memoryLimitInMB: '1024',
  awsRequestId: 'bench-request',
  logGroupName: '/aws/lambda/bench',
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000,
  done () {},
  fail () {},
  succeed () {}
}
