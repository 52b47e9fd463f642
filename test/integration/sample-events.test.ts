// Every file in events/ (what `sam local invoke -e` is given) through the built bundles, against
// the emulators with the sample catalog seeded, as a newcomer would try them: each gets a useful
// answer (data where data is expected), and the bundles run outside Lambda (no
// AWS_LAMBDA_FUNCTION_NAME) log JSON lines only, without pino-pretty, which is not in the bundle.
import t, { type Test } from 'tap'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { FUNCTIONS, ROOT, buildFunction, bundlePath, packageVersion } from '../../scripts/build.js'
import { seedCatalog } from '../../data/seed-catalog.js'
import { runLambdaProbe } from '../helpers/lambda-process.js'
import { createTables, localDynamoClient, stackEnv } from '../helpers/stack.js'

type Check = (answer: any, t: Test) => void
const json = (answer: any): any =>
  JSON.parse(answer.isBase64Encoded === true ? Buffer.from(answer.body, 'base64').toString() : answer.body)

// What each sample must answer; a new file in events/ without a check here fails the test.
const API_CHECKS: Record<string, Check> = {
  'http-get-health.json': (a, t) => { t.equal(a.statusCode, 200); t.equal(json(a).status, 'ok') },
  'rest-get-health.json': (a, t) => { t.equal(a.statusCode, 200); t.equal(json(a).status, 'ok') },
  'http-get-item.json': (a, t) => {
    t.equal(a.statusCode, 200)
    t.match(json(a), { id: 'phone-apple-iphone-15', category: 'phone' })
  },
  'http-get-items.json': (a, t) => {
    t.equal(a.statusCode, 200)
    const { items } = json(a) as { items: Array<{ category: string }> }
    t.ok(items.length > 0, `a page of the seeded catalog (${items.length} items)`)
    t.ok(items.every((i) => i.category === 'phone'), 'of the asked category')
  },
  'http-get-openapi.json': (a, t) => {
    t.equal(a.statusCode, 200)
    t.ok(Object.keys(json(a).paths).length > 5, 'the document')
  }
}
const handled: Check = (a, t) => { t.same(a?.batchItemFailures ?? [], [], 'handled, nothing to retry') }
const WORKER_CHECKS: Record<string, Check> = {
  'orders-stream.json': handled,
  'sqs-order-placed.json': handled,
  'eventbridge-order-placed.json': handled,
  'eventbridge-order-packed.json': handled,
  'eventbridge-order-delivered.json': handled,
  'eventbridge-order-cancelled.json': handled,
  'ses-bounce.json': handled
}

t.test('every sample event gets a useful answer from the built bundles, which log JSON outside Lambda', async (t) => {
  const files = (await readdir(join(ROOT, 'events'))).filter((f) => f.endsWith('.json')).sort()
  t.same(files, Object.keys({ ...API_CHECKS, ...WORKER_CHECKS }).sort(), 'every sample has its check')

  const dist = await mkdtemp(join(tmpdir(), 'sc-samples-'))
  t.teardown(() => rm(dist, { recursive: true, force: true }))
  const version = await packageVersion()
  await Promise.all(FUNCTIONS.map((fn) => buildFunction(fn, version, dist)))

  const tables = await createTables(t)
  const ddb = DynamoDBDocumentClient.from(localDynamoClient())
  t.teardown(() => ddb.destroy())
  await seedCatalog(ddb, { items: tables.ITEMS_TABLE, catalogIndex: tables.CATALOG_INDEX_TABLE })
  const { startLocalMessaging } = await import('../../local/messaging.js')
  const quiet = { debug () {}, info () {}, warn () {}, error () {} }
  const bus = await startLocalMessaging({ busName: 'samples-bus', region: 'us-east-1', log: quiet })
  t.teardown(() => bus.stop())
  // No AWS_LAMBDA_FUNCTION_NAME and no LOG_FORMAT: a bundle run by hand or by `sam local`.
  const env = {
    ...stackEnv(),
    ...tables,
    STAGE: 'test',
    LOG_LEVEL: 'info',
    EVENT_BUS_NAME: 'samples-bus',
    EVENTBRIDGE_ENDPOINT: bus.url,
    SQS_ENDPOINT: bus.url,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true'
  }
  const sample = async (f: string): Promise<unknown> => JSON.parse(await readFile(join(ROOT, 'events', f), 'utf8'))
  for (const [name, checks] of [['api', API_CHECKS], ['worker', WORKER_CHECKS]] as const) {
    const names = Object.keys(checks)
    const events = await Promise.all(names.map(sample))
    const run = await runLambdaProbe(process.execPath, bundlePath(name, dist), events, env, dist)
    names.forEach((file, i) => {
      const result = run.results[i]
      t.test(`${name}: events/${file}`, async (t) => {
        t.equal(result?.thrown, undefined, 'no error thrown')
        checks[file]?.(result?.answer, t)
      })
    })
    t.ok(run.logs.length > 0, `the ${name} bundle logged JSON lines`)
    const isError = (l: Record<string, any>): boolean =>
      typeof l.level === 'number' ? l.level >= 50 : /ERROR|CRITICAL/.test(String(l.level))
    const errors = run.logs.filter(isError)
    t.same(errors.map((l) => l.msg ?? l.message), [], `no error logged (${name})`)
    t.same(run.rawLines.filter((l) => !l.startsWith('{')), [], `and nothing else (${name})`)
  }
})
