// GET /health: the version and whether each dependency answers. Always 200 while the app itself
// runs, so a load balancer does not take the API down because one dependency is slow.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ref } from '../core/http-schemas.js'
import { Type } from '@sinclair/typebox'
import { GetCommand } from '@aws-sdk/lib-dynamodb'

const Dependency = Type.Object({
  ok: Type.Boolean(),
  latencyMs: Type.Integer(),
  error: Type.Optional(Type.String({ description: 'A short reason, never an AWS error text' }))
})

export const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  version: Type.String(),
  stage: Type.String(),
  dependencies: Type.Record(Type.String(), Dependency)
}, {
  $id: 'Health',
  description: 'Service health',
  examples: [{
    status: 'ok',
    version: '0.1.0',
    stage: 'dev',
    dependencies: {
      itemsTable: { ok: true, latencyMs: 4 },
      ordersTable: { ok: true, latencyMs: 3 },
      cognito: { ok: true, latencyMs: 12 }
    }
  }]
})

const CHECK_TIMEOUT_MS = 2000

async function timed (check: (signal: AbortSignal) => Promise<unknown>): Promise<{
  ok: boolean
  latencyMs: number
  error?: string
}> {
  const started = performance.now()
  const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS)
  try {
    await check(signal)
    return { ok: true, latencyMs: Math.round(performance.now() - started) }
  } catch (err) {
    const timedOut = signal.aborted
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      error: timedOut ? 'timeout' : 'unreachable'
    }
  }
}

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', {
    schema: {
      operationId: 'getHealth',
      tags: ['operations'],
      summary: 'Service health',
      description: 'Answers 200 with the version and whether DynamoDB and Cognito are reachable.',
      security: [],
      response: { 200: ref(Health) }
    }
  }, async () => {
    const { ddb, } = app.aws
    const { tables, cognito } = app.config
    // A GetItem of a key that never exists: the same permission the routes use, no DescribeTable.
    const probeTable = (table: string) => async (abortSignal: AbortSignal) =>
      ddb.send(new GetCommand({ TableName: table, Key: { id: '__health__' } }), { abortSignal })
    const [items, orders, cognitoCheck] = await Promise.all([
      timed(probeTable(tables.items)),
      timed(probeTable(tables.orders)),
      timed(async (signal) => {
        const res = await fetch(`${cognito.issuer}/.well-known/jwks.json`, { signal })
        if (!res.ok) throw new Error(`status ${res.status}`)
        await res.arrayBuffer()
      })
    ])
    const dependencies = { itemsTable: items, ordersTable: orders, cognito: cognitoCheck }
    const ok = Object.values(dependencies).every((d) => d.ok)
    return {
      status: ok ? 'ok' as const : 'degraded' as const,
      version: app.config.version,
      stage: app.config.stage,
      dependencies
    }
  })
}

export default health
