// What the stack costs to run, as arithmetic over dated list prices (bench/prices-us-east-1.json)
// and the calls the code makes: per 1,000 orders (each placed, packed and delivered, with its
// webhooks and emails) and per 1 million catalog reads. Pure: `npm run cost` (scripts/cost.ts)
// prints it, test/unit/cost-model.test.ts checks the arithmetic and, where it can, the counts
// against the code. The happy path only: retries, refusals, replays and redrives cost more.

export interface Prices {
  takenOn: string
  region: string
  dynamodb: { page: string; writeRequestUnitPerMillion: number; readRequestUnitPerMillion: number }
  lambda: { page: string; arm64GbSecond: number; requestsPerMillion: number }
  eventbridge: { page: string; customEventsPerMillion: number }
  sqs: { page: string; standardRequestsPerMillion: number }
  ses: { page: string; emailsPerThousand: number }
  apiGateway: { page: string; httpApiRequestsPerMillion: number }
  cognito: { page: string; freeMonthlyActiveUsers: number; essentialsPerMau: number; litePerMau: number }
  durations: Record<string, number | string | Record<string, string>>
}

/** The template's MemorySize (infra/template.yaml), in GB; both functions are arm64. */
export const MEMORY_GB = { api: 1024 / 1024, worker: 512 / 1024 } as const

/** One DynamoDB call of a flow: what it is, its units, and where the code makes it. */
export interface DdbCall { what: string; wru: number; rru: number; source: string }

/** One Lambda invocation of a flow: which function and which duration of the price file. */
export interface Invocation { fn: keyof typeof MEMORY_GB; duration: string; what: string }

export interface Flow {
  ddb: DdbCall[]
  invocations: Invocation[]
  eventBridgeEvents: number
  sqsRequests: number
  sesEmails: number
  httpApiRequests: number
  /** Sign-ins per unit of the flow (each user who signs in during a month is one Cognito MAU). */
  signIns: number
}

// Sizes the counts assume: an order of one line with a shipping address, its idempotency record
// (which holds the order's public view) and its ledger and limiter items each under 1 KB; an
// item under 4 KB. A write is 1 unit per KB, 2 in a transaction; a global secondary index with
// ProjectionType ALL (byUser on orders, byCategory on items) adds one plain write per change.

/** The limiter's one call per limited request (plugins/rate-limit-store.ts, ROUTE_LIMITS in plugins/rate-limit.ts). */
const limiterAdd = (route: string): DdbCall =>
  ({ what: `${route}: the rate limiter's ADD`, wru: 1, rru: 0, source: 'plugins/rate-limit-store.ts' })

/** Ledger claim and done mark per effect: two UpdateItem calls (workers/effect-ledger.ts claim, complete). */
const ledger = (effect: string): DdbCall[] => [
  { what: `${effect}: ledger claim`, wru: 1, rru: 0, source: 'workers/effect-ledger.ts claim()' },
  { what: `${effect}: ledger done mark`, wru: 1, rru: 0, source: 'workers/effect-ledger.ts complete()' }
]

/** Each order email first reads the suppression list (strongly consistent GetItem). */
const suppression = (status: string): DdbCall =>
  ({
    what: `${status} email: suppression check`, wru: 0, rru: 1, source: 'workers/mail-suppressions.ts isSuppressed()'
  })

const transition = (status: string): DdbCall[] => [
  limiterAdd(`POST /order${status}`),
  {
    what: `POST /order${status}: conditional UpdateItem of the order`,
    wru: 1,
    rru: 0,
    source: 'data/orders-repository.ts transition()'
  },
  { what: `POST /order${status}: the byUser index's copy`, wru: 1, rru: 0, source: 'infra/template.yaml byUser ALL' }
]

