// infra/template.yaml against the SAM schema and against the code: tables, environment variables,
// event rules, IAM actions, build wiring. Nothing here needs AWS or the emulators.
import t from 'tap'
import AjvDraft04 from 'ajv-draft-04'
import { readFileSync, readdirSync } from 'node:fs'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { loadTemplate, parseTemplate, TEMPLATE_PATH, type CfnResource } from '../../infra/template.js'
import { ConfigError, DEPLOYED_ENV, ENV_NOT_FROM_TEMPLATE, loadConfig } from '../../core/config.js'
import { API_IAM_ACTIONS, API_IDEMPOTENCY_KEY_PREFIXES, API_TABLE_ACTIONS } from '../../core/iam.js'
import { WORKER_IAM_ACTIONS, WORKER_IDEMPOTENCY_KEY_PREFIXES } from '../../workers/iam.js'
import { ledgerRecordId } from '../../workers/effect-ledger.js'
import {
  EFFECT_RETRY_DELAYS_S,
  maxReceiveCount,
  REPLAY_RETRY_DELAYS_S,
  STREAM_REPLAY_QUEUE_SUFFIX
} from '../../workers/delivery-policy.js'
import { BY_CATEGORY_INDEX } from '../../data/items-repository.js'
import { BY_USER_INDEX } from '../../data/orders-repository.js'
import { idempotencyRecordId } from '../../domain/idempotency.js'
import { CORS_POLICY } from '../../plugins/cors.js'
import { build } from 'esbuild'
import { FUNCTIONS, buildOptions } from '../../scripts/build.js'
import { matchesPattern } from '../../local/event-pattern.js'

const template = loadTemplate()
const resources = template.Resources
const props = (id: string): Record<string, any> => {
  const r = resources[id]
  if (r === undefined) throw new Error(`no resource ${id} in the template`)
  return r.Properties ?? {}
}
const ofType = (type: string): Array<[string, CfnResource]> =>
  Object.entries(resources).filter(([, r]) => r.Type === type)

t.test('the template validates against the SAM schema', async (t) => {
  const schema = JSON.parse(readFileSync(new URL('../../infra/schemas/sam.schema.json', import.meta.url), 'utf8'))
  // ajv-draft-04 is CommonJS: under NodeNext the class is the module's .default (set at run time too).
  const Ajv = AjvDraft04.default
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema)
  t.ok(validate(template), JSON.stringify(validate.errors?.slice(0, 5)))

  // The schema really checks serverless resources: an unknown function property is refused.
  const broken = parseTemplate(readFileSync(TEMPLATE_PATH, 'utf8'))
  broken.Resources.ApiFunction!.Properties!.MemorySizeMb = 1024
  t.notOk(validate(broken), 'an unknown AWS::Serverless::Function property fails validation')
})

// Resource types whose data a deploy must never lose: a deletion or a replacement (a changed
// immutable property) would otherwise leave the functions pointed at a new, empty one.
const STATEFUL_TYPES = [
  'AWS::DynamoDB::Table',
  'AWS::Cognito::UserPool',
  'AWS::SecretsManager::Secret',
  'AWS::SQS::Queue',
  'AWS::S3::Bucket',
  'AWS::KMS::Key'
]

t.test('prod retains every stateful resource on stack deletion and on replacement', async (t) => {
  t.same(template.Transform, ['AWS::LanguageExtensions', 'AWS::Serverless-2016-10-31'],
    'AWS::LanguageExtensions (which resolves an !If in DeletionPolicy) runs before the SAM transform')
  t.same((template.Conditions as Record<string, unknown>).IsProd, { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] })
  const stateful = Object.entries(resources).filter(([, r]) => STATEFUL_TYPES.includes(r.Type))
  for (const id of [
    'ItemsTable',
    'OrdersTable',
    'IdempotencyTable',
    'UserPool',
    'CursorSecret',
    'OrdersStreamDeadLetterQueue',
    'EventsDeadLetterQueue'
  ]) {
    t.ok(stateful.some(([name]) => name === id), `${id} is among the stateful resources`)
  }
  // The policy as CloudFormation resolves it on each stage.
  const policyOn = (value: unknown, stage: string): unknown => {
    const v = value as { 'Fn::If'?: [string, unknown, unknown] } | undefined
    if (v?.['Fn::If'] === undefined) return value
    const [condition, yes, no] = v['Fn::If']
    t.equal(condition, 'IsProd')
    return stage === 'prod' ? yes : no
  }
  for (const [id, r] of stateful) {
    for (const attribute of ['DeletionPolicy', 'UpdateReplacePolicy']) {
      t.equal(policyOn(r[attribute], 'prod'), 'Retain', `${id}: ${attribute} is Retain in prod`)
      t.equal(
        policyOn(r[attribute], 'dev'),
        'Delete',
        `${id}: ${attribute} is Delete in dev (a dev stack cleans up after itself)`
      )
    }
  }
})

t.test('cfn-lint finds nothing in the template', async (t) => {
  // cfn-lint (Python, on the project's machine image) checks every resource against AWS's
  // specifications, the LanguageExtensions functions included.
  const run = promisify(execFile)
  const { stdout } = await run('cfn-lint', [TEMPLATE_PATH], { timeout: 120_000 })
    .catch((err: NodeJS.ErrnoException & { stdout?: string }) => {
      if (err.code === 'ENOENT') throw new Error('cfn-lint is not on the PATH (pip install cfn-lint)')
      return { stdout: err.stdout ?? err.message }
    })
  t.equal(stdout.trim(), '', 'no findings')
})

