// The API Gateway (HTTP API, payload 2.0) events the bench sends, made from the sample event in
// events/ so they carry what API Gateway really sends. Written to files the probes read.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../../scripts/build.js'
import { STUB_ITEM_ID, STUB_SHIPPING_ADDRESS } from './aws-stub.js'

type HttpEvent = Record<string, any>

export function httpEvent (
  method: string,
  path: string,
  opts: { query?: string; body?: unknown; headers?: Record<string, string> } = {}
): HttpEvent {
  const event = JSON.parse(readFileSync(join(ROOT, 'events', 'http-get-item.json'), 'utf8')) as HttpEvent
  event.rawPath = path
  event.rawQueryString = opts.query ?? ''
  event.requestContext.http.method = method
  event.requestContext.http.path = path
  event.pathParameters = { proxy: path.slice(1) }
  if (opts.query !== undefined) event.queryStringParameters = Object.fromEntries(new URLSearchParams(opts.query))
  if (opts.body !== undefined) {
    event.body = JSON.stringify(opts.body)
    event.headers['content-type'] = 'application/json'
    event.headers['content-length'] = String(Buffer.byteLength(event.body))
  }
  Object.assign(event.headers, opts.headers ?? {})
  return event
}

export const EVENTS = {
  getItem: () => httpEvent('GET', `/items/${STUB_ITEM_ID}`),
  signin: () => httpEvent('POST', '/signin', { body: { email: 'ada@example.com', password: 'Correct-Horse-9' } }),
  docs: () => httpEvent('GET', '/docs/', { headers: { accept: 'text/html' } }),
  listOrders: () => httpEvent('GET', '/orders', { headers: { authorization: 'Bearer {{token}}' } }),
  postOrder: () => httpEvent('POST', '/orders', {
    body: { items: [{ id: STUB_ITEM_ID, count: 1, color: 'BLK' }], shippingAddress: STUB_SHIPPING_ADDRESS },
    headers: { authorization: 'Bearer {{token}}' }
  }),
  streamRecord: () => JSON.parse(readFileSync(join(ROOT, 'events', 'orders-stream.json'), 'utf8')) as unknown
} as const
export type EventName = keyof typeof EVENTS

/** Writes every event to <dir>/<name>.json; returns the paths. */
export function writeEvents (dir: string): Record<EventName, string> {
  mkdirSync(dir, { recursive: true })
  const out = {} as Record<EventName, string>
  for (const [name, make] of Object.entries(EVENTS) as Array<[EventName, () => unknown]>) {
    const file = join(dir, `${name}.json`)
    writeFileSync(file, JSON.stringify(make()))
    out[name] = file
  }
  return out
}
