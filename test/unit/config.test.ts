import t from 'tap'
import { ConfigError, loadConfig } from '../../core/config.js'

const base = { USER_POOL_ID: 'us-east-1_abc', USER_POOL_CLIENT_ID: 'client' }
const arn = (n: string): string => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${n}`
/** A safe production environment: every secret from Secrets Manager, https origins, a sender. */
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

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

t.test('local defaults need only the Cognito pool and client', async (t) => {
  const config = loadConfig(base)
  t.equal(config.stage, 'local')
  t.equal(config.tables.items, 'items')
  t.equal(config.corsOrigins, '*')
  t.equal(config.corsHandledBy, 'app', 'the app answers CORS unless told API Gateway does')
  t.equal(config.accessLog, true, 'an access line per request unless told API Gateway writes it')
  t.equal(config.cognito.issuer, 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc')
  t.same(config.partnerKeys.warehouse, { value: 'dev-warehouse-key-0123456789abcdef' })
})

t.test('a missing setting stops the start and names the variable', async (t) => {
  const problems = problemsOf({})
  t.match(problems.join('\n'), /USER_POOL_ID is required/)
  t.match(problems.join('\n'), /USER_POOL_CLIENT_ID is required/)
  t.throws(() => loadConfig({}), ConfigError)
})

t.test('invalid values say what is expected', async (t) => {
  t.match(problemsOf({ ...base, LOG_LEVEL: 'loud' }), [/LOG_LEVEL must be one of/])
  t.match(problemsOf({ ...base, WEBHOOK_TIMEOUT_MS: 'soon' }), [/WEBHOOK_TIMEOUT_MS must be an integer/])
  t.match(problemsOf({ ...base, DYNAMODB_ENDPOINT: 'ftp://x' }), [/DYNAMODB_ENDPOINT must be an http\(s\) URL/])
  t.match(problemsOf({ ...base, CORS_ORIGINS: 'shop.example.com' }), [/CORS_ORIGINS entries must be origins/])
  t.match(problemsOf({ ...base, AWS_REGION: 'mars' }), [/AWS_REGION must be an AWS region/])
  t.match(problemsOf({ ...base, CORS_HANDLED_BY: 'browser' }), [/CORS_HANDLED_BY must be one of app, gateway/])
  t.match(problemsOf({ ...base, ACCESS_LOG: 'yes' }), [/ACCESS_LOG must be one of on, off/])
  t.match(problemsOf({ ...base, WAREHOUSE_API_KEY: 'short' }), [/WAREHOUSE_API_KEY must be at least 16/])
})

t.test('deployed stages need secrets from Secrets Manager, an explicit CORS list and a sender, and no ' +
  'emulators', async (t) => {
  const problems = problemsOf({ ...base, STAGE: 'prod', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' }).join('\n')
  for (const name of [
    'WAREHOUSE_KEYS_SECRET_ARN',
    'DELIVERY_KEYS_SECRET_ARN',
    'CURSOR_SECRET_ARN',
    'CORS_ORIGINS',
    'SES_FROM',
    '_ENDPOINT variables'
  ]) {
    t.match(problems, name)
  }
  const config = loadConfig({ ...PROD, CORS_ORIGINS: 'https://shop.example.com, https://admin.example.com' })
  t.same(config.corsOrigins, ['https://shop.example.com', 'https://admin.example.com'])
  t.same(config.partnerKeys.delivery, { secretArn: arn('d') })
  t.equal(config.localCredentials, undefined)
})

t.test('emulator endpoints switch the SDK to fixed local credentials and the local issuer', async (t) => {
  const config = loadConfig({ ...base, COGNITO_ENDPOINT: 'http://127.0.0.1:9229/' })
  t.equal(config.cognito.issuer, 'http://127.0.0.1:9229/us-east-1_abc')
  t.same(config.localCredentials, { accessKeyId: 'local', secretAccessKey: 'local' })
})

// A production config must refuse what only a misconfigured deploy would give.
t.test('STAGE=prod refuses unsafe values, naming the variable', async (t) => {
  const prod = PROD
  t.same(problemsOf(prod), [], 'the safe production config starts')

  const { WAREHOUSE_KEYS_SECRET_ARN: _w, DELIVERY_KEYS_SECRET_ARN: _d, ...withoutKeyArns } = prod
  const plain = problemsOf({
    ...withoutKeyArns,
    WAREHOUSE_API_KEY: 'a-long-enough-warehouse-key',
    DELIVERY_API_KEY: 'dev-delivery-key-0123456789abcdef'
  }).join('\n')
  t.match(plain, /WAREHOUSE_API_KEY must not be set when STAGE is prod/, 'a plain partner key is refused')
  t.match(plain, /DELIVERY_API_KEY must not be set when STAGE is prod/, 'the published development default too')

  t.match(problemsOf({ ...prod, COGNITO_ISSUER: 'http://cognito.example.com/pool' }).join('\n'), /COGNITO_ISSUER must be an https URL when STAGE is prod/)
  t.match(
    problemsOf({ ...prod, CORS_ORIGINS: '*' }).join('\n'),
    /CORS_ORIGINS must list origins \(no \*\) when STAGE is prod/
  )
  t.match(problemsOf({ ...prod, CORS_ORIGINS: 'https://shop.example.com,http://shop.example.com' }).join('\n'), /CORS_ORIGINS entries must be https origins when STAGE is prod \(got "http:\/\/shop.example.com"\)/)
})

t.test('no deployed stage accepts the published development keys', async (t) => {
  const problems = problemsOf({
    ...base,
    STAGE: 'dev',
    CORS_ORIGINS: '*',
    SES_FROM: 'orders@example.com',
    WAREHOUSE_API_KEY: 'dev-warehouse-key-0123456789abcdef',
    CURSOR_SIGNING_KEY: 'dev-cursor-signing-key'
  }).join('\n')
  t.match(problems, /WAREHOUSE_API_KEY is the published development default/)
  t.match(problems, /CURSOR_SIGNING_KEY is the published development default/)
})

// Unsafe settings a production stage must refuse: limits switched off, tokens from another issuer,
// and a Lambda that forgot its stage (it would run on the development defaults).
t.test('STAGE=prod refuses RATE_LIMITS=off and any issuer but its own pool\'s; Lambda needs a STAGE', async (t) => {
  t.match(problemsOf({ ...PROD, RATE_LIMITS: 'off' }).join('\n'), /RATE_LIMITS=off is refused when STAGE is prod/)
  t.same(problemsOf({ ...PROD, RATE_LIMITS: 'on' }), [])
  t.same(problemsOf({ ...PROD, COGNITO_ISSUER: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc' }), [],
    'its own pool\'s issuer')
  for (const other of ['https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other',
    'https://issuer.example.com/us-east-1_abc',
    'https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_abc']) {
    t.match(problemsOf({ ...PROD, COGNITO_ISSUER: other }).join('\n'),
      /COGNITO_ISSUER must be the pool's own issuer, https:\/\/cognito-idp\.us-east-1\.amazonaws\.com\/us-east-1_abc/,
      other)
  }
  t.same(problemsOf({ ...PROD, RATE_LIMITS: 'off', STAGE: 'test' }).filter((p) => /RATE_LIMITS/.test(p)), [],
    'tests may switch them off')

  const { STAGE: _stage, ...noStage } = PROD
  t.match(problemsOf({ ...noStage, AWS_LAMBDA_FUNCTION_NAME: 'shop-api' }).join('\n'), /STAGE is required in Lambda/,
    'a Lambda without STAGE does not start')
  t.same(problemsOf({ ...base, AWS_LAMBDA_FUNCTION_NAME: 'shop-api', STAGE: 'local' }), [], 'a stated stage starts')
  t.same(problemsOf(base), [], 'outside Lambda the default stage is still local')
  t.equal(loadConfig(base).mailsPerAddress, 5, 'five account mails an hour per address by default')
})
