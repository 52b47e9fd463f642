import t from 'tap'
import Fastify from 'fastify'
import { Writable } from 'node:stream'
import { appPlugin, serverOptions } from '../../app/app.js'
import { loadConfig } from '../../core/config.js'
import { BASE_TEST_ENV } from '../helpers/app.js'

t.test('secrets, passwords and tokens never reach the logs', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  const options = serverOptions(loadConfig({ USER_POOL_ID: 'p', USER_POOL_CLIENT_ID: 'c', LOG_FORMAT: 'json' }))
  const app = Fastify({ ...options, logger: { ...(options.logger as object), stream } })
  app.addHook('onSend', async (request, reply) => { reply.header('x-request-id', request.id) })
  app.get('/x', async (request) => {
    request.log.info(
      { req: { headers: { authorization: 'Bearer SECRET-TOKEN', 'x-api-key': 'SECRET-KEY' } } },
      'headers'
    )
    request.log.info(
      { body: { password: 'SECRET-PASSWORD', refreshToken: 'SECRET-REFRESH' }, user: { token: 'SECRET-T' } },
      'body'
    )
    return { ok: true }
  })
  const res = await app.inject({ url: '/x' })
  await app.close()
  t.equal(res.statusCode, 200)
  const all = lines.join('')
  t.notMatch(all, /SECRET/)
  t.match(all, /\[redacted\]/)
  t.match(all, String(res.headers['x-request-id']), 'the request id appears in the logs')
})

t.test('one access-log line per request: method, url, status, time and request id, no credentials', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  const config = loadConfig({ ...BASE_TEST_ENV, LOG_LEVEL: 'info', LOG_FORMAT: 'json' })
  const options = serverOptions(config)
  const app = Fastify({ ...options, logger: { ...(options.logger as object), stream } })
  await app.register(appPlugin, { config })
  const res = await app.inject({ url: '/items?category=BAD', headers: { authorization: 'Bearer SECRET-TOKEN' } })
  await app.close()
  t.equal(res.statusCode, 401, 'the token is checked first (onRequest), before the query')
  const entries = lines.map((l) => JSON.parse(l) as Record<string, any>).filter((e) =>
    e.reqId === res.headers['x-request-id'])
  const access = entries.filter((e) => e.msg === 'request completed')
  t.equal(access.length, 1, 'one line')
  t.match(access[0], { level: 30, req: { method: 'GET', url: '/items?category=BAD' }, res: { statusCode: 401 } })
  t.type(access[0]?.responseTime, 'number')
  t.notOk(entries.some((e) => e.msg === 'incoming request'), "not Fastify's two lines")
  t.notMatch(lines.join(''), /SECRET/)
})

t.test('ACCESS_LOG=off (the deployed API): no line for a good request, errors still logged with the request id', async (
  t
) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  const config = loadConfig({ ...BASE_TEST_ENV, LOG_LEVEL: 'info', LOG_FORMAT: 'json', ACCESS_LOG: 'off' })
  t.equal(config.accessLog, false)
  const options = serverOptions(config)
  const app = Fastify({ ...options, logger: { ...(options.logger as object), stream } })
  app.addHook('onSend', async (request, reply) => { reply.header('x-request-id', request.id) })
  app.get('/fine', async () => ({ ok: true }))
  app.get('/broken', async () => { throw new Error('boom') })
  const fine = await app.inject({ url: '/fine' })
  const broken = await app.inject({ url: '/broken' })
  await app.close()
  t.equal(fine.statusCode, 200)
  t.equal(broken.statusCode, 500)
  const entries = lines.map((l) => JSON.parse(l) as Record<string, any>)
  t.same(entries.filter((e) => e.reqId === fine.headers['x-request-id']), [], 'nothing for a good request')
  const errors = entries.filter((e) => e.reqId === broken.headers['x-request-id'])
  t.ok(errors.length >= 1, 'the failed request is logged')
  t.ok(errors.every((e) => e.level >= 50), 'at error level')
  t.notOk(entries.some((e) => e.msg === 'request completed'))
})

t.test("a request's logger is made on its first line and carries the request id; disabled levels make " +
  'none', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  const config = loadConfig({ ...BASE_TEST_ENV, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ACCESS_LOG: 'off' })
  const options = serverOptions(config)
  const app = Fastify({ ...options, logger: { ...(options.logger as object), stream } })
  app.addHook('onSend', async (request, reply) => { reply.header('x-request-id', request.id) })
  app.get('/x', async (request) => {
    request.log.debug('not written')
    request.log.info({ token: 'SECRET' }, 'not written either')
    t.equal(request.log.level, 'warn', 'level read without making the child')
    t.equal((request.log as unknown as { isLevelEnabled: (l: string) => boolean }).isLevelEnabled('info'), false)
    request.log.warn({ user: { token: 'SECRET-T' }, detail: 'x' }, 'written')
    request.log.child({ step: 'two' }).error('from a child')
    return { ok: true }
  })
  const res = await app.inject({ url: '/x' })
  await app.close()
  t.equal(res.statusCode, 200)
  const reqId = res.headers['x-request-id']
  const entries = lines.map((l) => JSON.parse(l) as Record<string, any>)
  t.same(entries.map((e) => e.msg), ['written', 'from a child'])
  t.match(entries[0], { level: 40, reqId, user: { token: '[redacted]' }, detail: 'x' })
  t.match(entries[1], { level: 50, reqId, step: 'two' })
  t.notMatch(lines.join(''), /SECRET/)
})

// The log line's request id is API Gateway's; a client's id is its own field.
t.test("behind API Gateway the logs carry its request id, and a client's id only as clientRequestId", async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  const config = loadConfig({ ...BASE_TEST_ENV, LOG_LEVEL: 'info', LOG_FORMAT: 'json' })
  const options = serverOptions(config, { requestIdFromGateway: true })
  const app = Fastify({ ...options, logger: { ...(options.logger as object), stream } })
  await app.register(appPlugin, { config, deps: { requestIdFromGateway: true } })
  // As the Lambda handler passes a request: API Gateway's id as x-request-id, the caller's moved apart.
  const res = await app.inject({
    url: '/nope',
    headers: { 'x-request-id': 'apigw-1', 'x-client-request-id': 'client-1' }
  })
  await app.close()
  t.equal(res.headers['x-request-id'], 'apigw-1')
  const entries = lines.map((l) => JSON.parse(l) as Record<string, any>)
  t.ok(entries.length > 0)
  for (const e of entries) t.match(e, { reqId: 'apigw-1', clientRequestId: 'client-1' }, e.msg)
  t.notOk(entries.some((e) => e.reqId === 'client-1'))
})
