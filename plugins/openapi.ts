// Collects every route's TypeBox schema into an OpenAPI 3.1 document (@fastify/swagger). It must be
// registered before the routes it documents. The Lambda bundle ships the document prebuilt
// (scripts/build.ts writes dist/api/openapi.json with generateOpenApiDocument below): then
// @fastify/swagger is not even loaded, and init no longer walks every route's schema (measured in
// bench/results.md). test/unit/openapi-prebuilt.test.ts keeps the two byte-for-byte equal.
import fp from 'fastify-plugin'
import type { SwaggerTransformObject } from '@fastify/swagger'
import { OPTIONAL_BODY_KEY, ProblemSchema } from '../core/http-schemas.js'
import { WEBHOOK_SCHEMAS, webhooksSection } from './openapi-webhooks.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The OpenAPI document: the prebuilt one when the app was given it, else @fastify/swagger's. */
    openapiDocument: () => Record<string, unknown>
  }
}

export interface OpenApiPluginOptions {
  /** Reads the prebuilt document (called once, on the first use). */
  prebuilt?: () => Record<string, unknown>
}

export const OPENAPI_INFO = {
  title: 'serverless-commerce API',
  description: 'Catalog, accounts, orders and partner endpoints of serverless-commerce. ' +
    'Errors use RFC 9457 problem details (application/problem+json) with a stable `code`.'
}

export const TAGS = [
  { name: 'catalog', description: 'Browse and manage products and stock' },
  { name: 'account', description: 'Sign up, sign in, tokens' },
  { name: 'orders', description: "Place and read a shopper's orders" },
  { name: 'partners', description: 'Warehouse and delivery partners mark orders packed and delivered' },
  { name: 'operations', description: 'Health and API documentation' }
]

type Json = Record<string, unknown>
type OpenApiObject = {
  paths?: Record<string, Record<string, unknown>>
  components?: { schemas?: Record<string, Json> }
}
type Media = { schema?: Json, example?: unknown, examples?: unknown }
type Operation = {
  parameters?: Array<{ required?: boolean, schema?: Json }>
  requestBody?: { required?: boolean, content?: Record<string, Media> }
  responses?: Record<string, { content?: Record<string, Media> }>
  [OPTIONAL_BODY_KEY]?: boolean
}

const COMPONENT = '#/components/schemas/'

/** The named schema a media type's schema refers to (`$ref` into components.schemas), if any. */
function componentOf (document: OpenApiObject, schema: Json | undefined): Json | undefined {
  const target = schema?.$ref
  if (typeof target !== 'string' || !target.startsWith(COMPONENT)) return undefined
  return document.components?.schemas?.[target.slice(COMPONENT.length)]
}

/**
 * A request or response whose schema is a named one shows that schema's examples, as
 * @fastify/swagger shows an inline schema's (`example` for one, `examples` for several), so
 * Swagger UI and generated docs still show a sample body.
 */
export function namedExamples<T extends OpenApiObject> (document: T): T {
  for (const item of Object.values(document.paths ?? {})) {
    for (const op of Object.values(item) as Operation[]) {
      if (op === null || typeof op !== 'object') continue
      const media = [op.requestBody?.content, ...Object.values(op.responses ?? {}).map((r) => r.content)]
        .flatMap((content) => Object.values(content ?? {}))
      for (const m of media) {
        const examples = componentOf(document, m.schema)?.examples
        if (m.example !== undefined || m.examples !== undefined) continue
        if (!Array.isArray(examples) || examples.length === 0) continue
        if (examples.length === 1) m.example = examples[0]
        else m.examples = Object.fromEntries(examples.map((value, i) => [`example${i + 1}`, { value }]))
      }
    }
  }
  return document
}

