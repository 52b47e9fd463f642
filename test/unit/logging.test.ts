import t from 'tap'
import Fastify from 'fastify'
import { Writable } from 'node:stream'
import { appPlugin, serverOptions } from '../../app/app.js'
import { loadConfig } from '../../app/config.js'
import { BASE_TEST_ENV } from '../helpers/app.js'

t.test('secrets, passwords and tokens never reach the logs', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  const options = serverOptions(loadConfig({ USER_POOL_ID: 'p', USER_POOL_CLIENT_ID: 'c', LOG_FORMAT: 'json' }))
  const app = Fastify({ ...options, logger: { ...(options.logger as object), stream } })
  app.get('/x', async (request) => {
    request.log.info({ req: { headers: { authorization: 'Bearer SECRET-TOKEN', 'x-api-key': 'SECRET-KEY' } } }, 'headers')
    request.log.info({ body: { password: 'SECRET-PASSWORD', refreshToken: 'SECRET-REFRESH' }, user: { token: 'SECRET-T' } }, 'body')
    return { ok: true }
  })
  const res = await app.inject({ url: '/x', headers: { 'x-request-id': 'req-123' } })
  await app.close()
  t.equal(res.statusCode, 200)
  const all = lines.join('')
  t.notMatch(all, /SECRET/)
  t.match(all, /\[redacted\]/)
  t.match(all, /req-123/, 'the request id appears in the logs')
})

t.test('one access-log line per request: method, url, status, time and request id, no credentials', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  const config = loadConfig({ ...BASE_TEST_ENV, LOG_LEVEL: 'info', LOG_FORMAT: 'json' })
  const options = serverOptions(config)
  const app = Fastify({ ...options, logger: { ...(options.logger as object), stream } })
  await app.register(appPlugin, { config })
  const res = await app.inject({ url: '/items?category=BAD', headers: { authorization: 'Bearer SECRET-TOKEN', 'x-request-id': 'req-xyz' } })
  await app.close()
  t.equal(res.statusCode, 400)
  const entries = lines.map((l) => JSON.parse(l) as Record<string, any>).filter((e) => e.reqId === 'req-xyz')
  const access = entries.filter((e) => e.msg === 'request completed')
  t.equal(access.length, 1, 'one line')
  t.match(access[0], { level: 30, req: { method: 'GET', url: '/items?category=BAD' }, res: { statusCode: 400 } })
  t.type(access[0]?.responseTime, 'number')
  t.notOk(entries.some((e) => e.msg === 'incoming request'), "not Fastify's two lines")
  t.notMatch(lines.join(''), /SECRET/)
})
