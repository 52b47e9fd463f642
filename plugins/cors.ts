// CORS for shoppers' front ends: the allow-list comes from config (`*` only in local runs by default).
import fp from 'fastify-plugin'
import fastifyCors from '@fastify/cors'

export default fp(async function corsPlugin (app) {
  const origins = app.config.corsOrigins
  await app.register(fastifyCors, {
    origin: origins === '*' ? '*' : origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-api-key', 'x-request-id'],
    exposedHeaders: ['x-request-id', 'retry-after', 'www-authenticate'],
    maxAge: 600
  })
}, { name: 'cors' })
