// The OpenAPI document, generated from the route schemas by @fastify/swagger with the app built as
// it runs (scripts/build.ts writes it beside the API bundle as openapi.json, which app/lambda.ts
// serves instead of building it at init). The document does not depend on the environment beyond
// the version: the fixed settings below only let the app build.
import { buildApp } from '../app.js'
import { loadConfig } from '../../core/config.js'

export const PREBUILT_OPENAPI_FILE = 'openapi.json'

export async function generateOpenApiDocument (version: string): Promise<string> {
  const app = buildApp(loadConfig({
    STAGE: 'test',
    LOG_LEVEL: 'silent',
    APP_VERSION: version,
    USER_POOL_ID: 'us-east-1_openapi',
    USER_POOL_CLIENT_ID: 'openapi'
  }))
  try {
    await app.ready()
    return JSON.stringify(app.openapiDocument())
  } finally {
    await app.close()
  }
}
