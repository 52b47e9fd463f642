// The one typed configuration of the API and the worker. Everything comes from the environment
// (Lambda sets it from infra/template.yaml; `npm start` and the tests set it from the local stack),
// is validated once at start-up, and is then passed around as data: no module reads process.env.

export type Stage = 'local' | 'test' | 'dev' | 'prod'
export type PartnerName = 'warehouse' | 'delivery'

/** A secret is either given directly (local runs) or read from Secrets Manager (deployed). */
export type SecretSource = { value: string } | { secretArn: string }

export interface Endpoints {
  dynamodb?: string
  cognito?: string
  ses?: string
  eventbridge?: string
  secretsManager?: string
  sqs?: string
}

export interface Config {
  stage: Stage
  version: string
  region: string
  /** The Lambda function's name (unset outside Lambda): the `service` dimension of its metrics. */
  functionName?: string
  /** X-Ray active tracing (TRACING=Active, set by the template): the Tracer is loaded only then. */
  tracing: boolean
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  logPretty: boolean
  /** Metric lines (EMF) on stdout: on by default, off locally (STAGE=local) unless METRICS=on. */
  metrics: boolean
  /** suppressions: addresses that bounced or complained, sent no more order mail (the worker's). */
  /** catalogIndex: the items' search tokens and category counters (docs/ARCHITECTURE.md, "Catalog index"). */
  tables: {
    items: string
    orders: string
    idempotency: string
    suppressions: string
    catalogIndex: string
    rateLimits: string
  }
  eventBusName: string
  /** clientSecret: the app client's secret (a confidential client), for SECRET_HASH; none for a public client. */
  cognito: { userPoolId: string; clientId: string; issuer: string; clientSecret?: SecretSource }
  corsOrigins: '*' | string[]
  /**
   * Who answers CORS: the app (local runs, a REST API in front) or API Gateway (the deployed HTTP
   * API has a CorsConfiguration, answers preflights and ignores CORS headers from the function).
   */
  corsHandledBy: 'app' | 'gateway'
  /**
   * One access-log line per request from the app. Off in the deployed API function: the HTTP
   * API's access log already writes that line, with the same request id. Errors are logged either way.
   */
  accessLog: boolean
  /** Partner API keys: a JSON map of key name to key (Secrets Manager), or one key (local). */
  partnerKeys: Record<PartnerName, SecretSource>
  /** HMAC keys the worker signs partner webhooks with. */
  webhookKeys: Record<PartnerName, SecretSource>
  webhookUrls: Record<PartnerName, string | undefined>
  webhookTimeoutMs: number
  pickupAddress: string
  /**
   * The worker's dead-letter queues (URLs), where it parks what it will not retry: order events
   * (EventsDeadLetterQueue) and stream records (OrdersStreamDeadLetterQueue).
   */
  deadLetterQueues: { events?: string; stream?: string }
  /** A stream record failing for a passing reason is parked (with its content) once this old. */
  streamParkAfterSeconds: number
  /** HMAC key that makes pagination cursors tamper-evident. */
  cursorKey: SecretSource
  /** configurationSet: the SES configuration set every order email is sent with (deployed: the stack's). */
  email: { from: string; replyTo?: string; configurationSet?: string }
  secretsTtlSeconds: number
  /** Rate limits shared by every API container (plugins/rate-limit.ts); the windows are fixed there. */
  rateLimits: RateLimitsConfig
  /** Mails the account flow may send one address in an hour (data/mail-quota.ts); on with the rate limits. */
  mailsPerAddress: number
  /**
   * The secret CloudFront sends in x-edge-secret when the optional edge is on (infra/template.yaml's
   * EdgeProtection): only a request carrying it has its CloudFront-Viewer-Address believed.
   */
  edgeSecret?: SecretSource
  /** How long after its last good read a secret may be served while Secrets Manager fails (0: never). */
  secretsMaxStaleSeconds: number
  /**
   * How long a container trusts Cognito's answer about an account (deleted, disabled, signed out):
   * a revoked token stops working within this (within a minute for tokens claiming groups).
   */
  revocationCheckSeconds: number
  /**
   * Every AWS SDK call's timeouts: connecting, and each attempt as a whole (connecting included).
   * The SDK makes up to 3 attempts of a call; the defaults keep two calls' worth well inside the
   * API function's 15 s.
   */
  awsTimeouts: { connectMs: number; requestMs: number; sesRequestMs: number }
  endpoints: Endpoints
  /** Static credentials for the local emulators, so the SDK never walks the credential chain. */
  localCredentials?: { accessKeyId: string; secretAccessKey: string }
}