/** Drops from each object schema's `required` the properties that have a default, at any depth. */
function defaultsOptional (schema: unknown): void {
  if (schema === null || typeof schema !== 'object') return
  if (Array.isArray(schema)) { schema.forEach(defaultsOptional); return }
  const node = schema as Json
  const properties = node.properties as Record<string, Json> | undefined
  if (Array.isArray(node.required) && properties !== undefined) {
    node.required = node.required.filter((name) => properties[name as string]?.default === undefined)
    if ((node.required as unknown[]).length === 0) delete node.required
  }
  for (const value of Object.values(node)) defaultsOptional(value)
}

/**
 * What a caller may leave out, documented as optional, so clients generated from the document do
 * not make it required. @fastify/swagger writes every request body as required (Fastify needs one
 * whenever a route has a body schema): a route that accepts none says so with `optionalBody()` in
 * its schema, and its requestBody becomes `required: false`. A parameter or body property with a
 * default (`limit`, `stock`) is filled in by the validator when absent: it is not required.
 */
export function markOptionalInputs<T extends OpenApiObject> (document: T): T {
  for (const item of Object.values(document.paths ?? {})) {
    for (const op of Object.values(item) as Operation[]) {
      if (op === null || typeof op !== 'object') continue
      if (OPTIONAL_BODY_KEY in op) {
        if (op[OPTIONAL_BODY_KEY] === true && op.requestBody !== undefined) op.requestBody.required = false
        delete op[OPTIONAL_BODY_KEY]
      }
      for (const parameter of op.parameters ?? []) {
        if (parameter.schema?.default !== undefined && parameter.required === true) parameter.required = false
      }
      for (const media of Object.values(op.requestBody?.content ?? {})) {
        defaultsOptional(media.schema)
        defaultsOptional(componentOf(document, media.schema))
      }
    }
  }
  return document
}

/**
 * Paths whose every operation is deprecated move after the others, keeping their order: Swagger UI
 * and generated docs list operations in document order, so the aliases come last in their tag.
 */
export function deprecatedLast<T extends OpenApiObject> (document: T): T {
  if (document.paths === undefined) return document
  const deprecated = (item: Record<string, unknown>): boolean => {
    const ops = Object.values(item).filter((op): op is Json => op !== null && typeof op === 'object')
    return ops.length > 0 && ops.every((op) => op.deprecated === true)
  }
  const entries = Object.entries(document.paths)
  const current = entries.filter(([, item]) => !deprecated(item))
  document.paths = Object.fromEntries([...current, ...entries.filter(([, item]) => deprecated(item))])
  return document
}

export default fp<OpenApiPluginOptions>(async function openapiPlugin (app, opts) {
  app.addSchema(ProblemSchema)
  const { prebuilt } = opts
  if (prebuilt !== undefined) {
    let document: Record<string, unknown> | undefined
    app.decorate('openapiDocument', () => {
      if (document === undefined) {
        document = prebuilt()
        // The version is the bundle's; a deployment that sets APP_VERSION itself wins.
        const info = document.info as { version?: string } | undefined
        if (info !== undefined && info.version !== app.config.version) info.version = app.config.version
      }
      return document
    })
    return
  }
  // The webhooks' payloads are only documented (no route uses them): not needed with a prebuilt document.
  for (const schema of WEBHOOK_SCHEMAS) app.addSchema(schema)
  const { default: fastifySwagger } = await import('@fastify/swagger')
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { ...OPENAPI_INFO, version: app.config.version },
      tags: TAGS,
      webhooks: webhooksSection() as never,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'A Cognito id or access token from POST /signin'
          },
          partnerApiKey: {
            type: 'apiKey',
            in: 'header',
            name: 'x-api-key',
            description: "A partner's API key (warehouse or delivery)"
          }
        }
      }
    },
    transformObject: (document) => ('openapiObject' in document
      ? deprecatedLast(namedExamples(markOptionalInputs(document.openapiObject as OpenApiObject)))
      : document.swaggerObject) as ReturnType<SwaggerTransformObject>,
    // Shared schemas keep their $id as their name under components.schemas.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`)
    }
  })
  app.decorate('openapiDocument', () => app.swagger() as unknown as Record<string, unknown>)
}, { name: 'openapi', dependencies: ['errors'] })