t.test('tables: keys, indexes, stream and TTL are the ones the code relies on', async (t) => {
  const keys = (id: string): string[] => props(id).KeySchema.map((k: any) => `${k.AttributeName}:${k.KeyType}`)
  const index = (id: string, name: string): string[] | undefined =>
    props(id).GlobalSecondaryIndexes?.find((g: any) => g.IndexName === name)?.KeySchema.map((k: any) =>
      `${k.AttributeName}:${k.KeyType}`)
  const attrType = (id: string, name: string): string | undefined =>
    props(id).AttributeDefinitions.find((a: any) => a.AttributeName === name)?.AttributeType

  // docs/ARCHITECTURE.md, "Names shared by the template, the code and the tests".
  t.same(keys('ItemsTable'), ['id:HASH'])
  t.same(
    index('ItemsTable', BY_CATEGORY_INDEX),
    ['category:HASH', 'typeBrandId:RANGE'],
    'the items repository queries this index'
  )
  t.same(keys('OrdersTable'), ['id:HASH'])
  t.same(index('OrdersTable', 'byUser'), ['userId:HASH', 'createdAt:RANGE'])
  t.equal(
    props('OrdersTable').StreamSpecification?.StreamViewType,
    'NEW_AND_OLD_IMAGES',
    'the worker compares old and new images'
  )
  t.same(keys('IdempotencyTable'), ['id:HASH'])
  t.same(keys('CatalogIndexTable'), ['pk:HASH', 'sk:RANGE'], 'token rows and counters (domain/catalog-index-rows.ts)')
  t.equal(attrType('CatalogIndexTable', 'pk'), 'S')
  t.equal(attrType('CatalogIndexTable', 'sk'), 'S')
  t.same(
    props('IdempotencyTable').TimeToLiveSpecification,
    { AttributeName: 'expiration', Enabled: true },
    "Powertools' default expiry attribute"
  )
  t.same(keys('MailSuppressionsTable'), ['id:HASH'], 'suppressed addresses, keyed by the lower-cased address')
  t.equal(props('MailSuppressionsTable').TimeToLiveSpecification, undefined, 'a suppression never expires by itself')
  for (const [id, name] of [
    ['ItemsTable', 'id'],
    ['ItemsTable', 'category'],
    ['ItemsTable', 'typeBrandId'],
    ['OrdersTable', 'userId'],
    ['OrdersTable', 'createdAt'],
    ['IdempotencyTable', 'id']
  ]) {
    t.equal(attrType(id!, name!), 'S', `${id}.${name} is a string`)
  }

  t.same(keys('RateLimitTable'), ['id:HASH'])
  t.same(
    props('RateLimitTable').TimeToLiveSpecification,
    { AttributeName: 'expiration', Enabled: true },
    'rate-limit counters expire'
  )
  for (const [id, table] of ofType('AWS::DynamoDB::Table')) {
    const p = table.Properties ?? {}
    t.equal(p.BillingMode, 'PAY_PER_REQUEST', `${id} is on-demand`)
    // Counters that expire within the hour have nothing to restore.
    if (id === 'RateLimitTable') {
      t.equal(
        p.PointInTimeRecoverySpecification,
        undefined,
      `${id} has no point-in-time recovery`
      )
    } else {
      t.same(
        p.PointInTimeRecoverySpecification,
        { PointInTimeRecoveryEnabled: true },
      `${id} has point-in-time recovery`
      )
    }
    t.same(p.SSESpecification, { SSEEnabled: true }, `${id} is KMS-encrypted`)
    t.same(p.DeletionProtectionEnabled, { 'Fn::If': ['IsProd', true, false] }, `${id} is deletion-protected in prod`)
  }
})

// Values CloudFormation would give, enough for loadConfig to judge them.
const SAMPLE_PARAMETERS: Record<string, string> = {
  CorsAllowedOrigins: 'https://shop.example.com',
  SesSenderIdentity: 'example.com',
  SesFromAddress: 'orders@example.com',
  WarehouseWebhookUrl: 'https://warehouse.example.com/hooks',
  DeliveryWebhookUrl: ''
}
/** A condition of the template, with every parameter at its default (the edge is off). */
function condition (name: string): boolean {
  const evaluate = (c: any): boolean => {
    if ('Condition' in c) return condition(c.Condition)
    if ('Fn::Not' in c) return !evaluate(c['Fn::Not'][0])
    if ('Fn::And' in c) return c['Fn::And'].every(evaluate)
    if ('Fn::Or' in c) return c['Fn::Or'].some(evaluate)
    if ('Fn::Equals' in c) {
      const [a, b] = c['Fn::Equals'].map((x: unknown) =>
        typeof x === 'string' ? x : String(template.Parameters?.[(x as { Ref: string }).Ref]?.Default ?? ''))
      return a === b
    }
    throw new Error(`cannot evaluate ${JSON.stringify(c)}`)
  }
  return evaluate((template as any).Conditions[name])
}
function resolve (value: unknown, stage: string): string {
  if (typeof value === 'string') return value
  const v = value as Record<string, any>
  if ('Fn::If' in v) {
    const [name, yes, no] = v['Fn::If'] as [string, unknown, unknown]
    return resolve(condition(name) ? yes : no, stage)
  }
  if ('Ref' in v) {
    const name = v.Ref as string
    if (name === 'Stage') return stage
    const param = template.Parameters?.[name]
    if (param !== undefined) return SAMPLE_PARAMETERS[name] ?? String(param.Default)
    const type = resources[name]?.Type
    if (type === 'AWS::SecretsManager::Secret') {
      return `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`
    }
    if (type === 'AWS::Cognito::UserPool') return 'eu-west-1_AbCdEf123'
    if (type === 'AWS::SQS::Queue') return `https://sqs.eu-west-1.amazonaws.com/123456789012/sc-${name}`
    if (type !== undefined) return `sc-${name}`
    throw new Error(`Ref to unknown ${name}`)
  }
  if ('Fn::Join' in v) {
    const [sep, list] = v['Fn::Join'] as [string, unknown]
    const items = Array.isArray(list) ? list.map((x) => resolve(x, stage)) : resolve(list, stage).split(',')
    return items.join(sep)
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`)
}
const globalEnv: Record<string, unknown> = (template as any).Globals.Function.Environment.Variables
const functionEnv = (id: string): Record<string, unknown> => ({ ...globalEnv, ...props(id).Environment?.Variables })

t.test('every variable the config reads is set on each function that needs it, and no other', async (t) => {
  // What loadConfig actually reads, recorded through a proxy over an environment that is valid.
  // Two runs: a deployed stage (secret ARNs) and a local one (secret values, defaults).
  const read = new Set<string>()
  const recording = (values: Record<string, string>): Record<string, string> => new Proxy(values, {
    get (target, name) {
      if (typeof name === 'string') read.add(name)
      return target[name as string]
    }
  })
  loadConfig(
    recording(
      Object.fromEntries(Object.entries(functionEnv('WorkerFunction')).map(([k, v]) => [k, resolve(v, 'prod')]))
    )
  )
  loadConfig(recording({ USER_POOL_ID: 'us-east-1_abc', USER_POOL_CLIENT_ID: 'client' }))
  const declared = new Set<string>([...DEPLOYED_ENV.api, ...DEPLOYED_ENV.worker, ...Object.keys(ENV_NOT_FROM_TEMPLATE)])
  t.same(
    [...read].filter((name) => !declared.has(name)),
    [],
    'every variable loadConfig reads is listed in DEPLOYED_ENV or ENV_NOT_FROM_TEMPLATE'
  )
  t.same([...declared].filter((name) => !read.has(name)), [], 'the lists name no variable loadConfig no longer reads')

  const fns = { api: 'ApiFunction', worker: 'WorkerFunction' } as const
  for (const [fn, id] of Object.entries(fns) as Array<[keyof typeof fns, string]>) {
    const set = Object.keys(functionEnv(id)).filter((name) => name !== 'NODE_OPTIONS').sort()
    t.same(set, [...DEPLOYED_ENV[fn]].sort(), `${id} gets exactly DEPLOYED_ENV.${fn}`)
    for (const stage of ['dev', 'prod']) {
      const resolved = Object.fromEntries(Object.entries(functionEnv(id)).map(([k, v]) => [k, resolve(v, stage)]))
      let problems: string[] = []
      try {
        loadConfig({ ...resolved, AWS_REGION: 'eu-west-1', AWS_LAMBDA_FUNCTION_NAME: id })
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        problems = err.problems
      }
      t.same(problems, [], `${id}'s environment starts the config on ${stage}`)
    }
  }
  // Source maps are read when a stack is formatted (core/source-mapped-stacks.ts), not by Node at
  // every module's load: on nodejs22.x that flag slows the API's cold start (bench).
  for (const id of Object.values(fns)) {
    t.notOk(
      String(functionEnv(id).NODE_OPTIONS ?? '').includes('--enable-source-maps'),
      `${id}: no --enable-source-maps in its NODE_OPTIONS`
    )
  }
})

