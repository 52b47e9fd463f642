// The cost model (bench/cost-model.ts): its arithmetic against the dated price file, and its
// per-order DynamoDB counts against the calls the app makes (POST /orders through the real app over
// a mocked document client, a partner's transition through the repository, the bench's
// order-calls helper) and the template's memory sizes.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { mockClient } from 'aws-sdk-client-mock'
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand
} from '@aws-sdk/lib-dynamodb'
import { CATALOG_FLOWS, MEMORY_GB, ORDER_FLOW, costOf, table, total, type Prices } from '../../bench/cost-model.js'
import { orderTransaction } from '../../bench/lib/order-calls.js'
import { createOrdersRepository } from '../../data/orders-repository.js'
import { loadTemplate } from '../../infra/template.js'
import { createDynamoLedger } from '../../workers/effect-ledger.js'
import { build } from '../helpers/app.js'
import { startTestIssuer } from '../helpers/tokens.js'

const prices = JSON.parse(
  readFileSync(new URL('../../bench/prices-us-east-1.json', import.meta.url), 'utf8')
) as Prices
const ITEM = { id: 'cable', title: 'Cable', price: 500, currency: 'USD', stock: 10 }
const TABLES = { ITEMS_TABLE: 'items', ORDERS_TABLE: 'orders', IDEMPOTENCY_TABLE: 'idem', RATE_LIMIT_TABLE: 'limits' }

const line = (lines: ReturnType<typeof costOf>, service: string): { quantity: number; usd: number } => {
  const found = lines.find((l) => l.service === service)
  if (found === undefined) throw new Error(`no line ${service}`)
  return found
}
const callsOf = (prefix: string) => ORDER_FLOW.ddb.filter((c) => c.what.startsWith(prefix))

function mocked () {
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
  )
  const mock = mockClient(ddb)
  return { ddb, mock }
}

t.test('the price file is dated and names its pages', async (t) => {
  t.match(prices.takenOn, /^\d{4}-\d{2}-\d{2}$/)
  t.equal(prices.region, 'us-east-1')
  for (const service of ['dynamodb', 'lambda', 'eventbridge', 'sqs', 'ses', 'apiGateway', 'cognito'] as const) {
    t.match(prices[service].page, /pricing/i, `${service} names its pricing page`)
  }
  const basis = prices.durations.basis as Record<string, string>
  for (const i of [...ORDER_FLOW.invocations, ...Object.values(CATALOG_FLOWS).flatMap((f) => f.invocations)]) {
    t.type(prices.durations[i.duration], 'number', `${i.duration} has a number`)
    t.ok(basis[i.duration], `${i.duration} says its basis`)
  }
})

