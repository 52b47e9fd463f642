// Every plugin and route, registered explicitly (no directory autoload) so esbuild can bundle the
// Lambda into one file. Order matters: cross-cutting plugins first, then the OpenAPI collector,
// then the routes it documents.
import type { FastifyInstance } from 'fastify'
import metrics, { type MetricsPluginOptions } from '../plugins/metrics.js'
import tracing, { type TracingPluginOptions } from '../plugins/tracing.js'
import errors from '../plugins/errors.js'
import cors from '../plugins/cors.js'
import secrets from '../plugins/secrets.js'
import auth from '../plugins/auth.js'
import partnerKeys from '../plugins/partner-keys.js'
import rateLimit from '../plugins/rate-limit.js'
import openapi, { type OpenApiPluginOptions } from '../plugins/openapi.js'
import health from '../routes/health.js'
import docs from '../routes/docs.js'
import account from '../routes/account.js'
import items from '../routes/items.js'
import orders from '../routes/orders.js'
import partners from '../routes/partners.js'
import { ACCOUNT_SCHEMAS } from '../routes/account-schemas.js'
import { ITEM_SCHEMAS } from '../routes/items-schemas.js'
import { ORDER_SCHEMAS } from '../routes/orders-schemas.js'
import { Health } from '../routes/health.js'

/**
 * Every named shape of requests and responses: routes use them through ref() (core/http-schemas.ts),
 * and the OpenAPI document lists them under components.schemas by their $id.
 */
export const SHARED_SCHEMAS = [Health, ...ACCOUNT_SCHEMAS, ...ITEM_SCHEMAS, ...ORDER_SCHEMAS]

export async function registerPlugins (
  app: FastifyInstance,
  opts: { openapi?: OpenApiPluginOptions; metrics?: MetricsPluginOptions; tracing?: TracingPluginOptions } = {}
): Promise<void> {
  await app.register(metrics, opts.metrics ?? {})
  await app.register(tracing, opts.tracing ?? {})
  await app.register(errors)
  await app.register(cors)
  await app.register(secrets)
  await app.register(auth)
  await app.register(partnerKeys)
  // Before the OpenAPI collector: it adds each limited route's 429 to its schema.
  await app.register(rateLimit)
  await app.register(openapi, opts.openapi ?? {})
}

export async function registerRoutes (app: FastifyInstance): Promise<void> {
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema)
  await app.register(health)
  await app.register(docs)
  await app.register(account)
  await app.register(items)
  await app.register(orders)
  await app.register(partners)
}