const EVENT_SOURCE = 'serverless-commerce.orders'
const DETAIL_TYPES = ['OrderPlaced', 'OrderPacked', 'OrderDelivered', 'OrderCancelled']

t.test('one rule sends every order event type, and no other event, to the effects queue', async (t) => {
  const samples = readdirSync(new URL('../../events/', import.meta.url)).filter((f) => f.startsWith('eventbridge-'))
    .map((f) => JSON.parse(readFileSync(new URL(`../../events/${f}`, import.meta.url), 'utf8')) as Record<string, any>)
  t.same(samples.map((e) => e['detail-type']).sort(), [...DETAIL_TYPES].sort(), 'events/ has one sample of each type')
  const rules = ofType('AWS::Events::Rule')
  t.same(
    rules.map(([id]) => id).sort(),
    ['MailFeedbackRule', 'OrderEventsRule'],
    "the order events' rule, and SES's mail feedback (checked below)"
  )
  const rule = props('OrderEventsRule')
  t.same(rule.EventBusName, { Ref: 'OrdersEventBus' })
  for (const sample of samples) {
    t.ok(
      matchesPattern(rule.EventPattern, sample),
    `matches ${sample['detail-type'] as string}`
    )
  }
  t.notOk(matchesPattern(rule.EventPattern, { ...samples[0], source: 'someone-else' }), 'not another source')
  t.notOk(matchesPattern(rule.EventPattern, { ...samples[0], 'detail-type': 'OrderRefunded' }), 'not another type')
  t.match(
    rule.Targets,
    [{
      Arn: { 'Fn::GetAtt': ['OrderEffectsQueue', 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] } }
    }]
  )
  t.ok(
    rule.Targets[0].RetryPolicy.MaximumEventAgeInSeconds >= 3600,
    'EventBridge retries delivering to the queue for hours'
  )
  const events: Record<string, any> = props('WorkerFunction').Events
  t.notOk(
    Object.values(events).some((e) => e.Type === 'EventBridgeRule'),
    'no rule invokes the worker asynchronously (Lambda would drop a failed event after two retries)'
  )
  // EventBridge may send to the effects queue and its dead-letter queue for these two rules only.
  for (const id of ['OrderEffectsQueuePolicy', 'EventsDeadLetterQueuePolicy']) {
    const policy = props(id).PolicyDocument.Statement[0]
    t.same(policy.Principal, { Service: 'events.amazonaws.com' }, id)
    t.same(
      policy.Condition,
      {
        ArnEquals: {
          'aws:SourceArn': [{ 'Fn::GetAtt': ['OrderEventsRule', 'Arn'] }, { 'Fn::GetAtt': ['MailFeedbackRule', 'Arn'] }]
        }
      },
      id
    )
  }
})

t.test("SES's bounces and complaints of the configuration set reach the worker", async (t) => {
  const set = props('OrderMailConfigurationSet')
  t.same(
    set.SuppressionOptions,
    { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    "SES's own suppression behind the worker's"
  )
  t.same(set.ReputationOptions, { ReputationMetricsEnabled: true })
  const destination = props('OrderMailFeedbackDestination')
  t.same(destination.ConfigurationSetName, { Ref: 'OrderMailConfigurationSet' })
  t.same([...destination.EventDestination.MatchingEventTypes].sort(), ['BOUNCE', 'COMPLAINT'])
  t.match(
    JSON.stringify(destination.EventDestination.EventBridgeDestination.EventBusArn),
    /event-bus\/default/,
    'SES publishes to the default bus only'
  )
  const rule = props('MailFeedbackRule')
  t.equal(rule.EventBusName, undefined, 'the rule is on the default bus')
  const bounce = JSON.parse(readFileSync(new URL('../../events/ses-bounce.json', import.meta.url), 'utf8'))
  t.ok(matchesPattern(rule.EventPattern, bounce), 'the sample bounce (events/ses-bounce.json) matches it')
  t.ok(
    matchesPattern(rule.EventPattern, { ...bounce, 'detail-type': 'Email Complaint Received' }),
    'so does a complaint'
  )
  t.notOk(matchesPattern(rule.EventPattern, { ...bounce, 'detail-type': 'Email Delivered' }), 'a delivery does not')
  t.match(rule.Targets, [{
    Arn: { 'Fn::GetAtt': ['OrderEffectsQueue', 'Arn'] },
    DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] } }
  }],
  'to the effects queue, like the order events: retried, then parked, never dropped')
  t.same(
    functionEnv('WorkerFunction').SES_CONFIGURATION_SET,
    { Ref: 'OrderMailConfigurationSet' },
    'the worker sends with the set'
  )
})

