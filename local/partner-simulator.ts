// The warehouse and the delivery service, simulated for `npm start`: an HTTP server receiving the
// worker's webhooks on the paths of WAREHOUSE_WEBHOOK_URL and DELIVERY_WEBHOOK_URL, checking their
// signatures (401 when wrong, as a real partner should), logging one line each, and with
// autoAdvance playing the partners' part: after the warehouse hears of a placed order it marks it
// packed through our API, and after the delivery service hears of a packed one it marks it
// delivered, each after a short delay, so the whole lifecycle plays out by itself. Its page at `/`
// lists the webhooks received, newest first.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { listen } from './emulators/process.js'
import type { Config, PartnerName, SecretSource } from '../core/config.js'
import {
  CORRELATION_ID_HEADER,
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER
} from '../domain/webhook-signature.js'
// The simulator plays the partners: it verifies with the partners' own tool, the client package.
import { checkWebhookSignature } from '../clients/typescript/src/webhooks.js'

export interface ReceivedWebhook {
  partner: PartnerName
  eventId: string | undefined
  eventType: string | undefined
  /** The x-correlation-id header: the id of the API request behind the event. */
  correlationId: string | undefined
  body: unknown
  signatureOk: boolean
}

export interface PartnerSimulatorOptions {
  config: Config
  /** Our API, for autoAdvance (e.g. http://localhost:3000). */
  apiUrl?: string
  autoAdvance?: boolean
  /** Pause before a partner acts on a webhook. */
  advanceDelayMs?: number
  port?: number
  host?: string
  log: (line: string) => void
  fetch?: typeof fetch
}

export interface PartnerSimulator {
  url: string
  /** Every webhook received, newest last. */
  received: ReceivedWebhook[]
  /** Resolves once no partner call is scheduled or in flight: an explicit event to wait on, not a pause. */
  idle: () => Promise<void>
  stop: () => Promise<void>
}

const MAX_BODY_BYTES = 256 * 1024

const localValue = (source: SecretSource, what: string): string => {
  if (!('value' in source)) {
    throw new Error(`the partner simulator needs the ${what} as a local value, not a Secrets Manager ARN`)
  }
  return source.value
}

/** The path each partner's webhook arrives on, from the configured URLs. */
function partnerPaths (config: Config): Map<string, PartnerName> {
  const paths = new Map<string, PartnerName>()
  for (const partner of ['warehouse', 'delivery'] as const) {
    const url = config.webhookUrls[partner]
    if (url === undefined) throw new Error(`the partner simulator needs ${partner.toUpperCase()}_WEBHOOK_URL`)
    paths.set(new URL(url).pathname, partner)
  }
  if (paths.size < 2) throw new Error('WAREHOUSE_WEBHOOK_URL and DELIVERY_WEBHOOK_URL must have different paths')
  return paths
}

async function readBody (req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) return undefined
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

const reply = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string)

const PAGE_STYLE = 'body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}' +
  'td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}pre{margin:0}'
const COLUMNS = ['partner', 'event', 'order', 'event id', 'correlation id', 'signature', '']

