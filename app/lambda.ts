// The API Lambda's handler: one Fastify app for every route, behind API Gateway (HTTP API payload
// 2.0, and REST API 1.0 proxy events). The app is built and made ready during init, so the first
// request pays only for itself.
import awsLambdaFastify from '@fastify/aws-lambda'
import { loadConfig } from './config.js'
import { buildApp } from './app.js'

const app = buildApp(loadConfig())
const proxy = awsLambdaFastify(app, {
  // `?q=a,b` is a search for "a,b", not a list.
  parseCommaSeparatedQueryParams: false,
  decorateRequest: true
})
await app.ready()

export const handler = proxy