t.test('the effects queue: retried on the worker\'s schedule, then parked with the event, redrivable', async (t) => {
  const events: Record<string, any> = props('WorkerFunction').Events
  const effects = events.OrderEffects
  t.equal(effects.Type, 'SQS')
  t.same(effects.Properties.Queue, { 'Fn::GetAtt': ['OrderEffectsQueue', 'Arn'] })
  t.same(effects.Properties.FunctionResponseTypes, ['ReportBatchItemFailures'], 'a failed message is retried alone')
  const timeout = props('WorkerFunction').Timeout
  for (const [queue, dlq, delays, source] of [
    ['OrderEffectsQueue', 'EventsDeadLetterQueue', EFFECT_RETRY_DELAYS_S, 'OrderEffects'],
    ['OrdersStreamReplayQueue', 'OrdersStreamDeadLetterQueue', REPLAY_RETRY_DELAYS_S, 'OrdersStreamReplay']
  ] as const) {
    const q = props(queue)
    t.same(q.RedrivePolicy, {
      deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] },
      maxReceiveCount: maxReceiveCount(delays)
    },
      `${queue}: maxReceiveCount is the worker's schedule (workers/delivery-policy.ts) plus the first attempt`)
    t.ok(q.VisibilityTimeout >= 6 * timeout, `${queue}: visibility timeout at least 6x the function's timeout`)
    t.ok(q.MessageRetentionPeriod > delays.reduce((a, b) => a + b, 0), `${queue}: messages outlive their retries`)
    t.equal(props(dlq).MessageRetentionPeriod, 1209600, `${dlq} keeps them 14 days`)
    t.same(events[source].Properties.Queue, { 'Fn::GetAtt': [queue, 'Arn'] }, `the worker reads ${queue}`)
  }
  t.match(
    props('OrdersStreamReplayQueue').QueueName,
    { 'Fn::Sub': new RegExp(`${STREAM_REPLAY_QUEUE_SUFFIX}$`) },
    'the replay queue\'s name says what it is'
  )
  const env = props('WorkerFunction').Environment.Variables
  t.same(env.EVENTS_DLQ_URL, { Ref: 'EventsDeadLetterQueue' }, 'the worker parks events there')
  t.same(env.ORDERS_STREAM_DLQ_URL, { Ref: 'OrdersStreamDeadLetterQueue' }, 'and stream records there')
})

t.test('the orders stream: retried for hours (no attempt limit), parked by the worker before the mapping gives ' +
  'up', async (t) => {
  const stream = props('WorkerFunction').Events.OrdersStream
  t.equal(stream.Type, 'DynamoDB')
  t.same(stream.Properties.Stream, { 'Fn::GetAtt': ['OrdersTable', 'StreamArn'] })
  t.same(stream.Properties.FunctionResponseTypes, ['ReportBatchItemFailures'])
  t.equal(stream.Properties.BisectBatchOnFunctionError, true)
  t.equal(stream.Properties.MaximumRetryAttempts, -1, 'no limit on attempts: the record age bounds them')
  const maxAge = stream.Properties.MaximumRecordAgeInSeconds
  const parkAfter = loadConfig({ USER_POOL_ID: 'us-east-1_abc', USER_POOL_CLIENT_ID: 'c' }).streamParkAfterSeconds
  t.ok(parkAfter >= 3600, 'hours of retries: a bus outage is ridden out')
  t.ok(parkAfter < maxAge, 'the worker parks records with their content before the mapping gives up on them')
  t.ok(maxAge <= 12 * 3600, 'a batch given up on reaches its destination within 12 of the stream\'s 24 hours')
  t.ok(stream.Properties.BatchSize >= 1 && stream.Properties.BatchSize <= 100)
  t.same(
    stream.Properties.DestinationConfig.OnFailure,
    { Type: 'S3', Destination: { 'Fn::GetAtt': ['OrdersStreamFailureBucket', 'Arn'] } },
    'the batch itself, not a pointer into the stream (test/unit/template-stream-failures.test.ts)'
  )
})

t.test('the HTTP API sends every path and method to the API function', async (t) => {
  const events: Record<string, any> = props('ApiFunction').Events
  const routes = Object.values(events).map((e) =>
    `${e.Type} ${e.Properties.Method} ${e.Properties.Path} ${e.Properties.PayloadFormatVersion}`).sort()
  t.same(routes, ['HttpApi ANY / 2.0', 'HttpApi ANY /{proxy+} 2.0'])
  for (const e of Object.values(events)) t.same(e.Properties.ApiId, { Ref: 'HttpApi' })
  const api = props('HttpApi')
  t.equal(api.StageName, '$default')
  t.same(
    api.DefaultRouteSettings,
    { ThrottlingBurstLimit: { Ref: 'ApiThrottlingBurstLimit' }, ThrottlingRateLimit: { Ref: 'ApiThrottlingRateLimit' } }
  )
  t.same(api.CorsConfiguration.AllowOrigins, { Ref: 'CorsAllowedOrigins' })
  // API Gateway answers CORS with the same policy the app applies locally (plugins/cors.ts).
  const lower = (xs: string[]): string[] => xs.map((x) => x.toLowerCase()).sort()
  t.same(lower(api.CorsConfiguration.AllowMethods), lower([...CORS_POLICY.methods]))
  t.same(lower(api.CorsConfiguration.AllowHeaders), lower([...CORS_POLICY.allowedHeaders]))
  t.same(lower(api.CorsConfiguration.ExposeHeaders), lower([...CORS_POLICY.exposedHeaders]))
  t.equal(api.CorsConfiguration.MaxAge, CORS_POLICY.maxAge)
  t.same(api.AccessLogSettings.DestinationArn, { 'Fn::GetAtt': ['ApiAccessLogGroup', 'Arn'] })
  t.match(api.AccessLogSettings.Format, /\$context\.requestId/)
})

/** Every statement of a role's inline policies. */
function statements (roleId: string): Array<{ Action: string | string[]; Resource: unknown }> {
  return props(roleId).Policies.flatMap((p: any) => p.PolicyDocument.Statement)
}
const actionsOf = (roleId: string): string[] =>
  [...new Set(statements(roleId).flatMap((s) => [s.Action].flat()))].sort()
/** Resources of the statements granting an action, intrinsics as JSON, If-branches flattened. */
function resourcesFor (roleId: string, action: string): string[] {
  const flat = (r: unknown): unknown[] => {
    if (Array.isArray(r)) return r.flatMap(flat)
    if (r !== null && typeof r === 'object' && 'Fn::If' in r) return (r as any)['Fn::If'].slice(1).flatMap(flat)
    return [r]
  }
  return statements(roleId).filter((s) => [s.Action].flat().includes(action)).flatMap((s) => flat(s.Resource)).map(
    (r) => JSON.stringify(r)
  ).sort()
}

const X_RAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']

