// Collects every route's TypeBox schema into an OpenAPI 3.1 document (@fastify/swagger). It must be
// registered before the routes it documents.
import fp from 'fastify-plugin'
import fastifySwagger from '@fastify/swagger'
import { ProblemSchema } from '../app/problem.js'

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

export default fp(async function openapiPlugin (app) {
  app.addSchema(ProblemSchema)
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { ...OPENAPI_INFO, version: app.config.version },
      tags: TAGS,
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Cognito id or access token from POST /signin' },
          partnerApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: "A partner's API key (warehouse or delivery)" }
        }
      }
    },
    // Shared schemas keep their $id as their name under components.schemas.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`)
    }
  })
}, { name: 'openapi', dependencies: ['errors'] })