t.test('per 1,000 orders: each line is the count times the list price', async (t) => {
  const lines = costOf(ORDER_FLOW, 1000, prices)
  // 30 write units an order: sign-in 5, POST /orders 9, two transitions 3 each, five effects 2 each.
  t.equal(line(lines, 'DynamoDB writes').quantity, 30_000)
  t.equal(line(lines, 'DynamoDB writes').usd, 30_000 / 1e6 * 0.625)
  t.equal(line(lines, 'DynamoDB reads').quantity, 5_000)
  t.equal(line(lines, 'DynamoDB reads').usd, 5_000 / 1e6 * 0.125)
  // API at 1 GB: 150 + 46 + 15 + 15 ms; worker at 0.5 GB: 3 x 40 + 2 x 250 + 80 ms.
  t.equal(Math.round(line(lines, 'Lambda API compute').quantity), 226)
  t.equal(Math.round(line(lines, 'Lambda worker compute').quantity), 350)
  t.equal(line(lines, 'Lambda worker compute').usd, line(lines, 'Lambda worker compute').quantity * 0.0000133334)
  t.equal(line(lines, 'Lambda requests').quantity, 10_000)
  t.equal(line(lines, 'EventBridge').usd, 3_000 / 1e6 * 1.0)
  t.equal(line(lines, 'SQS').usd, 9_000 / 1e6 * 0.4)
  t.equal(line(lines, 'SES').usd, 3_000 / 1000 * 0.1)
  t.equal(line(lines, 'API Gateway HTTP API').usd, 4_000 / 1e6 * 1.0)
  t.equal(line(lines, 'Cognito (beyond the free MAU)').usd, 1000 * 0.015)
  t.equal(total(lines), lines.reduce((s, l) => s + l.usd, 0))
  t.ok(line(lines, 'SES').usd > total(lines.filter((l) => !/SES|Cognito/.test(l.service))), 'SES is the most of the rest')
  const printed = table(lines)
  t.match(printed, /\| DynamoDB writes \| 30,000 WRU \| \$0\.0187 \|/)
  t.match(printed, /\*\*Total, inside Cognito's free tier\*\* \| \| \*\*\$0\.3397\*\*/)
})

t.test('per 1 million catalog reads: the measured units of bench/results.md', async (t) => {
  const results = readFileSync(new URL('../../bench/results.md', import.meta.url), 'utf8')
  const measured = (label: string): number => {
    const m = new RegExp(`${label.replace(/[?+()]/g, '\\$&')}: read capacity per request, 10000 items \\| ([\\d.]+) RCU`)
      .exec(results)
    if (m === null) throw new Error(`bench/results.md has no row for ${label}`)
    return Number(m[1])
  }
  const rru = (route: string) => CATALOG_FLOWS[route].ddb.reduce((s, c) => s + c.rru, 0)
  t.equal(rru('GET /items?q='), measured('GET /items?q=camera (one word)'))
  t.equal(rru('GET /categories'), measured('GET /categories'))
  const search = costOf(CATALOG_FLOWS['GET /items?q='], 1e6, prices)
  t.equal(line(search, 'DynamoDB reads').usd, 10.5 * 0.125)
  t.equal(line(search, 'DynamoDB writes').usd, 0.625, 'the search limiter\'s ADD: one write unit a request')
  t.equal(line(search, 'API Gateway HTTP API').usd, 1)
  t.equal(line(search, 'Lambda API compute').quantity, 10_000)
})

t.test('the memory sizes are the template\'s', async (t) => {
  const { Resources } = loadTemplate()
  t.equal(Resources.ApiFunction.Properties?.MemorySize / 1024, MEMORY_GB.api)
  t.equal(Resources.WorkerFunction.Properties?.MemorySize / 1024, MEMORY_GB.worker)
  const projection = (table: string) =>
    (Resources[table].Properties?.GlobalSecondaryIndexes as Array<{ Projection: { ProjectionType: string } }>)
      .map((i) => i.Projection.ProjectionType)
  t.ok(projection('OrdersTable').includes('ALL'), 'an order write also writes the byUser index')
  t.ok(projection('ItemsTable').includes('ALL'), 'a stock decrement also writes the byCategory index')
})

t.test('POST /orders through the app makes the calls the model counts', async (t) => {
  const issuer = await startTestIssuer()
  t.teardown(() => issuer.close())
  const { ddb, mock } = mocked()
  t.teardown(() => mock.restore())
  mock.on(BatchGetCommand).resolves({ Responses: { items: [ITEM] } })
  mock.on(TransactWriteCommand).resolves({})
  mock.on(PutCommand).resolves({})
  mock.on(UpdateCommand).resolves({ Attributes: { count: 1 } })
  const app = await build(t, { env: { ...issuer.env, ...TABLES, RATE_LIMITS: 'on' }, deps: { aws: { ddb } } })
  const res = await app.inject({
    method: 'POST',
    url: '/orders',
    headers: {
      authorization: `Bearer ${issuer.token({ sub: 'u1', email: 'u1@example.com' })}`,
      'idempotency-key': 'cost-1'
    },
    payload: { items: [{ id: 'cable', count: 1 }] }
  })
  t.equal(res.statusCode, 201, res.body)

  const limiter = mock.commandCalls(UpdateCommand).filter((c) => c.args[0].input.TableName === 'limits')
  t.equal(limiter.length, callsOf('POST /orders: the rate limiter').length, 'one limiter ADD')
  const reads = mock.commandCalls(BatchGetCommand)
  t.equal(reads.length, 1, 'one BatchGetItem')
  const keys = Object.values(reads[0].args[0].input.RequestItems ?? {})
  t.ok(keys.every((k) => k.ConsistentRead === true), 'consistent reads: 1 unit per key under 4 KB')
  t.equal(keys.reduce((s, k) => s + (k.Keys?.length ?? 0), 0), callsOf('POST /orders: BatchGetItem')[0].rru)

  const writes = mock.commandCalls(TransactWriteCommand)
  t.equal(writes.length, 1, 'one transaction')
  const actions = writes[0].args[0].input.TransactItems ?? []
  const modelled = callsOf('POST /orders:').filter((c) => c.what.includes('(transactional)'))
  t.equal(actions.length, modelled.length, 'the order, the stock decrement and the key\'s record')
  t.same(actions.map((a) => (a.Put ?? a.Update)?.TableName), ['orders', 'items', 'idem'])
  t.ok(modelled.every((c) => c.wru === 2), 'a transactional write of under 1 KB is 2 units')
  t.ok(Buffer.byteLength(JSON.stringify(actions[0].Put?.Item)) < 1024, 'the order is under 1 KB')
  t.ok(Buffer.byteLength(JSON.stringify(actions[2].Put?.Item)) < 1024, 'the key\'s record is under 1 KB')
})

t.test('a partner\'s transition is one UpdateItem of the order', async (t) => {
  const { ddb, mock } = mocked()
  t.teardown(() => mock.restore())
  mock.on(UpdateCommand).resolves({ Attributes: { id: 'o1', status: 'packed' } })
  const repo = createOrdersRepository(ddb, { items: 'items', orders: 'orders', idempotency: 'idem' })
  await repo.transition('o1', 'packed', 'partner:warehouse', new Date().toISOString(), {})
  t.equal(mock.calls().length, 1)
  t.equal(mock.commandCalls(UpdateCommand)[0].args[0].input.TableName, 'orders')
  t.equal(callsOf('POST /orderpacked: conditional UpdateItem').length, 1)
})

t.test('the bench\'s order transaction has the three actions the model prices', async (t) => {
  const { ddb, mock } = mocked()
  t.teardown(() => mock.restore())
  mock.on(TransactWriteCommand).resolves({})
  await orderTransaction(ddb, { items: 'items', orders: 'orders', idempotency: 'idem' }, 'u1')('cable')
  const actions = mock.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems ?? []
  t.equal(actions.length, callsOf('POST /orders:').filter((c) => c.what.includes('(transactional)')).length)
})

t.test('the README shows the table npm run cost prints', async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  t.ok(readme.includes(table(costOf(ORDER_FLOW, 1000, prices))), 'the per 1,000 orders table')
  t.ok(readme.includes(`taken on ${prices.takenOn}`), 'the prices\' date')
  for (const [route, flow] of Object.entries(CATALOG_FLOWS)) {
    const usd = total(costOf(flow, 1e6, prices))
    t.ok(readme.includes(`${route} $${usd.toFixed(2)}`), `${route} per million`)
  }
})

t.test('an effect costs the ledger two writes: its claim and its done mark', async (t) => {
  const base = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
  const mock = mockClient(base)
  t.teardown(() => mock.restore())
  mock.on(UpdateItemCommand).resolves({})
  const ledger = createDynamoLedger(base, 'idem')
  const claim = await ledger.claim('o1', 'email', 1, 60_000)
  t.equal(claim.outcome, 'claimed')
  if (claim.outcome === 'claimed') await ledger.complete('o1', 'email', 1, claim.token)
  t.equal(mock.calls().length, 2)
  t.same(callsOf('placed email: ledger').map((c) => c.wru), [1, 1])
  // Five effects an order: two webhooks (placed, packed) and three emails.
  t.equal(ORDER_FLOW.ddb.filter((c) => c.what.includes(': ledger ')).length, 2 * 5)
  t.equal(ORDER_FLOW.sesEmails, ORDER_FLOW.ddb.filter((c) => c.what.endsWith('suppression check')).length)
})
