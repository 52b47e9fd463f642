// HTTP caching of the public catalog reads (GET /items, /items/{itemId}, /categories). Every other
// answer says `Cache-Control: no-store` (app/app.ts); an anonymous 200 here may be kept for a short
// while by browsers and shared caches, carries an ETag, and a request naming that ETag in
// If-None-Match is answered 304 with no body. A caller with a token may see more (an admin sees the
// exact stock), so its answers stay no-store, and `Vary: Authorization` keeps a shared cache from
// handing the anonymous copy to a request that has one.
// Lists and categories: a strong ETag, a hash of the body, in an onSend hook. One item (the
// hottest read): a weak ETag from what its public view can change by, set by the route itself, as
// an onSend hook on that route cost ~8 us of a ~85 us warm invocation (bench/cases/warm.ts).
// @fastify/etag was not used: it tags every answer of its scope, errors and admins' included, and
// compares If-None-Match as one value rather than a list.
import { hash } from 'node:crypto'
import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify'
import type { PublicItem } from '../domain/catalog.js'

/** Stock moves: a copy is good for half a minute, then it is asked again (cheaply, with its ETag). */
export const CATALOG_MAX_AGE_SECONDS = 30

// crypto.hash (one call, no Hash object) is half createHash's cost on a warm read.
export const etagOf = (body: string | Buffer): string => `"${hash('sha1', body, 'base64url')}"`

/** Whether If-None-Match (`*`, or a list of strong or weak tags) names `etag`. */
export function matchesEtag (ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  return ifNoneMatch.split(',').some((tag) => {
    // Weak comparison (RFC 9110 8.8.3.2), as If-None-Match asks: W/"x" and "x" match each other.
    const t = tag.trim().replace(/^W\//, '')
    return t === '*' || t === etag.replace(/^W\//, '')
  })
}

const PUBLIC_CACHE_CONTROL = `public, max-age=${CATALOG_MAX_AGE_SECONDS}`

/**
 * An item's anonymous view changes only with its updatedAt (every write of its fields sets it, an
 * ISO timestamp of ours: only characters an ETag may hold) or its inStock (orders move the stock
 * without it); `version` (the app's) covers a change of the view's shape between deployments. The
 * version is cleaned once: this runs on every warm read of an item.
 */
export function itemEtagger (version: string): (item: Pick<PublicItem, 'updatedAt' | 'inStock'>) => string {
  const suffix = `.${version.replace(/[^\x21\x23-\x7e]/g, '')}"`
  return (item) => 'W/"' + item.updatedAt + (item.inStock ? '.1' : '.0') + suffix
}

/**
 * The public cache headers. `Vary` is added to, not replaced: with a list of CORS origins in the
 * app, @fastify/cors has already said `Vary: Origin`, and a shared cache must keep both apart.
 */
function setPublicCacheHeaders (reply: FastifyReply, etag: string): void {
  const vary = reply.getHeader('vary')
  reply.header('cache-control', PUBLIC_CACHE_CONTROL).header(
    'vary',
    vary === undefined ? 'authorization' : `${String(vary)}, authorization`
  ).header('etag', etag)
}

/**
 * For a route that tags its own answer: an anonymous request gets the public cache headers and the
 * ETag; true when its If-None-Match names that ETag (the route then answers 304). One header at a
 * time: no object to build and walk on the hot read.
 */
export function notModified (request: FastifyRequest, reply: FastifyReply, etag: string): boolean {
  if (request.headers.authorization !== undefined) return false
  setPublicCacheHeaders(reply, etag)
  return matchesEtag(request.headers['if-none-match'], etag)
}

export const publicCatalogCache: onSendHookHandler = function (
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done
) {
  if (reply.statusCode !== 200 || request.headers.authorization !== undefined || (typeof payload !== 'string' &&
    !Buffer.isBuffer(payload))) {
    done(null, payload)
    return
  }
  const etag = etagOf(payload)
  setPublicCacheHeaders(reply, etag)
  if (matchesEtag(request.headers['if-none-match'], etag)) {
    reply.code(304)
    done(null, '')
    return
  }
  done(null, payload)
}