/** One order: sign in, POST /orders, the warehouse's POST /orderpacked, the delivery's POST /orderdelivered. */
export const ORDER_FLOW: Flow = {
  ddb: [
    {
      what: 'POST /signin: the limiter\'s transaction (attempt count and account failure slot)',
      wru: 4,
      rru: 0,
      source: 'plugins/rate-limit-store.ts (TransactWriteItems of 2 actions)'
    },
    {
      what: 'POST /signin: the failure slot given back',
      wru: 1,
      rru: 0,
      source: 'plugins/rate-limit-store.ts (UpdateItem)'
    },
    limiterAdd('POST /orders'),
    {
      what: 'POST /orders: BatchGetItem of the item and the Idempotency-Key\'s record (consistent)',
      wru: 0,
      rru: 2,
      source: 'data/orders-repository.ts readForOrder() (not made while the container\'s item snapshot is fresh)'
    },
    {
      what: 'POST /orders: the order\'s Put (transactional)',
      wru: 2,
      rru: 0,
      source: 'data/orders-repository.ts place()'
    },
    { what: 'POST /orders: the byUser index\'s copy', wru: 1, rru: 0, source: 'infra/template.yaml byUser ALL' },
    {
      what: 'POST /orders: the stock decrement (transactional)',
      wru: 2,
      rru: 0,
      source: 'data/orders-repository.ts place()'
    },
    {
      what: 'POST /orders: the byCategory index\'s copy', wru: 1, rru: 0, source: 'infra/template.yaml byCategory ALL'
    },
    {
      what: 'POST /orders: the Idempotency-Key\'s record (transactional)',
      wru: 2,
      rru: 0,
      source: 'data/idempotency-repository.ts recordPut()'
    },
    ...transition('packed'),
    ...transition('delivered'),
    ...ledger('placed webhook'),
    ...ledger('placed email'),
    suppression('placed'),
    ...ledger('packed webhook'),
    ...ledger('packed email'),
    suppression('packed'),
    ...ledger('delivered email'),
    suppression('delivered')
  ],
  invocations: [
    { fn: 'api', duration: 'apiSignInMs', what: 'POST /signin' },
    { fn: 'api', duration: 'apiPlaceOrderMs', what: 'POST /orders' },
    { fn: 'api', duration: 'apiTransitionMs', what: 'POST /orderpacked' },
    { fn: 'api', duration: 'apiTransitionMs', what: 'POST /orderdelivered' },
    // At low traffic each stream record and each queue message is a batch (and an invocation) of its own.
    { fn: 'worker', duration: 'workerStreamBatchMs', what: 'stream: placed to PutEvents' },
    { fn: 'worker', duration: 'workerStreamBatchMs', what: 'stream: packed to PutEvents' },
    { fn: 'worker', duration: 'workerStreamBatchMs', what: 'stream: delivered to PutEvents' },
    { fn: 'worker', duration: 'workerEffectsWithWebhookMs', what: 'queue: placed (warehouse webhook, email)' },
    { fn: 'worker', duration: 'workerEffectsWithWebhookMs', what: 'queue: packed (delivery webhook, email)' },
    { fn: 'worker', duration: 'workerEffectsEmailOnlyMs', what: 'queue: delivered (email)' }
  ],
  // One PutEvents entry per status (workers/stream-to-events.ts).
  eventBridgeEvents: 3,
  // Per event: EventBridge's SendMessage to OrderEffectsQueue, the Lambda poller's ReceiveMessage
  // that returns it and its DeleteMessage (a batch of one at low traffic; batches of 10 divide the last two).
  sqsRequests: 3 * 3,
  // placed, packed and delivered emails (workers/effects.ts: every status mails a verified address).
  sesEmails: 3,
  httpApiRequests: 4,
  signIns: 1
}

/** One catalog read of each kind; units from bench/results.md (scale case) where measured. */
export const CATALOG_FLOWS: Record<string, Flow> = {
  'GET /items/{id}': {
    ddb: [{
      what: 'GetItem, eventually consistent, an item under 4 KB',
      wru: 0,
      rru: 0.5,
      source: 'data/items-repository.ts get()'
    }],
    invocations: [{ fn: 'api', duration: 'apiGetItemMs', what: 'GET /items/{id}' }],
    eventBridgeEvents: 0,
    sqsRequests: 0,
    sesEmails: 0,
    httpApiRequests: 1,
    signIns: 0
  },
  'GET /items?q=': {
    ddb: [
      limiterAdd('GET /items'),
      {
        what: 'the index Query and the page\'s BatchGetItem (one word, 10,000 items)',
        wru: 0,
        rru: 10.5,
        source: 'bench/results.md scale: measured with ReturnConsumedCapacity'
      }
    ],
    invocations: [{ fn: 'api', duration: 'apiSearchMs', what: 'GET /items?q=' }],
    eventBridgeEvents: 0,
    sqsRequests: 0,
    sesEmails: 0,
    httpApiRequests: 1,
    signIns: 0
  },
  'GET /categories': {
    ddb: [{
      what: 'the counters\' Query',
      wru: 0,
      rru: 0.5,
      source: 'bench/results.md scale: measured with ReturnConsumedCapacity'
    }],
    invocations: [{ fn: 'api', duration: 'apiCategoriesMs', what: 'GET /categories' }],
    eventBridgeEvents: 0,
    sqsRequests: 0,
    sesEmails: 0,
    httpApiRequests: 1,
    signIns: 0
  }
}

