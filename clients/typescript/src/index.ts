// @serverless-commerce/client: a typed client for the serverless-commerce API, on openapi-fetch,
// for browsers and Node.js 20+. Webhook verification (Node.js only) is in
// '@serverless-commerce/client/webhooks'.
export { createCommerceClient } from './commerce-client.js'
export type {
  CommerceApi,
  CommerceClient,
  CommerceClientOptions,
  PlaceOrderOptions,
  Tokens
} from './commerce-client.js'
export { createPartnerClient } from './partner-client.js'
export type { PartnerClient, PartnerClientOptions } from './partner-client.js'
export { CommerceProblem, isCommerceProblem, UNEXPECTED_RESPONSE } from './problem.js'
export type { ProblemCode } from './problem.js'
export { createRetryingFetch, retryAfterMs } from './transport.js'
export type { Fetch, RetryOptions, TransportOptions } from './transport.js'
export { newIdempotencyKey } from './idempotency-key.js'
export type { CallOptions } from './call.js'
export type * from './types.js'
export type { components, operations, paths } from './schema.js'
