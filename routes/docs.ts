// GET /openapi.json and the Swagger UI at /docs. The UI (and its static files) lives in a small
// Fastify instance of its own, imported and built on the first /docs request, so neither its code
// nor its assets sit on the Lambda's cold path for the API routes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The bundle ships Swagger UI's assets beside itself (dist/api/static); from source, use the package's. */
function swaggerUiAssetsDir (): string | undefined {
  const beside = join(dirname(fileURLToPath(import.meta.url)), 'static')
  return existsSync(join(beside, 'swagger-ui.css')) ? beside : undefined
}

async function buildDocsApp (document: unknown): Promise<FastifyInstance> {
  const [{ default: Fastify }, { default: swagger }, { default: swaggerUi }] = await Promise.all([
    import('fastify'), import('@fastify/swagger'), import('@fastify/swagger-ui')
  ])
  const docs = Fastify({ logger: false })
  await docs.register(swagger, { mode: 'static', specification: { document: document as never } })
  await docs.register(swaggerUi, {
    routePrefix: '/docs',
    baseDir: swaggerUiAssetsDir(),
    uiConfig: { persistAuthorization: true, displayRequestDuration: true, tryItOutEnabled: false, deepLinking: true },
    staticCSP: false
  })
  await docs.ready()
  return docs
}

const docs: FastifyPluginAsyncTypebox = async (app) => {
  let document: unknown
  const openapiDocument = (): unknown => (document ??= app.swagger())

  app.get('/openapi.json', {
    schema: {
      tags: ['operations'],
      summary: 'The OpenAPI 3.1 document',
      description: 'This API described as OpenAPI 3.1, generated from the route schemas.',
      security: []
    }
  }, async (_request, reply) => reply.type('application/json').send(openapiDocument()))

  let docsApp: Promise<FastifyInstance> | undefined
  const forward = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    docsApp ??= buildDocsApp(openapiDocument()).catch((err: unknown) => { docsApp = undefined; throw err })
    const res = await (await docsApp).inject({ method: 'GET', url: request.url, headers: { 'accept-encoding': 'identity' } })
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined && !['content-length', 'transfer-encoding', 'connection', 'date'].includes(name)) reply.header(name, value)
    }
    return reply.code(res.statusCode).send(res.rawPayload)
  }
  const hidden = { schema: { hide: true } }
  app.get('/docs', hidden, forward)
  app.get('/docs/*', hidden, forward)
}

export default docs