t.test("each function's role grants exactly the actions its code declares, on its own resources", async (t) => {
  for (const [fn, roleId, declared] of [
    ['ApiFunction', 'ApiFunctionRole', API_IAM_ACTIONS],
    ['WorkerFunction', 'WorkerFunctionRole', WORKER_IAM_ACTIONS]
  ] as const) {
    t.same(
      props(fn).Role,
      { 'Fn::GetAtt': [roleId, 'Arn'] },
      `${fn} uses its own role (SAM adds no policies of its own)`
    )
    t.notOk('Policies' in props(fn), `${fn} has no SAM policy templates beside its role`)
    t.same(actionsOf(roleId), [...declared].sort(), `${roleId}'s actions equal the declared list, both ways`)
    for (const s of statements(roleId)) {
      // X-Ray's write actions have no resource-level permissions: the one place "*" is allowed.
      if ([s.Action].flat().every((a) => X_RAY_ACTIONS.includes(a))) continue
      t.notOk(JSON.stringify(s.Resource).match(/"\*"/), `${roleId}: no "*" resource (${[s.Action].flat().join(', ')})`)
    }
    t.same(
      resourcesFor(roleId, 'xray:PutTraceSegments'),
      ['"*"'],
      `${roleId}: X-Ray's actions, alone in their statement`
    )
  }
  const ref = (id: string): string => JSON.stringify({ Ref: id })
  const arn = (id: string): string => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] })
  t.same(resourcesFor('ApiFunctionRole', 'secretsmanager:GetSecretValue'),
    [ref('CursorSecret'), ref('DeliveryApiKeysSecret'), ref('WarehouseApiKeysSecret'), ref('UserPoolClientSecret'),
      ref('EdgeOriginSecret'), ref('AWS::NoValue')].sort(),
    "the API reads the partner keys, the cursor key, the app client's secret and (with the edge on) the edge's " +
    'secret, not the webhook keys')
  t.same(
    resourcesFor('ApiFunctionRole', 'dynamodb:ConditionCheckItem').filter((r) => r.includes('RateLimitTable')),
    [arn('RateLimitTable')],
    'the API counts in the rate-limit table'
  )
  t.same(
    resourcesFor('ApiFunctionRole', 'dynamodb:Query').filter((r) => r.includes('RateLimitTable')),
    [],
    'and only counts: no query or scan of it'
  )
  t.same(resourcesFor('WorkerFunctionRole', 'secretsmanager:GetSecretValue'), [
    ref('DeliveryWebhookSecret'),
    ref('WarehouseWebhookSecret')
  ].sort(),
  'the worker reads the webhook keys only')
  t.same(
    resourcesFor('WorkerFunctionRole', 'dynamodb:UpdateItem'),
    [arn('IdempotencyTable')],
    'the worker writes its effects ledger only'
  )
  t.same(
    resourcesFor('WorkerFunctionRole', 'dynamodb:PutItem'),
    [arn('MailSuppressionsTable')],
    'and mail suppressions'
  )
  t.same(resourcesFor('WorkerFunctionRole', 'ses:SendEmail').filter((r) => r.includes('configuration-set')),
    [
      JSON.stringify({
        'Fn::Sub': 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:' +
          'configuration-set/${OrderMailConfigurationSet}'
      })
    ], 'the worker may send with its configuration set')
  t.same(
    resourcesFor('WorkerFunctionRole', 'sqs:SendMessage'),
    [arn('EventsDeadLetterQueue'), arn('OrdersStreamDeadLetterQueue')].sort(),
    'the worker sends to its dead-letter queues only'
  )
  t.same(
    resourcesFor('WorkerFunctionRole', 'sqs:ReceiveMessage'),
    [arn('OrderEffectsQueue'), arn('OrdersStreamReplayQueue')].sort()
  )
  t.same(resourcesFor('WorkerFunctionRole', 'events:PutEvents'), [arn('OrdersEventBus')])
  t.same(resourcesFor('ApiFunctionRole', 'dynamodb:Query'), [
    arn('CatalogIndexTable'),
    JSON.stringify({ 'Fn::Sub': '${ItemsTable.Arn}/index/byCategory' }), JSON.stringify({
      'Fn::Sub': '${OrdersTable.Arn}/index/byUser'
    })
  ].sort(), 'the API queries its two indexes and the catalog index table (its counters and tokens), no other table')
  t.same(
    resourcesFor('WorkerFunctionRole', 'dynamodb:GetRecords'),
    [JSON.stringify({ 'Fn::Sub': '${OrdersTable.Arn}/stream/*' })]
  )
})

