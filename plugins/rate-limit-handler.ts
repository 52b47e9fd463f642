// @fastify/rate-limit, loaded on the first limited request instead of at init: it and its IPv6
// library weigh on the cold start, and most requests (the catalog) are never limited. A
// plugin cannot be registered once the app is ready, so it is run against a host that records the
// decorators it adds (as jwt-request-verifier.ts does for @fastify/jwt), and each limited route
// gets the handler its `rateLimit(options)` decorator makes: the plugin's own counting, headers and
// 429, over our store. Its onRoute hook is not needed (plugins/rate-limit.ts routes the limits).
import { fastifyRateLimit, type RateLimitOptions, type RateLimitPluginOptions } from '@fastify/rate-limit'
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify'

export type RateLimitHandlerFactory = (options: RateLimitOptions & { scope: string }) => onRequestAsyncHookHandler

export async function createRateLimitHandlers (settings: RateLimitPluginOptions): Promise<RateLimitHandlerFactory> {
  const decorators = new Map<string, unknown>()
  const host = {
    decorate (name: string, value: unknown) { decorators.set(name, value) },
    hasDecorator (name: string) { return decorators.has(name) },
    // Its one request decorator (a symbol marking a request already counted) starts false: absent is false too.
    decorateRequest () {},
    addHook () {}
  }
  await (fastifyRateLimit as unknown as (app: FastifyInstance, opts: RateLimitPluginOptions) => Promise<void>)(
    host as unknown as FastifyInstance,
    settings
  )
  const rateLimit = decorators.get('rateLimit')
  if (typeof rateLimit !== 'function') throw new Error('@fastify/rate-limit added no rateLimit decorator')
  return rateLimit as RateLimitHandlerFactory
}
