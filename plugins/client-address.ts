// The client's address for per-client limits. Behind API Gateway it is the event's
// requestContext.http.sourceIp, which @fastify/aws-lambda gives the request as its socket address
// (request.ip, with trustProxy off); locally the TCP peer. Never a client-sent X-Forwarded-For:
// API Gateway appends to that header, so its first entry is whatever the client wrote.
// Behind the optional CloudFront edge, the HTTP API sees CloudFront's address; CloudFront then sends
// the viewer's in CloudFront-Viewer-Address, which is believed only with the edge's secret beside it
// (a caller of the HTTP API's own URL could send that header too).
import type { FastifyRequest } from 'fastify'
import { normalizeIP } from '@fastify/rate-limit'
import type { SecretSource } from '../core/config.js'
import type { SecretStore } from './secrets.js'
import { sameKey } from './partner-keys.js'

/** IPv6 callers are counted by their /64, which one subscriber usually holds whole. */
const IPV6_PREFIX = 64

/** `198.51.100.7:46532` or `2001:db8::1:46532` (CloudFront's format): the address without the port. */
export function viewerAddress (header: string): string | undefined {
  const colon = header.lastIndexOf(':')
  const address = colon > 0 ? header.slice(0, colon) : ''
  return /^[0-9A-Fa-f.:]{2,45}$/.test(address) ? address : undefined
}

export function createClientAddress (secrets: SecretStore, edgeSecret: SecretSource | undefined): (request: FastifyRequest) => Promise<string> {
  return async (request) => {
    if (edgeSecret !== undefined) {
      const presented = request.headers['x-edge-secret']
      const viewer = request.headers['cloudfront-viewer-address']
      if (typeof presented === 'string' && typeof viewer === 'string' && sameKey(presented, await secrets.get(edgeSecret))) {
        const address = viewerAddress(viewer)
        if (address !== undefined) return normalizeIP(address, IPV6_PREFIX)
      }
    }
    return normalizeIP(request.ip, IPV6_PREFIX)
  }
}
