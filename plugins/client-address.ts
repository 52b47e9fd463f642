// The client's address for per-client limits. Behind API Gateway it is the event's
// requestContext.http.sourceIp, which @fastify/aws-lambda gives the request as its socket address
// (request.ip, with trustProxy off); locally the TCP peer. Never a client-sent X-Forwarded-For:
// API Gateway appends to that header, so its first entry is whatever the client wrote.
// Behind the optional CloudFront edge, the HTTP API sees CloudFront's address; CloudFront then sends
// the viewer's in CloudFront-Viewer-Address, which is believed only with the edge's secret beside it
// (a caller of the HTTP API's own URL could send that header too).
import type { FastifyRequest } from 'fastify'
import type { SecretSource } from '../core/config.js'
import type { SecretStore } from './secrets.js'
import { sameKey } from './partner-keys.js'

/** An IPv6 address's eight groups (`::` and a dotted IPv4 tail expanded), or undefined if it is not one. */
function ipv6Groups (address: string): string[] | undefined {
  let ip = address.split('%')[0] ?? ''
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip)
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number]
    ip = `${ip.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const halves = ip.split('::')
  if (halves.length > 2) return undefined
  const part = (h: string | undefined): string[] => (h === undefined || h === '' ? [] : h.split(':'))
  const head = part(halves[0])
  const tail = part(halves[1])
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  return groups.every((g) => /^[0-9a-f]{1,4}$/.test(g)) ? groups : undefined
}

/**
 * What a client is counted by: an IPv4 address as it is; an IPv6 one by its /64, which one
 * subscriber usually holds whole (a caller rotating addresses within it stays one caller); an
 * IPv4-mapped IPv6 address as its IPv4.
 */
export function clientKey (address: string): string {
  const ip = address.trim().toLowerCase()
  if (!ip.includes(':')) return ip
  const groups = ipv6Groups(ip)
  if (groups === undefined) return ip
  const hex = groups.map((g) => parseInt(g, 16))
  if (hex.slice(0, 5).every((g) => g === 0) && hex[5] === 0xffff) {
    return [hex[6]! >> 8, hex[6]! & 255, hex[7]! >> 8, hex[7]! & 255].join('.')
  }
  return `${hex.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`
}

/** `198.51.100.7:46532` or `2001:db8::1:46532` (CloudFront's format): the address without the port. */
export function viewerAddress (header: string): string | undefined {
  const colon = header.lastIndexOf(':')
  const address = colon > 0 ? header.slice(0, colon) : ''
  return /^[0-9A-Fa-f.:]{2,45}$/.test(address) ? address : undefined
}

export function createClientAddress (secrets: SecretStore, edgeSecret: SecretSource | undefined): (
  request: FastifyRequest
) => Promise<string> {
  return async (request) => {
    if (edgeSecret !== undefined) {
      const presented = request.headers['x-edge-secret']
      const viewer = request.headers['cloudfront-viewer-address']
      if (typeof presented === 'string' && typeof viewer === 'string' && sameKey(
        presented,
        await secrets.get(edgeSecret)
      )) {
        const address = viewerAddress(viewer)
        if (address !== undefined) return clientKey(address)
      }
    }
    return clientKey(request.ip)
  }
}
