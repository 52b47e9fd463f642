// Metrics are flushed in one place: the metrics plugin's onResponse hook, once per request, after
// everything the request recorded (route handlers, route hooks, the errors plugin).
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../app/app.js'
import { loadConfig } from '../../core/config.js'
import { BASE_TEST_ENV } from '../helpers/app.js'
import { capturedMetrics } from '../helpers/metrics.js'

t.test("no API code flushes metrics but the metrics plugin's hook", async (t) => {
  const flushing: string[] = []
  for (const dir of ['app', 'core', 'data', 'domain', 'plugins', 'routes']) {
    for (const name of readdirSync(new URL(`../../${dir}/`, import.meta.url), { recursive: true })) {
      const file = `${dir}/${String(name)}`
      if (!file.endsWith('.ts')) continue
      if (/\bmetrics\.flush\(\)/.test(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'))) {
        flushing.push(file)
      }
    }
  }
  t.same(flushing, ['plugins/metrics.ts'])
})

t.test('one flush per request, with what the handler, an onSend hook and the errors plugin recorded', async (t) => {
  const captured = capturedMetrics()
  let flushes = 0
  const sink = { add: captured.sink.add, flush: () => { flushes++; captured.sink.flush() } }
  const app: FastifyInstance = buildApp(loadConfig(BASE_TEST_ENV), { metrics: sink })
  t.teardown(() => app.close())
  app.register(async (scope) => {
    scope.get('/probe', {
      onSend: (_request, _reply, payload, done) => {
        scope.metrics.add('OrdersRefused', { Code: 'probe' }); done(
          null,
          payload
        )
      }
    }, async () => {
      scope.metrics.add('IdempotentReplays', {})
      throw new Error('boom')
    })
  })
  await app.ready()
  const res = await app.inject({ method: 'GET', url: '/probe' })
  t.equal(res.statusCode, 500)
  t.equal(flushes, 1, 'one flush')
  t.same(captured.metrics().map((m) => m.name).sort(), ['IdempotentReplays', 'OrdersRefused', 'ServerErrors'])
  await app.inject({ method: 'GET', url: '/probe-nothing-here' })
  t.equal(flushes, 2, 'an unmatched URL is flushed too')
})