export interface RateLimitsConfig {
  /** Off only for measuring what the limiter costs (bench) and for tests of other things. */
  enabled: boolean
  /** Sign-in attempts per client IP a minute. */
  signinPerIp: number
  /** Failed sign-ins per account from one client IP in 15 minutes. */
  signinFailuresPerAccountClient: number
  /** Failed sign-ins per account from every client in 15 minutes. */
  signinFailuresPerAccount: number
  /** Sign-ups per client IP an hour. */
  signupPerIp: number
  /** Token refreshes per client IP a minute. */
  refreshPerIp: number
  /** Orders placed per user a minute. */
  ordersPerUser: number
  /** Partner calls per partner API key a minute. */
  partnerPerKey: number
  /** Searches (GET /items with q) per client IP a minute. */
  searchPerIp: number
  /** A call to the limits' table slower than this counts as an outage (the container counts in memory). */
  tableTimeoutMs: number
}

/** The limits' table deadline when the environment sets none. */
export const LIMITER_TIMEOUT_MS = 1000

/** The limits when the environment sets none (the template's parameters default to the same). */
export const RATE_LIMIT_DEFAULTS: Omit<RateLimitsConfig, 'enabled' | 'tableTimeoutMs'> = {
  signinPerIp: 30,
  signinFailuresPerAccountClient: 5,
  signinFailuresPerAccount: 50,
  signupPerIp: 10,
  refreshPerIp: 60,
  ordersPerUser: 30,
  partnerPerKey: 600,
  searchPerIp: 120
}

export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

/** Development defaults: printed by `npm start`, never used when STAGE is dev or prod. */
export const LOCAL_DEFAULTS = {
  WAREHOUSE_API_KEY: 'dev-warehouse-key-0123456789abcdef',
  DELIVERY_API_KEY: 'dev-delivery-key-0123456789abcdef',
  WAREHOUSE_WEBHOOK_SECRET: 'dev-warehouse-webhook-secret',
  DELIVERY_WEBHOOK_SECRET: 'dev-delivery-webhook-secret',
  CURSOR_SIGNING_KEY: 'dev-cursor-signing-key'
} as const

