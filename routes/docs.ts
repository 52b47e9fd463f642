// GET /openapi.json and the Swagger UI at /docs. The UI (and its static files) lives in a small
// Fastify instance of its own, imported and built on the first /docs request, so neither its code
// nor its assets sit on the Lambda's cold path for the API routes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from '@sinclair/typebox'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { externalBasePath, withServers } from './docs-base-path.js'

// Set only by `forward` below on its inject into the docs app; a client's headers never reach it.
const BASE_PATH_HEADER = 'x-docs-base-path'

/** The bundle ships Swagger UI's assets beside itself (dist/api/static); from source, use the package's. */
function swaggerUiAssetsDir (): string | undefined {
  const beside = join(dirname(fileURLToPath(import.meta.url)), 'static')
  return existsSync(join(beside, 'swagger-ui.css')) ? beside : undefined
}

// Our logo and colours (routes/docs-theme/; the bundle carries a copy beside itself, scripts/build.ts).
const THEME_DIR = join(dirname(fileURLToPath(import.meta.url)), 'docs-theme')

interface DocsTheme { title: string, logo: Buffer, css: string }

async function readTheme (document: { info?: { title?: unknown } }): Promise<DocsTheme> {
  const [logo, css] = await Promise.all([
    readFile(join(THEME_DIR, 'logo.svg')), readFile(join(THEME_DIR, 'theme.css'), 'utf8')
  ])
  const title = typeof document.info?.title === 'string' ? document.info.title : 'API'
  return { title, logo, css: `${css}.swagger-ui .topbar-wrapper a::after { content: ${JSON.stringify(title)}; }\n` }
}

async function buildDocsApp (document: { info?: { title?: unknown } }): Promise<FastifyInstance> {
  const [{ default: Fastify }, { default: swagger }, { default: swaggerUi }, theme] = await Promise.all([
    import('fastify'), import('@fastify/swagger'), import('@fastify/swagger-ui'), readTheme(document)
  ])
  const docs = Fastify({ logger: false })
  await docs.register(swagger, { mode: 'static', specification: { document: document as never } })
  await docs.register(swaggerUi, {
    routePrefix: '/docs',
    baseDir: swaggerUiAssetsDir(),
    uiConfig: { persistAuthorization: true, displayRequestDuration: true, tryItOutEnabled: false, deepLinking: true },
    staticCSP: false,
    // The top bar shows our logo and the document's title; its "Explore" box is hidden (theme.css).
    logo: { type: 'image/svg+xml', content: theme.logo },
    theme: {
      title: `${theme.title}: documentation`,
      css: [{ filename: 'theme.css', content: theme.css }],
      favicon: [{ filename: 'logo.svg', rel: 'icon', sizes: 'any', type: 'image/svg+xml', content: theme.logo }]
    },
    // "Try it out" calls the document's server: the stage or base path the UI was opened under.
    transformSpecification: (spec, request) => withServers(spec, String(request.headers[BASE_PATH_HEADER] ?? ''))
  })
  await docs.ready()
  return docs
}

const OpenApiDocument = Type.Object({
  openapi: Type.String(),
  info: Type.Object({ title: Type.String(), version: Type.String() }, { additionalProperties: true }),
  paths: Type.Record(Type.String(), Type.Unknown())
}, {
  additionalProperties: true,
  description: 'The OpenAPI document',
  examples: [{ openapi: '3.1.0', info: { title: 'serverless-commerce API', version: '0.1.0' }, paths: {} }]
})

/** The stage or base path in front of this request's path ('' locally and on HTTP API's $default stage). */
function basePathOf (request: FastifyRequest): string {
  const event = (request as FastifyRequest & { awsLambda?: { event?: unknown } }).awsLambda?.event
  return externalBasePath(event, request.url.split('?')[0] ?? '')
}

type OpenApiDoc = Static<typeof OpenApiDocument>

const docs: FastifyPluginAsyncTypebox = async (app) => {
  let document: OpenApiDoc | undefined
  const openapiDocument = (): OpenApiDoc => (document ??= app.openapiDocument() as unknown as OpenApiDoc)
  // One copy per base path (a deployment sees one or two), each with its `servers`.
  const served = new Map<string, OpenApiDoc>()
  const documentFor = (basePath: string): OpenApiDoc => {
    let doc = served.get(basePath)
    if (doc === undefined) {
      doc = withServers(openapiDocument(), basePath)
      if (served.size < 16) served.set(basePath, doc)
    }
    return doc
  }

  app.get('/openapi.json', {
    schema: {
      operationId: 'getOpenApiDocument',
      tags: ['operations'],
      summary: 'The OpenAPI 3.1 document',
      description: 'This API described as OpenAPI 3.1, generated from the route schemas.',
      security: [],
      response: { 200: OpenApiDocument }
    }
  }, async (request, reply) => reply.type('application/json').send(documentFor(basePathOf(request))))

  let docsApp: Promise<FastifyInstance> | undefined
  const forward = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const basePath = basePathOf(request)
    const q = request.url.indexOf('?')
    // The page's asset and spec URLs are relative only under `/docs/`: send `/docs` there,
    // keeping the stage or base path the browser is under.
    if ((q === -1 ? request.url : request.url.slice(0, q)) === '/docs') {
      return reply.redirect(`${basePath}/docs/${q === -1 ? '' : request.url.slice(q)}`, 302)
    }
    docsApp ??= buildDocsApp(openapiDocument()).catch((err: unknown) => { docsApp = undefined; throw err })
    const res = await (await docsApp).inject({
      method: 'GET', url: request.url, headers: { 'accept-encoding': 'identity', [BASE_PATH_HEADER]: basePath }
    })
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined || ['content-length', 'transfer-encoding', 'connection', 'date'].includes(name)) continue
      // The docs app's own redirects are absolute paths without the stage.
      reply.header(
        name,
        name === 'location' && typeof value === 'string' && value.startsWith('/') ? `${basePath}${value}` : value
      )
    }
    return reply.code(res.statusCode).send(res.rawPayload)
  }
  const hidden = { schema: { hide: true } }
  app.get('/docs', hidden, forward)
  app.get('/docs/*', hidden, forward)
}

export default docs