// The API's role could read and delete every table. One statement per table
// and index, each with exactly the actions core/iam.ts declares for it; the idempotency table
// split between the functions by key prefix.
t.test('least privilege per table: one statement per table and index, with the actions the code declares there', async (
  t
) => {
  const tableStatements = (roleId: string) => statements(roleId).filter((s) => [s.Action].flat().some((a) =>
    /^dynamodb:/.test(a)) &&
    !JSON.stringify(s.Resource).includes('/stream/'))
  const resourceKey = (r: unknown): string => {
    const json = JSON.stringify(r)
    const getAtt = /^\{"Fn::GetAtt":\["(\w+)","Arn"\]\}$/.exec(json)
    if (getAtt !== null) return getAtt[1]!
    const index = /^\{"Fn::Sub":"\$\{(\w+)\.Arn\}\/index\/([\w-]+)"\}$/.exec(json)
    if (index !== null) return `${index[1]}/index/${index[2]}`
    return json
  }
  const api = tableStatements('ApiFunctionRole')
  const granted: Record<string, string[]> = {}
  for (const s of api) {
    t.notOk(Array.isArray(s.Resource), `one resource per statement (${JSON.stringify(s.Resource)})`)
    const key = resourceKey(s.Resource)
    t.notOk(key in granted, `one statement for ${key}`)
    granted[key] = [s.Action].flat().sort()
  }
  const declared = Object.fromEntries(Object.entries(API_TABLE_ACTIONS).map(([k, v]) => [k, [...v].sort()]))
  t.same(granted, declared, 'each table and index gets exactly the actions declared for it')
  t.ok(
    `ItemsTable/index/${BY_CATEGORY_INDEX}` in declared && `OrdersTable/index/${BY_USER_INDEX}` in declared,
    'the indexes are the ones the repositories query'
  )
  for (const table of ['OrdersTable', 'IdempotencyTable']) {
    t.notOk(
      declared[table]!.some((a) => ['dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:Query'].includes(a)),
      `the API cannot scan, query or delete ${table}`
    )
  }

  const leadingKeys = (roleId: string): unknown => statements(roleId)
    .filter((s) => JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': ['IdempotencyTable', 'Arn'] }))
    .map((s) =>
      (s as { Condition?: Record<string, any> }).Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'])
  t.same(
    leadingKeys('ApiFunctionRole'),
    [API_IDEMPOTENCY_KEY_PREFIXES.map((p) => `${p}*`)],
    'the API touches only its own idempotency records'
  )
  t.same(
    leadingKeys('WorkerFunctionRole'),
    [WORKER_IDEMPOTENCY_KEY_PREFIXES.map((p) => `${p}*`)],
    'the worker touches only its effect records'
  )
  t.ok(
    API_IDEMPOTENCY_KEY_PREFIXES.some((p) => idempotencyRecordId('user-1', 'key-1').startsWith(p)),
    "the API's Idempotency-Key records match its prefix"
  )
  t.ok(
    WORKER_IDEMPOTENCY_KEY_PREFIXES.some((p) => ledgerRecordId('order-1', 'email').startsWith(p)),
    "the worker's ledger records match its prefix"
  )
  for (const a of API_IDEMPOTENCY_KEY_PREFIXES) {
    for (const w of WORKER_IDEMPOTENCY_KEY_PREFIXES) {
      t.notOk(
        a.startsWith(w) || w.startsWith(a),
        'the prefixes never overlap'
      )
    }
  }
})

// The IAM action each AWS SDK command needs; null for Cognito's unauthenticated user APIs.
const COMMAND_ACTIONS: Record<string, string | string[] | null> = {
  GetCommand: 'dynamodb:GetItem',
  GetItemCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  PutItemCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  UpdateItemCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  DeleteItemCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
  BatchGetCommand: 'dynamodb:BatchGetItem',
  BatchGetItemCommand: 'dynamodb:BatchGetItem',
  BatchWriteCommand: 'dynamodb:BatchWriteItem',
  BatchWriteItemCommand: 'dynamodb:BatchWriteItem',
  // A transaction needs the actions of its items (Put, Update, Delete, ConditionCheck), not one of its own.
  TransactWriteCommand: [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:ConditionCheckItem'
  ],
  TransactWriteItemsCommand: [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:ConditionCheckItem'
  ],
  TransactGetCommand: 'dynamodb:GetItem',
  TransactGetItemsCommand: 'dynamodb:GetItem',
  SignUpCommand: null,
  ConfirmSignUpCommand: null,
  InitiateAuthCommand: null,
  GetUserCommand: null,
  RevokeTokenCommand: null,
  GlobalSignOutCommand: null,
  ResendConfirmationCodeCommand: null,
  GetTokensFromRefreshTokenCommand: null,
  GetUserAttributeVerificationCodeCommand: null,
  VerifyUserAttributeCommand: null,
  AdminConfirmSignUpCommand: 'cognito-idp:AdminConfirmSignUp',
  AdminAddUserToGroupCommand: 'cognito-idp:AdminAddUserToGroup',
  AdminGetUserCommand: 'cognito-idp:AdminGetUser',
  AdminDeleteUserCommand: 'cognito-idp:AdminDeleteUser',
  AdminListGroupsForUserCommand: 'cognito-idp:AdminListGroupsForUser',
  AdminUserGlobalSignOutCommand: 'cognito-idp:AdminUserGlobalSignOut',
  AdminUpdateUserAttributesCommand: 'cognito-idp:AdminUpdateUserAttributes',
  GetSecretValueCommand: 'secretsmanager:GetSecretValue',
  PutEventsCommand: 'events:PutEvents',
  SendEmailCommand: 'ses:SendEmail'
}

t.test("every AWS call in the API bundle's own sources is in API_IAM_ACTIONS", async (t) => {
  // The project files esbuild puts in the bundle: exactly the code the function runs.
  const api = FUNCTIONS.find((f) => f.name === 'api')!
  const result = await build({
    ...buildOptions(api, '0.0.0'),
    write: false,
    minify: false,
    sourcemap: false,
    logLevel: 'silent'
  })
  const sources = Object.keys(result.metafile!.inputs).filter((f) => !f.includes('node_modules') && f.endsWith('.ts'))
  t.ok(
    sources.includes('app/lambda.ts') && sources.some((f) => f.startsWith('routes/')),
    'the bundle holds the app and its routes'
  )
  const commands = new Set<string>()
  for (const file of sources) {
    for (const m of readFileSync(
      new URL(`../../${file}`, import.meta.url),
      'utf8'
    ).matchAll(/new (\w+Command)\(/g)) commands.add(m[1]!)
  }
  t.ok(commands.size > 0, `found the commands the code sends: ${[...commands].sort().join(', ')}`)
  const unknown = [...commands].filter((c) => !(c in COMMAND_ACTIONS))
  t.same(unknown, [], 'every command has a known IAM action (add new ones to COMMAND_ACTIONS)')
  const needed = [...commands].flatMap((c) => [COMMAND_ACTIONS[c] ?? []].flat())
  const declared = new Set<string>(API_IAM_ACTIONS)
  t.same(needed.filter((a) => !declared.has(a)), [], 'no call the role would refuse')
})

t.test('functions: runtime, architecture, makefile build of the bundles scripts/build.ts makes', async (t) => {
  const globals = (template as any).Globals.Function
  t.equal(globals.Runtime, 'nodejs22.x')
  t.same(globals.Architectures, ['arm64'])
  t.same(globals.Tracing, { Ref: 'TracingMode' }, 'X-Ray tracing of both functions, from one parameter')
  t.same(
    globalEnv.TRACING,
    { Ref: 'TracingMode' },
    '... which the code reads as TRACING (the Tracer loads only when Active)'
  )
  t.equal(template.Parameters?.TracingMode?.Default, 'Active')
  const makefile = readFileSync(new URL('../../Makefile', import.meta.url), 'utf8')
  const bundles = { ApiFunction: 'api', WorkerFunction: 'worker' } as const
  for (const [id, bundle] of Object.entries(bundles)) {
    const r = resources[id]!
    t.same(r.Metadata, { BuildMethod: 'makefile' }, `${id} is built by the Makefile`)
    t.equal(props(id).CodeUri, '../', `${id}'s CodeUri is the repository root, where the Makefile is`)
    t.equal(props(id).Handler, 'index.handler')
    t.ok(FUNCTIONS.some((f) => f.name === bundle), `scripts/build.ts builds ${bundle}`)
    t.match(makefile, new RegExp(
      `^build-${id}:\\n\\tnode --import tsx scripts/build.ts ${bundle}\\n\\tcp -R dist/${bundle}/\\. ` +
        '"\\$\\(ARTIFACTS_DIR\\)/"',
      'm'
    ),
      `make build-${id} builds and copies dist/${bundle}`)
    t.ok(props(id).Timeout > 0 && props(id).MemorySize >= 128, `${id} has a timeout and memory size`)
    const logGroup = `${id}LogGroup`
    t.same(
      props(logGroup).LogGroupName,
      { 'Fn::Sub': `/aws/lambda/\${AWS::StackName}-${bundle}` },
      `${id} logs to its explicit group`
    )
    t.same(props(id).FunctionName, { 'Fn::Sub': `\${AWS::StackName}-${bundle}` })
  }
  t.ok(props('ApiFunction').Timeout < 30, "the API function ends before the HTTP API's 30 s integration timeout")
  for (const [id, group] of ofType('AWS::Logs::LogGroup')) {
    t.same(group.Properties?.RetentionInDays, { Ref: 'LogRetentionDays' }, `${id} has a retention`)
  }
  const samconfig = readFileSync(new URL('../../samconfig.toml', import.meta.url), 'utf8')
  for (const env of ['dev', 'prod']) {
    t.match(
      samconfig,
      new RegExp(`^\\[${env}\\.deploy\\.parameters\\]`, 'm'),
    `samconfig has a ${env} environment`
    )
  }
  const section = (name: string): string | undefined => samconfig.split(/^(?=\[)/m).find((part) => part.startsWith(
    `[${name}]`
  ))
  for (const env of ['default', 'dev', 'prod']) {
    t.match(
      section(`${env}.build.parameters`),
      /^template_file = "infra\/template\.yaml"$/m,
      `${env}: sam build reads infra/template.yaml`
    )
    t.notMatch(section(`${env}.deploy.parameters`), /template_file/, `${env}: sam deploy takes the built template`)
    t.match(section(`${env}.deploy.parameters`), new RegExp(`Stage=${env === 'prod' ? 'prod' : 'dev'}`))
  }
})

t.test('Cognito: email usernames, the password policy the API enforces, an admin group', async (t) => {
  const pool = props('UserPool')
  t.same(pool.UsernameAttributes, ['email'])
  t.same(
    pool.Policies.PasswordPolicy,
    { MinimumLength: 8, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: false }
  )
  const client = props('UserPoolClient')
  t.same(client.ExplicitAuthFlows, ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'])
  t.equal(client.GenerateSecret, true, 'a confidential client: direct calls need SECRET_HASH')
  t.equal(props('AdminGroup').GroupName, 'admin')
})

// The pool mails signup codes through our SES identity (no Cognito
// quota), verifies a new email before it takes effect, and recovers any confirmed account.
t.test('Cognito: codes mailed through our SES identity, verified email changes, recovery, revocation', async (t) => {
  const pool = props('UserPool')
  t.same(pool.AutoVerifiedAttributes, ['email'], 'signup mails a code to the address')
  t.match(
    pool.EmailConfiguration,
    { EmailSendingAccount: 'DEVELOPER', From: { Ref: 'SesFromAddress' } },
    "our SES identity, not Cognito's quota"
  )
  t.match(
    JSON.stringify(pool.EmailConfiguration.SourceArn),
    /identity\/\$\{SesSenderIdentity\}/,
    'the SES identity the worker sends from'
  )
  t.match(pool.VerificationMessageTemplate, { DefaultEmailOption: 'CONFIRM_WITH_CODE', EmailMessage: /\{####\}/ })
  t.same(
    pool.UserAttributeUpdateSettings,
    { AttributesRequireVerificationBeforeUpdate: ['email'] },
    'a new email counts only once verified'
  )
  t.same(
    pool.AccountRecoverySetting,
    { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    'every confirmed user has a verified email to recover with'
  )
  t.match(
    pool.Schema,
    [{ Name: 'signed_out_at', AttributeDataType: 'Number', Mutable: true }],
    'sign-out time, checked by the API'
  )
  const client = props('UserPoolClient')
  t.equal(client.EnableTokenRevocation, true)
  t.equal(client.PreventUserExistenceErrors, 'ENABLED')
  t.ok(
    Array.isArray(client.WriteAttributes) && client.WriteAttributes.includes('email'),
    'email is changed only through its verification'
  )
  t.notOk(
    (client.WriteAttributes as string[]).some((a) => a.startsWith('custom:')),
    'users cannot write the sign-out time'
  )
  t.notOk('Default' in (template.Parameters?.CorsAllowedOrigins ?? {}), 'no wildcard default for the CORS origins')
  const samconfig = readFileSync(new URL('../../samconfig.toml', import.meta.url), 'utf8')
  const prod = samconfig.split(/^(?=\[)/m).find((part) => part.startsWith('[prod.deploy.parameters]')) ?? ''
  t.match(prod, /CorsAllowedOrigins=https:\/\/[^ *"]+/, 'prod names its https origins')
})

t.test('secrets are generated on create; partner keys are a JSON map with a primary key', async (t) => {
  for (const id of ['WarehouseApiKeysSecret', 'DeliveryApiKeysSecret']) {
    t.match(props(id).GenerateSecretString, { SecretStringTemplate: '{}', GenerateStringKey: 'primary' }, id)
  }
  for (const id of ['WarehouseWebhookSecret', 'DeliveryWebhookSecret', 'CursorSecret']) {
    t.ok(props(id).GenerateSecretString.PasswordLength >= 32, `${id} is a generated key`)
    t.notOk('SecretString' in props(id), `${id} has no value in the template`)
  }
})

t.test('alarms: API 5xx rate, function errors, iterator age, each queue; outputs', async (t) => {
  const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => JSON.stringify(a.Properties))
  const watching = (pattern: RegExp): number => alarms.filter((a) => pattern.test(a)).length
  t.equal(watching(/"MetricName":"5xx".*"Expression"/), 1, 'a 5xx-rate alarm on the HTTP API')
  t.equal(watching(/"MetricName":"Errors".*"Ref":"ApiFunction"/), 1)
  t.equal(watching(/"MetricName":"Errors".*"Ref":"WorkerFunction"/), 1)
  t.equal(watching(/"MetricName":"IteratorAge".*"Ref":"WorkerFunction"/), 1)
  for (const [id, queue] of ofType('AWS::SQS::Queue')) {
    // A dead-letter queue alarms on any message; a queue the worker reads, on messages waiting too long.
    const isSource = queue.Properties?.RedrivePolicy !== undefined
    const metric = isSource ? 'ApproximateAgeOfOldestMessage' : 'ApproximateNumberOfMessagesVisible'
    t.equal(watching(new RegExp(`${metric}.*"Fn::GetAtt":\\["${id}","QueueName"\\]`)), 1, `${id}: ${metric} is alarmed`)
  }
  for (const a of alarms) t.match(a, /"AlarmActions":\{"Fn::If":\["HasAlarmEmail"/, 'alarms notify the optional topic')
  t.same(Object.keys(template.Outputs ?? {}).filter((k) =>
    ['ApiUrl', 'SwaggerUiUrl', 'UserPoolId', 'UserPoolClientId', 'EventBusName'].includes(k)).sort(),
  ['ApiUrl', 'EventBusName', 'SwaggerUiUrl', 'UserPoolClientId', 'UserPoolId'])
})

t.test('rate limits: each limit a parameter the API function gets; a 429 alarm; an optional edge, off by ' +
  'default', async (t) => {
  const env = functionEnv('ApiFunction')
  const limits: Record<string, string> = {
    RATE_LIMIT_SIGNIN_PER_IP: 'SigninLimitPerIp',
    RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT_CLIENT: 'SigninFailuresPerAccountClient',
    RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: 'SigninFailuresPerAccount',
    RATE_LIMIT_SIGNUP_PER_IP: 'SignupLimitPerIp',
    RATE_LIMIT_REFRESH_PER_IP: 'RefreshLimitPerIp',
    RATE_LIMIT_ORDERS_PER_USER: 'OrderLimitPerUser',
    RATE_LIMIT_PARTNER_PER_KEY: 'PartnerLimitPerKey'
  }
  const defaults = loadConfig({ USER_POOL_ID: 'us-east-1_abc', USER_POOL_CLIENT_ID: 'client' }).rateLimits
  const byVariable: Record<string, number> = {
    RATE_LIMIT_SIGNIN_PER_IP: defaults.signinPerIp,
    RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT_CLIENT: defaults.signinFailuresPerAccountClient,
    RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: defaults.signinFailuresPerAccount,
    RATE_LIMIT_SIGNUP_PER_IP: defaults.signupPerIp,
    RATE_LIMIT_REFRESH_PER_IP: defaults.refreshPerIp,
    RATE_LIMIT_ORDERS_PER_USER: defaults.ordersPerUser,
    RATE_LIMIT_PARTNER_PER_KEY: defaults.partnerPerKey
  }
  for (const [variable, parameter] of Object.entries(limits)) {
    t.same(env[variable], { Ref: parameter }, `${variable} comes from the ${parameter} parameter`)
    t.equal(template.Parameters?.[parameter]?.Default, byVariable[variable], `${parameter}'s default is the config's`)
  }
  t.same(env.RATE_LIMIT_TABLE, { Ref: 'RateLimitTable' })
  t.notOk('RATE_LIMITS' in env, 'the limits cannot be switched off by the template')

  // The app's 429s are counted once, as RateLimited by route (plugins/errors.ts), and alarmed on by
  // the sustained-429 alarm (checked with the metrics catalogue); no second count here.
  t.match(JSON.stringify(props('SustainedRateLimitingAlarm').Metrics), /SUM\(RateLimited\)/)
  t.notOk(
    Object.values(resources).some((r) => r.Type === 'AWS::Logs::MetricFilter' && JSON.stringify(r).includes('429')),
    'no access-log count of the same 429s'
  )

  // The edge: off by default; when on, WAF answers 429 per client IP and CloudFront relays to the HTTP API.
  t.equal(template.Parameters?.EdgeProtection?.Default, 'off')
  t.notOk(condition('EdgeProtectionOn'), 'off by default')
  for (const id of ['EdgeOriginSecret', 'EdgeDistribution']) {
    t.equal(
      resources[id]?.Condition,
      'EdgeProtectionOn',
    `${id} only with the edge on`
    )
  }
  for (const id of ['EdgeWebAcl', 'EdgeRateLimitAlarm']) {
    t.equal(
      resources[id]?.Condition,
      'CreatesEdgeWebAcl',
    `${id} only when this stack makes the web ACL`
    )
  }
  const rule = props('EdgeWebAcl').Rules[0]
  t.match(rule.Statement.RateBasedStatement, { AggregateKeyType: 'IP', Limit: { Ref: 'EdgeRateLimitPer5Minutes' } })
  t.equal(rule.Action.Block.CustomResponse.ResponseCode, 429, 'the edge refuses with 429 too')
  t.equal(props('EdgeWebAcl').Scope, 'CLOUDFRONT')
  const edge = props('EdgeDistribution').DistributionConfig
  t.match(edge.Origins[0].DomainName, { 'Fn::Sub': '${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}' })
  t.same(
    edge.Origins[0].OriginCustomHeaders,
    [{
      HeaderName: 'x-edge-secret',
      HeaderValue: { 'Fn::Sub': '{{resolve:secretsmanager:${EdgeOriginSecret}:SecretString}}' }
    }]
  )
  t.equal(
    edge.DefaultCacheBehavior.CachePolicyId,
    '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
    'CachingDisabled: the API says what may be cached'
  )
  t.same(env.EDGE_SECRET_ARN, { 'Fn::If': ['EdgeProtectionOn', { Ref: 'EdgeOriginSecret' }, ''] })
  t.equal(
    (template as any).Rules.EdgeWebAclMadeInUsEast1.Assertions[0].Assert['Fn::Equals'][1],
    'us-east-1',
    'a web ACL for CloudFront is made in us-east-1 only'
  )
})

t.test('the event pattern matcher used above tells matches from misses', async (t) => {
  const pattern = { source: [EVENT_SOURCE], 'detail-type': ['OrderPlaced'], detail: { status: ['placed'] } }
  t.ok(
    matchesPattern(
      pattern,
      { source: EVENT_SOURCE, 'detail-type': 'OrderPlaced', detail: { status: 'placed', id: 'x' } }
    )
  )
  t.notOk(matchesPattern(pattern, { source: EVENT_SOURCE, 'detail-type': 'OrderPacked', detail: { status: 'placed' } }))
  t.notOk(matchesPattern(pattern, { source: EVENT_SOURCE, 'detail-type': 'OrderPlaced' }))
  t.ok(
    matchesPattern({ detail: { tags: ['a'] } }, { detail: { tags: ['b', 'a'] } }),
    'an array value matches when any element does'
  )
})