const STAGES: readonly Stage[] = ['local', 'test', 'dev', 'prod']
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export function loadConfig (env: Env = process.env): Config {
  const problems: string[] = []
  const read = (name: string): string | undefined => {
    const v = env[name]
    return v === undefined || v.trim() === '' ? undefined : v.trim()
  }
  const required = (name: string, what: string): string => {
    const v = read(name)
    if (v === undefined) problems.push(`${name} is required: ${what}`)
    return v ?? ''
  }
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const v = read(name) ?? fallback
    if (!(allowed as readonly string[]).includes(v)) {
      problems.push(`${name} must be one of ${allowed.join(', ')} (got "${v}")`)
      return fallback
    }
    return v as T
  }
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name)
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`)
      return fallback
    }
    return n
  }
  const url = (name: string): string | undefined => {
    const v = read(name)
    if (v === undefined) return undefined
    try {
      const u = new URL(v)
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme')
      return v.replace(/\/$/, '')
    } catch {
      problems.push(`${name} must be an http(s) URL (got "${v}")`)
      return undefined
    }
  }
  const isDeployed = (s: Stage): boolean => s === 'dev' || s === 'prod'
  // In Lambda a forgotten STAGE must not mean "local" (development keys, no limits required).
  if (read('AWS_LAMBDA_FUNCTION_NAME') !== undefined && read('STAGE') === undefined) {
    problems.push('STAGE is required in Lambda (AWS_LAMBDA_FUNCTION_NAME is set): dev or prod, as ' +
      'infra/template.yaml sets it')
  }
  const stage = oneOf('STAGE', STAGES, 'local')
  const deployed = isDeployed(stage)

  // A secret: deployed stages name a Secrets Manager ARN; local stages may give the value.
  const secret = (arnVar: string, valueVar: string, localDefault: string): SecretSource => {
    const arn = read(arnVar)
    if (arn !== undefined) {
      if (!arn.startsWith('arn:')) problems.push(`${arnVar} must be a Secrets Manager ARN (got "${arn}")`)
      return { secretArn: arn }
    }
    const value = read(valueVar)
    if (value !== undefined) {
      if (value.length < 16) problems.push(`${valueVar} must be at least 16 characters long`)
      // A production secret lives in Secrets Manager (rotated, audited, never in an environment).
      if (stage === 'prod') {
        problems.push(
        `${valueVar} must not be set when STAGE is prod: set ${arnVar} to a Secrets Manager ARN`
        )
      } else if (deployed && value === localDefault) {
        problems.push(
        `${valueVar} is the published development default: set ${arnVar} (or another value) when STAGE is ${stage}`
        )
      }
      return { value }
    }
    if (deployed) problems.push(`${arnVar} is required when STAGE is ${stage}: the ARN of a Secrets Manager secret`)
    return { value: localDefault }
  }

  // An optional secret: an ARN (deployed) or a value (local), or neither.
  const optionalSecret = (arnVar: string, valueVar: string): SecretSource | undefined =>
    read(arnVar) !== undefined || read(valueVar) !== undefined ? secret(arnVar, valueVar, '') : undefined

  const region = read('AWS_REGION') ?? read('AWS_DEFAULT_REGION') ?? 'us-east-1'
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    problems.push(`AWS_REGION must be an AWS region name like eu-west-1 (got "${region}")`)
  }

  const userPoolId = required('USER_POOL_ID', 'the Cognito user pool id, for example eu-west-1_AbCdEf123')
  const clientId = required('USER_POOL_CLIENT_ID', 'the Cognito app client id')
  const cognitoEndpoint = url('COGNITO_ENDPOINT')
  // Cognito's issuer is fixed by AWS; cognito-local serves tokens under its own address.
  const issuer = url('COGNITO_ISSUER') ??
    (cognitoEndpoint !== undefined ? `${cognitoEndpoint}/${userPoolId}` : `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`)
  // Over plain http the signing keys (and so every token) could be swapped on the way.
  if (stage === 'prod' && !issuer.startsWith('https://')) problems.push(`COGNITO_ISSUER must be an https URL when STAGE is prod (got "${issuer}")`)
  // Tokens from any other issuer (another pool, another account's) must never be accepted in prod.
  const ownIssuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`
  if (stage === 'prod' && issuer !== ownIssuer) {
    problems.push(`COGNITO_ISSUER must be the pool's own issuer, ${ownIssuer}, when STAGE is prod (got "${issuer}")`)
  }

  const corsRaw = read('CORS_ORIGINS') ?? (deployed ? undefined : '*')
  let corsOrigins: Config['corsOrigins'] = []
  if (corsRaw === undefined) {
    problems.push(`CORS_ORIGINS is required when STAGE is ${stage}: a comma-separated list of origins, or *`)
  } else if (corsRaw === '*') {
    if (stage === 'prod') problems.push('CORS_ORIGINS must list origins (no *) when STAGE is prod: the shop\'s own, like https://shop.example.com')
    corsOrigins = '*'
  } else {
    corsOrigins = corsRaw.split(',').map((o) => o.trim()).filter(Boolean)
    for (const o of corsOrigins) {
      if (!/^https?:\/\/[^/]+$/.test(o)) problems.push(`CORS_ORIGINS entries must be origins like https://shop.example.com (got "${o}")`)
      else if (stage === 'prod' && !o.startsWith('https://')) problems.push(`CORS_ORIGINS entries must be https origins when STAGE is prod (got "${o}")`)
    }
  }

  const fromEmail = read('SES_FROM') ?? (deployed ? undefined : 'orders@serverless-commerce.local')
  if (fromEmail === undefined) problems.push(`SES_FROM is required when STAGE is ${stage}: the verified sender address`)
  else if (!/^[^@\s]+@[^@\s]+$/.test(fromEmail)) problems.push(`SES_FROM must be an email address (got "${fromEmail}")`)

  const config: Config = {
    stage,
    version: read('APP_VERSION') ?? read('npm_package_version') ?? '0.0.0-dev',
    region,
    functionName: read('AWS_LAMBDA_FUNCTION_NAME'),
    tracing: oneOf('TRACING', ['Active', 'PassThrough'] as const, 'PassThrough') === 'Active',
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    // Pretty logs for people at a terminal; JSON in Lambda, where CloudWatch parses it.
    logPretty: (read('LOG_FORMAT') ?? (read('AWS_LAMBDA_FUNCTION_NAME') !== undefined
      ? 'json'
      : 'pretty')) === 'pretty',
    // CloudWatch makes metrics of these lines; at a local terminal they only drown the logs.
    metrics: oneOf('METRICS', ['on', 'off'] as const, stage === 'local' ? 'off' : 'on') === 'on',
    tables: {
      items: read('ITEMS_TABLE') ?? 'items',
      orders: read('ORDERS_TABLE') ?? 'orders',
      idempotency: read('IDEMPOTENCY_TABLE') ?? 'idempotency',
      suppressions: read('SUPPRESSIONS_TABLE') ?? 'mail-suppressions',
      catalogIndex: read('CATALOG_INDEX_TABLE') ?? 'catalog-index',
      rateLimits: read('RATE_LIMIT_TABLE') ?? 'rate-limits'
    },
    eventBusName: read('EVENT_BUS_NAME') ?? 'commerce-local',
    cognito: {
      userPoolId,
      clientId,
      issuer,
      clientSecret: optionalSecret('USER_POOL_CLIENT_SECRET_ARN', 'USER_POOL_CLIENT_SECRET')
    },
    corsOrigins,
    corsHandledBy: oneOf('CORS_HANDLED_BY', ['app', 'gateway'] as const, 'app'),
    accessLog: oneOf('ACCESS_LOG', ['on', 'off'] as const, 'on') === 'on',
    partnerKeys: {
      warehouse: secret('WAREHOUSE_KEYS_SECRET_ARN', 'WAREHOUSE_API_KEY', LOCAL_DEFAULTS.WAREHOUSE_API_KEY),
      delivery: secret('DELIVERY_KEYS_SECRET_ARN', 'DELIVERY_API_KEY', LOCAL_DEFAULTS.DELIVERY_API_KEY)
    },
    webhookKeys: {
      warehouse: secret(
        'WAREHOUSE_WEBHOOK_SECRET_ARN',
        'WAREHOUSE_WEBHOOK_SECRET',
        LOCAL_DEFAULTS.WAREHOUSE_WEBHOOK_SECRET
      ),
      delivery: secret('DELIVERY_WEBHOOK_SECRET_ARN', 'DELIVERY_WEBHOOK_SECRET', LOCAL_DEFAULTS.DELIVERY_WEBHOOK_SECRET)
    },
    webhookUrls: { warehouse: url('WAREHOUSE_WEBHOOK_URL'), delivery: url('DELIVERY_WEBHOOK_URL') },
    webhookTimeoutMs: int('WEBHOOK_TIMEOUT_MS', 5000, 100, 60000),
    pickupAddress: read('PICKUP_ADDRESS') ?? 'Serverless Commerce Warehouse, 1 Dock Road, Springfield',
    deadLetterQueues: { events: url('EVENTS_DLQ_URL'), stream: url('ORDERS_STREAM_DLQ_URL') },
    streamParkAfterSeconds: int('STREAM_PARK_AFTER_SECONDS', 6 * 3600, 60, 20 * 3600),
    cursorKey: secret('CURSOR_SECRET_ARN', 'CURSOR_SIGNING_KEY', LOCAL_DEFAULTS.CURSOR_SIGNING_KEY),
    email: { from: fromEmail ?? '', replyTo: read('SES_REPLY_TO'), configurationSet: read('SES_CONFIGURATION_SET') },
    secretsTtlSeconds: int('SECRETS_TTL_SECONDS', 300, 1, 3600),
    rateLimits: {
      enabled: oneOf('RATE_LIMITS', ['on', 'off'] as const, 'on') === 'on',
      signinPerIp: int('RATE_LIMIT_SIGNIN_PER_IP', RATE_LIMIT_DEFAULTS.signinPerIp, 1, 100_000),
      signinFailuresPerAccountClient: int(
        'RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT_CLIENT',
        RATE_LIMIT_DEFAULTS.signinFailuresPerAccountClient,
        1,
        1000
      ),
      signinFailuresPerAccount: int(
        'RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT',
        RATE_LIMIT_DEFAULTS.signinFailuresPerAccount,
        1,
        100_000
      ),
      signupPerIp: int('RATE_LIMIT_SIGNUP_PER_IP', RATE_LIMIT_DEFAULTS.signupPerIp, 1, 100_000),
      refreshPerIp: int('RATE_LIMIT_REFRESH_PER_IP', RATE_LIMIT_DEFAULTS.refreshPerIp, 1, 100_000),
      ordersPerUser: int('RATE_LIMIT_ORDERS_PER_USER', RATE_LIMIT_DEFAULTS.ordersPerUser, 1, 100_000),
      partnerPerKey: int('RATE_LIMIT_PARTNER_PER_KEY', RATE_LIMIT_DEFAULTS.partnerPerKey, 1, 1_000_000),
      searchPerIp: int('RATE_LIMIT_SEARCH_PER_IP', RATE_LIMIT_DEFAULTS.searchPerIp, 1, 1_000_000),
      tableTimeoutMs: int('RATE_LIMIT_TABLE_TIMEOUT_MS', LIMITER_TIMEOUT_MS, 50, 30_000)
    },
    mailsPerAddress: int('MAIL_CAP_PER_ADDRESS', 5, 1, 1000),
    edgeSecret: optionalSecret('EDGE_SECRET_ARN', 'EDGE_SECRET'),
    secretsMaxStaleSeconds: int('SECRETS_MAX_STALE_SECONDS', 3600, 0, 86400),
    revocationCheckSeconds: int('REVOCATION_CHECK_SECONDS', 120, 1, 300),
    awsTimeouts: {
      connectMs: int('AWS_CONNECT_TIMEOUT_MS', 1000, 1, 10000),
      requestMs: int('AWS_REQUEST_TIMEOUT_MS', 2000, 1, 60000),
      // SES's SendEmail is made once (never retried by the SDK): its one attempt gets longer.
      sesRequestMs: int('SES_REQUEST_TIMEOUT_MS', 10000, 1, 60000)
    },
    endpoints: {
      dynamodb: url('DYNAMODB_ENDPOINT'),
      cognito: cognitoEndpoint,
      ses: url('SES_ENDPOINT'),
      eventbridge: url('EVENTBRIDGE_ENDPOINT'),
      secretsManager: url('SECRETSMANAGER_ENDPOINT'),
      sqs: url('SQS_ENDPOINT')
    }
  }
  if (stage === 'prod' && !config.rateLimits.enabled) {
    problems.push('RATE_LIMITS=off is refused when STAGE is prod: the limits guard sign-in and mail')
  }
  const anyEndpoint = Object.values(config.endpoints).some((e) => e !== undefined)
  if (anyEndpoint) {
    if (deployed) problems.push(`*_ENDPOINT variables point at emulators and must not be set when STAGE is ${stage}`)
    config.localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' }
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return config
}

