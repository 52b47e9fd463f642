import t from 'tap'
import { loadConfig } from '../../core/config.js'
import { loadTemplate } from '../../infra/template.js'
import type { RunningStack } from '../../local/data-lock.js'
import { samEnv, SAM_FUNCTIONS } from '../../scripts/sam-env.js'

// A running.json as `npm start` writes it (local/start.ts: the stack's and the worker's variables).
const running: RunningStack = {
  pid: 4242,
  startedAt: '2026-12-04T22:00:00.000Z',
  ports: { api: 4960, dynamodb: 4961, ses: 4962, cognito: 4963, eventBus: 4964, partner: 4965 },
  endpoints: { api: 'http://127.0.0.1:4960', dynamodb: 'http://127.0.0.1:4961' },
  env: {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    DYNAMODB_ENDPOINT: 'http://127.0.0.1:4961',
    SES_ENDPOINT: 'http://127.0.0.1:4962',
    COGNITO_ENDPOINT: 'http://127.0.0.1:4963',
    USER_POOL_ID: 'local_4Xy9',
    USER_POOL_CLIENT_ID: 'client-abc',
    USER_POOL_CLIENT_SECRET: 'client-secret-value',
    EVENTBRIDGE_ENDPOINT: 'http://127.0.0.1:4964',
    SQS_ENDPOINT: 'http://127.0.0.1:4964',
    EVENTS_DLQ_URL: 'http://127.0.0.1:4964/000000000000/events-dlq',
    ORDERS_STREAM_DLQ_URL: 'http://127.0.0.1:4964/000000000000/stream-dlq',
    WAREHOUSE_WEBHOOK_URL: 'http://127.0.0.1:4965/warehouse/webhooks',
    DELIVERY_WEBHOOK_URL: 'http://127.0.0.1:4965/delivery/webhooks'
  }
}
const template = loadTemplate()
// What SAM passes a function: the variables its template entry declares (Globals and its own).
const declared = (id: string): string[] => Object.keys({
  ...(template as any).Globals.Function.Environment.Variables,
  ...template.Resources[id].Properties?.Environment?.Variables
})

t.test('every variable env.json gives a function is one the template declares for it', async (t) => {
  const { env } = samEnv(running, template)
  t.same(Object.keys(env).sort(), [...SAM_FUNCTIONS].sort(), 'one entry per function, by logical id')
  for (const id of SAM_FUNCTIONS) {
    const undeclared = Object.keys(env[id]).filter((name) => !declared(id).includes(name))
    t.same(undeclared, [], `${id}: SAM would pass every variable`)
  }
  t.notOk('WAREHOUSE_WEBHOOK_URL' in env.ApiFunction, "the worker's variables stay the worker's")
})

t.test("the functions' config points at the running stack's emulators, ids and queues", async (t) => {
  const { env } = samEnv(running, template)
  for (const id of SAM_FUNCTIONS) {
    // As in the container: the Lambda runtime's variables and env.json's, nothing from this shell.
    const config = loadConfig({ ...env[id], AWS_REGION: 'us-east-1', AWS_LAMBDA_FUNCTION_NAME: id })
    t.equal(config.stage, 'local', id)
    t.same(config.endpoints, {
      dynamodb: 'http://127.0.0.1:4961',
      cognito: 'http://127.0.0.1:4963',
      ses: 'http://127.0.0.1:4962',
      eventbridge: 'http://127.0.0.1:4964',
      secretsManager: undefined,
      sqs: 'http://127.0.0.1:4964'
    }, `${id}: the emulators on 127.0.0.1 (a container on the host network reaches them)`)
    t.ok(config.localCredentials, `${id}: fixed local credentials, not the profile's`)
    t.match(config.cognito, { userPoolId: 'local_4Xy9', clientId: 'client-abc', issuer: 'http://127.0.0.1:4963/local_4Xy9' })
    t.same(config.tables, loadConfig({ ...running.env, STAGE: 'local' }).tables, `${id}: the local table names`)
    t.equal(config.eventBusName, 'commerce-local')
    t.same(config.partnerKeys.warehouse, loadConfig({ STAGE: 'local', ...running.env }).partnerKeys.warehouse,
      `${id}: the development keys npm start prints, not a secret ARN`)
  }
  const worker = loadConfig({ ...env.WorkerFunction, AWS_REGION: 'us-east-1' })
  t.same(worker.deadLetterQueues, { events: running.env?.EVENTS_DLQ_URL, stream: running.env?.ORDERS_STREAM_DLQ_URL })
  t.equal(worker.webhookUrls.warehouse, running.env?.WAREHOUSE_WEBHOOK_URL)
  t.equal(worker.webhookUrls.delivery, running.env?.DELIVERY_WEBHOOK_URL)
  const api = loadConfig({ ...env.ApiFunction, AWS_REGION: 'us-east-1' })
  t.equal(api.corsHandledBy, 'app', 'no API Gateway CORS in front of sam local')
  t.equal(api.accessLog, true)
})

t.test('what the template cannot pass is named, without the AWS_ variables SAM sets itself', async (t) => {
  t.same(samEnv(running, template).notPassed, ['USER_POOL_CLIENT_SECRET'])
})
