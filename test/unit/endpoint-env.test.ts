import t from 'tap'
import { ConfigError, LOCAL_ENDPOINT_ENV, loadConfig } from '../../core/config.js'
import { loadTemplate } from '../../infra/template.js'

// The emulators' endpoints are declared empty in the template (so `sam local` can pass env.json's
// values): empty must mean the AWS default endpoint, and a value must stay refused on dev and prod.
const base = { USER_POOL_ID: 'us-east-1_abc', USER_POOL_CLIENT_ID: 'client' }
const arn = (n: string): string => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${n}`
const PROD = {
  ...base,
  STAGE: 'prod',
  CORS_ORIGINS: 'https://shop.example.com',
  SES_FROM: 'orders@example.com',
  WAREHOUSE_KEYS_SECRET_ARN: arn('w'),
  DELIVERY_KEYS_SECRET_ARN: arn('d'),
  WAREHOUSE_WEBHOOK_SECRET_ARN: arn('ww'),
  DELIVERY_WEBHOOK_SECRET_ARN: arn('dw'),
  CURSOR_SECRET_ARN: arn('c')
}
const empty = Object.fromEntries(LOCAL_ENDPOINT_ENV.map((name) => [name, '']))

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env)
    return []
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
}

t.test('the template declares each endpoint variable empty, for every function', async (t) => {
  const globals = (loadTemplate().Globals as any).Function.Environment.Variables
  for (const name of LOCAL_ENDPOINT_ENV) t.equal(globals[name], '', `${name} is declared empty`)
})

t.test('an empty endpoint is unset: the AWS default endpoint, no local credentials', async (t) => {
  const blank = Object.fromEntries(LOCAL_ENDPOINT_ENV.map((name) => [name, ' ']))
  for (const env of [{ ...base, ...empty }, { ...base, ...blank }]) {
    const config = loadConfig(env)
    t.same(Object.values(config.endpoints).filter((e) => e !== undefined), [])
    t.equal(config.localCredentials, undefined, 'the SDK walks the normal credential chain')
    t.equal(config.cognito.issuer, 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc')
  }
  t.same(problemsOf({ ...PROD, ...empty }), [], 'prod starts with the declared empty endpoints')
  t.same(problemsOf({ ...PROD, ...empty, STAGE: 'dev' }), [], 'and so does dev')
})

t.test('a non-empty endpoint is refused on prod and dev, used locally', async (t) => {
  for (const name of LOCAL_ENDPOINT_ENV) {
    for (const stage of ['prod', 'dev']) {
      const problems = problemsOf({ ...PROD, ...empty, STAGE: stage, [name]: 'http://127.0.0.1:4960' })
      t.ok(
        problems.includes(`*_ENDPOINT variables point at emulators and must not be set when STAGE is ${stage}`),
        `${name} refused on ${stage}`
      )
    }
  }
  const local = loadConfig({ ...base, ...empty, DYNAMODB_ENDPOINT: 'http://127.0.0.1:4960' })
  t.equal(local.endpoints.dynamodb, 'http://127.0.0.1:4960')
  t.equal(local.endpoints.ses, undefined)
  t.ok(local.localCredentials, 'local credentials with an emulator')
})
