// Every plugin and route, registered explicitly (no directory autoload) so esbuild can bundle the
// Lambda into one file. Order matters: cross-cutting plugins first, then the OpenAPI collector,
// then the routes it documents.
import type { FastifyInstance } from 'fastify'
import errors from '../plugins/errors.js'
import cors from '../plugins/cors.js'
import openapi from '../plugins/openapi.js'
import health from '../routes/health.js'
import docs from '../routes/docs.js'

export async function registerPlugins (app: FastifyInstance): Promise<void> {
  await app.register(errors)
  await app.register(cors)
  await app.register(openapi)
}

export async function registerRoutes (app: FastifyInstance): Promise<void> {
  await app.register(health)
  await app.register(docs)
}
