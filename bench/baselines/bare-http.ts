// Baseline "bare HTTP": node:http and the SDK, no framework, no validation, no auth, run like the
// API (a child process of its own, same environment, same load generator). GET /items/<id> answers
// the item GetItem reads; POST /orders makes the one DynamoDB call POST /orders makes once its
// container knows the items. Against the raw SDK loops it shows what the HTTP hop and the load
// generator alone cost on this machine; against it, what the API itself adds.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'
import { orderTransaction } from '../lib/order-calls.js'

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined || value === '') throw new Error(`bare-http: ${name} is not set`)
  return value
}
const ddb = DynamoDBDocumentClient.from(
  new DynamoDBClient({ endpoint: env('DYNAMODB_ENDPOINT'), region: env('AWS_REGION') })
)
const items = env('ITEMS_TABLE')
const placeOrder = orderTransaction(
  ddb,
  { items, orders: env('ORDERS_TABLE'), idempotency: env('IDEMPOTENCY_TABLE') },
  'bare-user'
)

const send = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body))
}

async function readBody (req: IncomingMessage): Promise<string> {
  let body = ''
  for await (const chunk of req) body += String(chunk)
  return body
}

async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/'
  if (req.method === 'GET' && url === '/health') return send(res, 200, { status: 'ok' })
  if (req.method === 'GET' && url.startsWith('/items/')) {
    const { Item } = await ddb.send(
      new GetCommand({ TableName: items, Key: { id: decodeURIComponent(url.slice('/items/'.length)) } })
    )
    return Item === undefined ? send(res, 404, { code: 'item_not_found' }) : send(res, 200, Item)
  }
  if (req.method === 'POST' && url === '/orders') {
    const { items: lines } = JSON.parse(await readBody(req)) as { items: Array<{ id: string }> }
    return send(res, 201, await placeOrder(lines[0]?.id ?? ''))
  }
  send(res, 404, { code: 'not_found' })
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => send(res, 500, { code: 'internal', name: (err as Error).name }))
})
server.listen(Number(env('PORT')), env('HOST'))