/**
 * The variables infra/template.yaml sets on each deployed function (Lambda gives them from the
 * template); test/unit/template.test.ts checks the template against these lists and these lists
 * against what loadConfig reads. A new setting goes in exactly one of these lists or ENV_NOT_FROM_TEMPLATE.
 */
/**
 * The emulators' endpoints, declared empty in the template (empty: the AWS default endpoint) so that
 * `sam local` passes the values of env.json (`npm run sam:env`) to a function; refused when set on dev or prod.
 */
export const LOCAL_ENDPOINT_ENV = [
  'DYNAMODB_ENDPOINT', 'COGNITO_ENDPOINT', 'SES_ENDPOINT', 'EVENTBRIDGE_ENDPOINT', 'SQS_ENDPOINT'
] as const
const COMMON_DEPLOYED_ENV = [
  ...LOCAL_ENDPOINT_ENV,
  'STAGE', 'LOG_LEVEL', 'ITEMS_TABLE', 'ORDERS_TABLE', 'IDEMPOTENCY_TABLE', 'SUPPRESSIONS_TABLE', 'EVENT_BUS_NAME',
  'USER_POOL_ID', 'USER_POOL_CLIENT_ID', 'CORS_ORIGINS', 'SES_FROM', 'TRACING',
  // loadConfig needs every secret's ARN on a deployed stage; each role reads only its own.
  'WAREHOUSE_KEYS_SECRET_ARN', 'DELIVERY_KEYS_SECRET_ARN', 'WAREHOUSE_WEBHOOK_SECRET_ARN',
  'DELIVERY_WEBHOOK_SECRET_ARN', 'CURSOR_SECRET_ARN'
] as const
export const DEPLOYED_ENV = {
  api: [
    ...COMMON_DEPLOYED_ENV, 'CORS_HANDLED_BY', 'ACCESS_LOG', 'SES_CONFIGURATION_SET', 'CATALOG_INDEX_TABLE',
    'RATE_LIMIT_TABLE', 'EDGE_SECRET_ARN',
    'USER_POOL_CLIENT_SECRET_ARN',
    'RATE_LIMIT_SIGNIN_PER_IP', 'RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT_CLIENT',
    'RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT',
    'RATE_LIMIT_SIGNUP_PER_IP', 'RATE_LIMIT_REFRESH_PER_IP', 'RATE_LIMIT_ORDERS_PER_USER', 'RATE_LIMIT_PARTNER_PER_KEY',
    'RATE_LIMIT_SEARCH_PER_IP'
  ],
  worker: [
    ...COMMON_DEPLOYED_ENV,
    'WAREHOUSE_WEBHOOK_URL',
    'DELIVERY_WEBHOOK_URL',
    'SES_REPLY_TO',
    'SES_CONFIGURATION_SET',
    'PICKUP_ADDRESS',
    'EVENTS_DLQ_URL',
    'ORDERS_STREAM_DLQ_URL'
  ]
} as const

