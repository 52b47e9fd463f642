// A warehouse's webhook receiver with @serverless-commerce/client: a node:http server that
// verifies every webhook's signature, handles each event once, and marks each placed order packed.
//
//   WAREHOUSE_WEBHOOK_SECRET=dev-warehouse-webhook-secret WAREHOUSE_API_KEY=dev-warehouse-key-0123456789abcdef \
//     npm run example:receiver -w @serverless-commerce/client
//
// (npm start's development keys; in a project of your own, `npx tsx partner-webhook-receiver.ts`),
// then start the API with WAREHOUSE_WEBHOOK_URL=http://127.0.0.1:8020/webhooks and
// DELIVERY_WEBHOOK_URL set (docs/webhooks.md describes the webhooks). COMMERCE_API_URL: the API
// (default http://localhost:3000); PORT: where to listen (default 8020, 0 for a free port).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createPartnerClient, isCommerceProblem } from '@serverless-commerce/client'
import {
  EVENT_ID_HEADER, SIGNATURE_HEADER, verifyWebhook, type WebhookEvent
} from '@serverless-commerce/client/webhooks'

function setting (name: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') {
    console.error(`Set ${name} (npm start prints the local development values)`)
    process.exit(2)
  }
  return value
}

const webhookKey = setting('WAREHOUSE_WEBHOOK_SECRET')
const warehouse = createPartnerClient({ baseUrl: process.env.COMMERCE_API_URL ?? 'http://localhost:3000', apiKey: setting('WAREHOUSE_API_KEY') })
// Events already handled, by x-commerce-event-id: the same webhook may arrive more than once. A
// real receiver keeps this in its database.
const handled = new Set<string>()

type WarehouseEvent = Extract<WebhookEvent, { type: 'OrderPlaced' | 'OrderCancelled' }>

async function rawBody (req: IncomingMessage, limit = 1024 * 1024): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** What to do for one verified event; resolves to a line for the log. */
async function handle (event: WarehouseEvent): Promise<string> {
  if (event.type !== 'OrderPlaced') return 'nothing to do'
  const packageId = `PKG-${event.order.id.slice(0, 8).toUpperCase()}`
  try {
    await warehouse.markPacked(event.order.id, { packageId, note: 'Packed by the example receiver' })
    return `marked packed (${packageId})`
  } catch (err) {
    // Cancelled (or already delivered) before we got to it: nothing to pack.
    if (isCommerceProblem(err, 'invalid_transition')) {
      return `not packed: the order is ${String(err.body.currentStatus)}`
    }
    throw err
  }
}

async function onRequest (req: IncomingMessage, res: ServerResponse): Promise<void> {
  const answer = (status: number, body: Record<string, unknown>): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }
  if (req.method !== 'POST') return answer(405, { error: 'POST webhooks here' })
  const body = await rawBody(req)
  if (body === undefined) return answer(413, { error: 'too large' })
  // The signature (v2) covers the event id and the raw bytes: verify before parsing. verifyWebhook
  // returns the payload, typed by its `type`, once the signature holds.
  const event = verifyWebhook(webhookKey, body, req.headers[SIGNATURE_HEADER], 300, req.headers[EVENT_ID_HEADER])
  if (event === undefined) {
    console.log(`[warehouse] refused a webhook: bad or missing ${SIGNATURE_HEADER}`)
    return answer(401, { error: 'invalid signature' })
  }
  // The delivery service's event: never sent to a warehouse.
  if (event.type === 'OrderPacked') return answer(200, { ignored: true })
  const eventId = String(req.headers[EVENT_ID_HEADER] ?? '')
  if (handled.has(eventId)) return answer(200, { duplicate: true })
  try {
    const outcome = await handle(event)
    handled.add(eventId)
    console.log(`[warehouse] ${event.type} ${event.order.id}: verified, ${outcome}`)
    answer(200, { received: true })
  } catch (err) {
    // Not handled: a 5xx makes the API send the webhook again later.
    console.error(
      `[warehouse] ${event.type} ${event.order.id}: failed, ${err instanceof Error ? err.message : String(err)}`
    )
    answer(503, { error: 'try again' })
  }
}

const server = createServer((req, res) => {
  onRequest(req, res).catch((err: unknown) => {
    console.error(err)
    if (!res.headersSent) res.writeHead(500).end()
  })
})
server.listen(Number(process.env.PORT ?? 8020), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address() as AddressInfo
  console.log(`[warehouse] listening on http://${address}:${port}`)
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { server.close(() => process.exit(0)); server.closeAllConnections() })
}
