// HTTP caching of the public catalog reads (GET /items, /items/{itemId}, /categories). Every other
// answer says `Cache-Control: no-store` (app/app.ts); an anonymous 200 here may be kept for a short
// while by browsers and shared caches, carries a strong ETag (a hash of the body), and a request
// naming that ETag in If-None-Match is answered 304 with no body. A caller with a token may see more
// (an admin sees the exact stock), so its answers stay no-store, and `Vary: Authorization` keeps a
// shared cache from handing the anonymous copy to a request that has one.
// @fastify/etag was not used: it tags every answer of its scope, errors and admins' included, and
// compares If-None-Match as one value rather than a list.
import { hash } from 'node:crypto'
import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify'

/** Stock moves: a copy is good for half a minute, then it is asked again (cheaply, with its ETag). */
export const CATALOG_MAX_AGE_SECONDS = 30

// crypto.hash (one call, no Hash object) is half createHash's cost on a warm read.
export const etagOf = (body: string | Buffer): string => `"${hash('sha1', body, 'base64url')}"`

/** Whether If-None-Match (`*`, or a list of strong or weak tags) names `etag`. */
export function matchesEtag (ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim()
    return t === '*' || t === etag || t === `W/${etag}`
  })
}

export const publicCatalogCache: onSendHookHandler = function (request: FastifyRequest, reply: FastifyReply, payload: unknown, done) {
  if (reply.statusCode !== 200 || request.headers.authorization !== undefined || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) {
    done(null, payload)
    return
  }
  const etag = etagOf(payload)
  reply.headers({ etag, 'cache-control': `public, max-age=${CATALOG_MAX_AGE_SECONDS}`, vary: 'authorization' })
  if (matchesEtag(request.headers['if-none-match'], etag)) {
    reply.code(304)
    done(null, '')
    return
  }
  done(null, payload)
}
