import t from 'tap'
import Fastify from 'fastify'
import { Writable } from 'node:stream'
import { serverOptions } from '../../app/app.js'
import { loadConfig } from '../../app/config.js'

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