/** The page at `/`: every webhook received, newest first, each field escaped (bodies are anyone's). */
export function receivedPage (received: ReceivedWebhook[], paths: string[]): string {
  const rows = [...received].reverse().map((w) => {
    const order = (w.body as { order?: { id?: unknown } } | undefined)?.order?.id
    const cells = [w.partner, w.eventType ?? '-', typeof order === 'string' ? order : '-', w.eventId ?? '-',
      w.correlationId ?? '-', w.signatureOk ? 'ok' : 'refused (401)']
    const body = escapeHtml(JSON.stringify(w.body, null, 2) ?? '(not JSON)')
    return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}` +
      `<td><details><summary>body</summary><pre>${body}</pre></details></td></tr>`
  })
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>Partner simulator: webhooks received</title>',
    `<style>${PAGE_STYLE}</style></head><body>`,
    `<h1>Webhooks received (${received.length})</h1>`,
    `<p>On ${paths.map((p) => `<code>${escapeHtml(p)}</code>`).join(' and ')}; newest first. Reload to update.</p>`,
    `<table><thead><tr>${COLUMNS.map((c) => `<th>${c}</th>`).join('')}</tr></thead>`,
    `<tbody>${rows.join('\n') || `<tr><td colspan="${COLUMNS.length}">none yet</td></tr>`}</tbody>`,
    '</table></body></html>',
    ''
  ].join('\n')
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/**
 * Where the webhook says the order goes, for the log line: the delivery service's whole address,
 * the warehouse's recipient and country; "no shipping address" for an order placed without one.
 */
export function destination (body: unknown): string {
  type Fields = Record<string, unknown> | null
  const b = body as { shippingAddress?: Fields; order?: { recipient?: Fields } }
  const show = (values: unknown[]): string => values.filter((v) => typeof v === 'string' && v !== '').join(', ')
  if (b.shippingAddress !== undefined) {
    const a = b.shippingAddress
    if (a === null) return '; no shipping address'
    const city = [a.postalCode, a.city, a.region].filter((v) => typeof v === 'string' && v !== '').join(' ')
    return `; deliver to ${show([a.name, a.line1, a.line2, city, a.country])} (phone ${String(a.phone)})`
  }
  const r = b.order?.recipient
  if (r === undefined) return ''
  return r === null ? '; no shipping address' : `; for ${show([r.name, r.country])}`
}

export async function startPartnerSimulator (opts: PartnerSimulatorOptions): Promise<PartnerSimulator> {
  const { config, log } = opts
  const doFetch = opts.fetch ?? globalThis.fetch
  const delay = opts.advanceDelayMs ?? 1000
  const paths = partnerPaths(config)
  const webhookKeys = {
    warehouse: localValue(config.webhookKeys.warehouse, 'warehouse webhook key'),
    delivery: localValue(config.webhookKeys.delivery, 'delivery webhook key')
  }
  const apiKeys = {
    warehouse: localValue(config.partnerKeys.warehouse, 'warehouse API key'),
    delivery: localValue(config.partnerKeys.delivery, 'delivery API key')
  }
  if (opts.autoAdvance === true && opts.apiUrl === undefined) throw new Error('autoAdvance needs apiUrl')
  const received: ReceivedWebhook[] = []
  // Partners deduplicate on the event id: a redelivered webhook advances nothing twice.
  const acted = new Set<string>()
  const timers = new Set<NodeJS.Timeout>()
  const calls = new Set<Promise<void>>()
  const idleWaiters: Array<() => void> = []
  const busy = (): boolean => timers.size > 0 || calls.size > 0
  const wakeIdle = (): void => { if (!busy()) for (const resolve of idleWaiters.splice(0)) resolve() }

  /** Marks an order packed (warehouse) or delivered (delivery) through our partner API. */
  async function advance (partner: PartnerName, orderId: string): Promise<void> {
    const [action, body] = partner === 'warehouse'
      ? ['orderpacked', { packageId: `PKG-${orderId.slice(-8).toUpperCase()}` }]
      : ['orderdelivered', { trackingNumber: `TRK-${orderId.slice(-8).toUpperCase()}`, carrier: 'Local Express' }]
    try {
      const res = await doFetch(`${opts.apiUrl as string}/${action}/${encodeURIComponent(orderId)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKeys[partner] },
        body: JSON.stringify(body)
      })
      const text = await res.text()
      log(`${partner} → POST /${action}/${orderId}: ${res.status}${res.ok ? '' : ` ${text.slice(0, 200)}`}`)
    } catch (err) {
      log(`${partner} → POST /${action}/${orderId} failed: ${(err as Error).message}`)
    }
  }

  function schedule (partner: PartnerName, orderId: string): void {
    const timer = setTimeout(() => {
      timers.delete(timer)
      const call = advance(partner, orderId).finally(() => { calls.delete(call); wakeIdle() })
      calls.add(call)
    }, delay)
    timers.add(timer)
  }

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://local').pathname
    if (pathname === '/' && req.method === 'GET') {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'"
      })
      res.end(receivedPage(received, [...paths.keys()]))
      return
    }
    const partner = paths.get(pathname)
    if (partner === undefined) {
      return reply(res, 404, { error: 'not_found', detail: `webhooks arrive on ${[...paths.keys()].join(' and ')}` })
    }
    if (req.method !== 'POST') return reply(res, 405, { error: 'method_not_allowed' })
    const raw = await readBody(req)
    if (raw === undefined) return reply(res, 413, { error: 'too_large' })
    const eventId = header(req, EVENT_ID_HEADER)
    const eventType = header(req, EVENT_TYPE_HEADER)
    // v2: the event id must be signed with the body (a request without one is malformed).
    const signature = header(req, SIGNATURE_HEADER)
    const verified = checkWebhookSignature(webhookKeys[partner], raw, signature, undefined, undefined, eventId ?? null)
    let body: unknown
    try {
      body = JSON.parse(raw)
    } catch {
      body = undefined
    }
    const correlationId = header(req, CORRELATION_ID_HEADER)
    received.push({ partner, eventId, eventType, correlationId, body, signatureOk: verified.ok })
    const orderId = (body as { order?: { id?: unknown } } | undefined)?.order?.id
    const what = `${partner} ← ${eventType ??
      '(no type)'} ${typeof orderId === 'string' ? orderId : '(no order id)'} [${eventId ??
        'no event id'}] correlation ${correlationId ?? '-'}`
    if (!verified.ok) {
      log(`${what}: signature ${verified.reason}, refused (401)`)
      return reply(res, 401, { error: 'invalid_signature', reason: verified.reason })
    }
    if (body === undefined || typeof orderId !== 'string') {
      log(`${what}: not an order webhook, refused (400)`)
      return reply(res, 400, { error: 'invalid_body' })
    }
    const first = eventId === undefined || !acted.has(eventId)
    if (eventId !== undefined) acted.add(eventId)
    log(`${what}: signature ok${first ? '' : ', a redelivery (ignored)'}${destination(body)}`)
    const next = (partner === 'warehouse' && eventType === 'OrderPlaced') || (partner === 'delivery' &&
      eventType === 'OrderPacked')
    if (opts.autoAdvance === true && first && next) schedule(partner, orderId)
    reply(res, 200, { received: true })
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`partner simulator failed: ${(err as Error).message}`)
      if (!res.headersSent) reply(res, 500, { error: 'internal' })
    })
  })
  const url = await listen(server, opts.host ?? '127.0.0.1', opts.port ?? 0)

  return {
    url,
    received,
    idle: async () => { if (busy()) await new Promise<void>((resolve) => idleWaiters.push(resolve)) },
    stop: async () => {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      wakeIdle()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await Promise.all([...calls])
    }
  }
}
