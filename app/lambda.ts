// The API Lambda's handler: one Fastify app for every route, behind API Gateway (HTTP API payload
// 2.0, and REST API 1.0 proxy events). The app is built and made ready during init, so the first
// request pays only for itself. The bundle carries the OpenAPI document prebuilt beside it
// (scripts/build.ts), read on the first request for it; run from source, the app builds it.
import awsLambdaFastify from '@fastify/aws-lambda'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from './config.js'
import { buildApp } from './app.js'
import { PREBUILT_OPENAPI_FILE } from './openapi-document.js'

const prebuilt = join(dirname(fileURLToPath(import.meta.url)), PREBUILT_OPENAPI_FILE)
const app = buildApp(loadConfig(), existsSync(prebuilt)
  ? { openapiDocument: () => JSON.parse(readFileSync(prebuilt, 'utf8')) as Record<string, unknown> }
  : {})
const proxy = awsLambdaFastify(app, {
  // `?q=a,b` is a search for "a,b", not a list.
  parseCommaSeparatedQueryParams: false,
  decorateRequest: true
})
await app.ready()

export const handler = proxy