/** Variables loadConfig reads that the template deliberately does not set, and why. */
export const ENV_NOT_FROM_TEMPLATE: Record<string, string> = {
  AWS_REGION: 'set by the Lambda runtime',
  AWS_DEFAULT_REGION: 'set by the Lambda runtime',
  AWS_LAMBDA_FUNCTION_NAME: "set by the Lambda runtime (selects JSON logs; the metrics' service dimension)",
  APP_VERSION: 'set by the bundle (scripts/build.ts)',
  npm_package_version: 'set by npm for local runs',
  METRICS: 'on by default; off for STAGE=local (npm start), where nothing reads the metric lines',
  LOG_FORMAT: 'runs from source only (pretty at a terminal by default); the API bundle always logs JSON',
  COGNITO_ISSUER: "derived from the region and the pool id; only cognito-local's differs",
  SECRETSMANAGER_ENDPOINT: 'tests and the bench only (npm start runs no Secrets Manager); refused on deployed stages',
  STREAM_PARK_AFTER_SECONDS: 'tunable; the default (6 h) is below the stream mapping\'s MaximumRecordAgeInSeconds',
  WAREHOUSE_API_KEY: 'local value; deployed stages read the secret ARN',
  DELIVERY_API_KEY: 'local value; deployed stages read the secret ARN',
  WAREHOUSE_WEBHOOK_SECRET: 'local value; deployed stages read the secret ARN',
  DELIVERY_WEBHOOK_SECRET: 'local value; deployed stages read the secret ARN',
  CURSOR_SIGNING_KEY: 'local value; deployed stages read the secret ARN',
  WEBHOOK_TIMEOUT_MS: 'tunable; the default fits the worker timeout',
  SECRETS_TTL_SECONDS: 'tunable; the default fits',
  EDGE_SECRET: 'local value (to try the edge headers); deployed stages read the secret ARN',
  USER_POOL_CLIENT_SECRET: "local value (cognito-local's client); deployed stages read the secret ARN",
  MAIL_CAP_PER_ADDRESS: 'tunable; the default (5 an hour) leaves room for a few new codes',
  RATE_LIMITS: 'always on deployed; off only to measure the limiter (bench) and in tests of other things',
  SECRETS_MAX_STALE_SECONDS: 'tunable; the default (an hour) fits',
  REVOCATION_CHECK_SECONDS: 'tunable; the default (2 minutes) bounds how long a revoked token works',
  AWS_CONNECT_TIMEOUT_MS: 'tunable; the default fits the functions\' timeouts',
  AWS_REQUEST_TIMEOUT_MS: 'tunable; the default fits the functions\' timeouts',
  RATE_LIMIT_TABLE_TIMEOUT_MS: 'tunable; the default (1 s) keeps a slow table from slowing requests',
  SES_REQUEST_TIMEOUT_MS: 'tunable; the default (10 s, one attempt) fits the worker timeout'
}