export interface CostLine { service: string; quantity: number; unit: string; usd: number }

const durationMs = (prices: Prices, name: string): number => {
  const ms = prices.durations[name]
  if (typeof ms !== 'number') throw new Error(`the price file has no duration ${name}`)
  return ms
}

/** The bill of `count` runs of a flow, one line per service (Cognito: each sign-in a new MAU beyond the free tier). */
export function costOf (flow: Flow, count: number, prices: Prices): CostLine[] {
  const wru = flow.ddb.reduce((s, c) => s + c.wru, 0) * count
  const rru = flow.ddb.reduce((s, c) => s + c.rru, 0) * count
  const gbSeconds = (fn: keyof typeof MEMORY_GB): number => flow.invocations
    .filter((i) => i.fn === fn)
    .reduce((s, i) => s + durationMs(prices, i.duration) / 1000 * MEMORY_GB[fn], 0) * count
  const apiGbs = gbSeconds('api')
  const workerGbs = gbSeconds('worker')
  const invocations = flow.invocations.length * count
  const mau = flow.signIns * count
  const m = 1e6
  return [
    {
      service: 'DynamoDB writes', quantity: wru, unit: 'WRU', usd: wru / m * prices.dynamodb.writeRequestUnitPerMillion
    },
    { service: 'DynamoDB reads', quantity: rru, unit: 'RRU', usd: rru / m * prices.dynamodb.readRequestUnitPerMillion },
    { service: 'Lambda API compute', quantity: apiGbs, unit: 'GB-s', usd: apiGbs * prices.lambda.arm64GbSecond },
    {
      service: 'Lambda worker compute', quantity: workerGbs, unit: 'GB-s', usd: workerGbs * prices.lambda.arm64GbSecond
    },
    {
      service: 'Lambda requests',
      quantity: invocations,
      unit: 'invocations',
      usd: invocations / m * prices.lambda.requestsPerMillion
    },
    {
      service: 'EventBridge',
      quantity: flow.eventBridgeEvents * count,
      unit: 'events',
      usd: flow.eventBridgeEvents * count / m * prices.eventbridge.customEventsPerMillion
    },
    {
      service: 'SQS',
      quantity: flow.sqsRequests * count,
      unit: 'requests',
      usd: flow.sqsRequests * count / m * prices.sqs.standardRequestsPerMillion
    },
    {
      service: 'SES',
      quantity: flow.sesEmails * count,
      unit: 'emails',
      usd: flow.sesEmails * count / 1000 * prices.ses.emailsPerThousand
    },
    {
      service: 'API Gateway HTTP API',
      quantity: flow.httpApiRequests * count,
      unit: 'requests',
      usd: flow.httpApiRequests * count / m * prices.apiGateway.httpApiRequestsPerMillion
    },
    {
      service: 'Cognito (beyond the free MAU)',
      quantity: mau,
      unit: 'sign-ins',
      usd: mau * prices.cognito.essentialsPerMau
    }
  ].filter((l) => l.quantity > 0)
}

export const total = (lines: CostLine[]): number => lines.reduce((s, l) => s + l.usd, 0)

const quantity = (n: number): string =>
  Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 1 })
const usd = (n: number): string => `$${n.toFixed(n >= 1 ? 2 : 4)}`

/** A Markdown table of the lines, with the total with and without Cognito (inside its free tier it costs nothing). */
export function table (lines: CostLine[]): string {
  const rows = lines.map((l) => `| ${l.service} | ${quantity(l.quantity)} ${l.unit} | ${usd(l.usd)} |`)
  const cognito = lines.filter((l) => l.service.startsWith('Cognito'))
  const out = ['| Service | Quantity | USD |', '| --- | --- | --- |', ...rows]
  const free = total(lines) - total(cognito)
  if (cognito.length > 0) out.push(`| **Total, inside Cognito's free tier** | | **${usd(free)}** |`)
  out.push(`| **Total** | | **${usd(total(lines))}** |`)
  return out.join('\n')
}
