// The environment the bundles run with in the bench: what the template sets on the API function
// to fixed values (read from infra/template.yaml: source maps on, CORS and the access line left to
// API Gateway), JSON logs at the template's default level, the stage "test" (so emulator endpoints
// are allowed) and every AWS endpoint pointed at the stub. IN_APP_CORS_AND_ACCESS_LOG puts back
// what `npm start` runs with instead.
import { loadTemplate, type CfnTemplate } from '../../infra/template.js'

type Variables = Record<string, unknown>

/** The variables the template gives the API function as literal values (Globals included). */
function templateLiterals (): Record<string, string> {
  type WithGlobals = CfnTemplate & { Globals?: { Function?: { Environment?: { Variables?: Variables } } } }
  const { Globals, Resources } = loadTemplate() as WithGlobals
  const vars: Variables = {
    ...Globals?.Function?.Environment?.Variables,
    ...Resources.ApiFunction?.Properties?.Environment?.Variables
  }
  // !Ref and !Sub values are the stack's; the bench sets its own below.
  return Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => typeof e[1] === 'string'))
}

export function lambdaEnv (awsEndpoint: string): Record<string, string> {
  return {
    ...templateLiterals(),
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    STAGE: 'test',
    LOG_LEVEL: 'info',
    ITEMS_TABLE: 'items',
    ORDERS_TABLE: 'orders',
    IDEMPOTENCY_TABLE: 'idempotency',
    SUPPRESSIONS_TABLE: 'mail-suppressions',
    EVENT_BUS_NAME: 'commerce-bench',
    USER_POOL_ID: 'us-east-1_bench',
    USER_POOL_CLIENT_ID: 'bench-client',
    CORS_ORIGINS: '*',
    DYNAMODB_ENDPOINT: awsEndpoint,
    COGNITO_ENDPOINT: awsEndpoint,
    EVENTBRIDGE_ENDPOINT: awsEndpoint,
    SES_ENDPOINT: awsEndpoint,
    SECRETSMANAGER_ENDPOINT: awsEndpoint,
    WAREHOUSE_WEBHOOK_URL: 'http://127.0.0.1:9/warehouse',
    DELIVERY_WEBHOOK_URL: 'http://127.0.0.1:9/delivery'
  }
}

/** The app's own CORS and access-log line, as in local runs (the template hands both to API Gateway). */
export const IN_APP_CORS_AND_ACCESS_LOG = { CORS_HANDLED_BY: 'app', ACCESS_LOG: 'on' } as const
