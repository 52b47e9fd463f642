// A built Lambda bundle run as the Lambda runtime runs it: a plain `node` process (no tsx, which would
// turn Node's own source maps on), the bundle imported, its handler given events one after another.
// Built to JavaScript by runLambdaProbe (test/helpers/lambda-process.ts), never run from source.
//   node lambda-probe.mjs <bundle.mjs> <events.json>      (a JSON array of events)
// The bundle's log lines go to stdout. The report, one JSON line on file descriptor 3: per event,
// the handler's answer or, when it threw, the error's stack as the runtime would log it, and the
// source maps the process had read by then (every read of a .map file is counted from the start), and
// whether Node's bundled undici (fetch) had been loaded by then.
import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import { pathToFileURL } from 'node:url'

const mapsRead: string[] = []
const readFileSync = fs.readFileSync
fs.readFileSync = ((path: fs.PathOrFileDescriptor, options?: unknown) => {
  if (String(path).endsWith('.map')) mapsRead.push(String(path))
  return readFileSync(path, options as never)
}) as typeof fs.readFileSync
// The bundle's `import { readFileSync } from 'node:fs'` then sees the counting one.
syncBuiltinESMExports()

const [bundle, eventsFile] = process.argv.slice(2) as [string, string]
const context = {
  functionName: 'probe',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:probe',
  memoryLimitInMB: '1024',
  awsRequestId: 'probe-request',
  logGroupName: '/aws/lambda/probe',
  logStreamName: 'probe',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000
}
const results: Array<{ answer?: unknown; thrown?: string; mapsRead: number; undiciLoaded: boolean }> = []
// Node lists the internal modules it has loaded (process.moduleLoadList, in Node 20 and 22).
const undiciLoaded = (): boolean =>
  ((process as unknown as { moduleLoadList: string[] }).moduleLoadList).some((m) => m.includes('deps/undici'))
try {
  const events = JSON.parse(readFileSync(eventsFile, 'utf8')) as unknown[]
  const { handler } = await import(pathToFileURL(bundle).href) as {
    handler: (event: unknown, context: unknown) => Promise<unknown>
  }
  for (const event of events) {
    try {
      results.push({ answer: await handler(event, context), mapsRead: mapsRead.length, undiciLoaded: undiciLoaded() })
    } catch (err) {
      results.push({ thrown: String((err as Error).stack), mapsRead: mapsRead.length, undiciLoaded: undiciLoaded() })
    }
  }
  fs.writeSync(3, JSON.stringify({ results, mapsRead }) + '\n')
} catch (err) {
  fs.writeSync(3, JSON.stringify({ error: String((err as Error).stack) }) + '\n')
}
// The SDK's keep-alive sockets would hold the process open.
process.exit(0)
