// CORS for shoppers' front ends: the allow-list comes from config (`*` only in local runs by default).
// The deployed HTTP API answers CORS itself with the same policy (infra/template.yaml's
// CorsConfiguration; test/unit/template.test.ts keeps the two equal), so there the plugin stands aside.
import fp from 'fastify-plugin'
import fastifyCors from '@fastify/cors'

export const CORS_POLICY = {
  methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
  allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-api-key', 'x-request-id'],
  // Front ends read these: the request id for support, Location of a new order, the replay marker
  // of an Idempotency-Key retry, what to do after a 401, 429 or 503, a catalog answer's ETag and
  // the budget left under a rate limit.
  exposedHeaders: ['x-request-id', 'x-client-request-id', 'location', 'idempotent-replayed', 'retry-after',
    'www-authenticate',
    'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'etag'],
  maxAge: 600
} as const

export default fp(async function corsPlugin (app) {
  // Deployed, API Gateway answers CORS and drops the function's CORS headers: no work per request.
  if (app.config.corsHandledBy === 'gateway') return
  const origins = app.config.corsOrigins
  await app.register(fastifyCors, {
    origin: origins === '*' ? '*' : origins,
    methods: [...CORS_POLICY.methods],
    allowedHeaders: [...CORS_POLICY.allowedHeaders],
    exposedHeaders: [...CORS_POLICY.exposedHeaders],
    maxAge: CORS_POLICY.maxAge,
    // An OPTIONS without Origin or Access-Control-Request-Method is not a preflight: answered 204
    // like one rather than @fastify/cors's plain-text 400 (every 4xx is a problem document).
    strictPreflight: false
  })
}, { name: 'cors' })
