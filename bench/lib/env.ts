// The environment the bundles run with in the bench: what the template sets on the function (JSON
// logs at the template's default level, source maps on, CORS and the access line left to API
// Gateway), the stage "test" (so emulator endpoints are allowed) and every AWS endpoint pointed at
// the stub. IN_APP_CORS_AND_ACCESS_LOG puts back what `npm start` runs with instead.
export function lambdaEnv (awsEndpoint: string): Record<string, string> {
  return {
    NODE_OPTIONS: '--enable-source-maps',
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
    EVENT_BUS_NAME: 'commerce-bench',
    USER_POOL_ID: 'us-east-1_bench',
    USER_POOL_CLIENT_ID: 'bench-client',
    CORS_ORIGINS: '*',
    CORS_HANDLED_BY: 'gateway',
    ACCESS_LOG: 'off',
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
