// With the edge on, the HTTP API's own URL must not be a way around CloudFront and WAF: the Lambda
// handler's gate refuses API Gateway events that lack the edge's secret header, before the app.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { createEdgeGate } from '../../app/edge-gate.js'
import { createSecretStore } from '../../core/secret-store.js'
import { Problem } from '../../core/problem.js'
import type { SecretStore } from '../../plugins/secrets.js'

const SECRET = 'edge-secret-0123456789abcdef'
const event = (headers: Record<string, string>): unknown => {
  const e = JSON.parse(readFileSync(new URL('../../events/http-get-item.json', import.meta.url), 'utf8'))
  e.headers = { ...e.headers, ...headers }
  return e
}
const store = createSecretStore(async () => { throw new Error('no Secrets Manager in this test') }, 300)

t.test('the edge on: a request without the edge secret is refused 403 edge_required; with it, let through',
  async (t) => {
    const gate = createEdgeGate(store, { value: SECRET })
    t.equal(await gate(event({ 'x-edge-secret': SECRET })), undefined, 'through CloudFront: let through')
    for (const [name, headers] of [['no header', {}], ['a wrong secret', { 'x-edge-secret': 'guessed' }],
      ['a prefix', { 'x-edge-secret': SECRET.slice(0, 10) }]] as const) {
      const refused = await gate(event(headers))
      t.equal(refused?.statusCode, 403, `${name}: refused (the default execute-api URL)`)
      t.equal(refused?.headers['content-type'], 'application/problem+json')
      t.match(JSON.parse(refused?.body ?? '{}'),
        { status: 403, code: 'edge_required', title: 'Forbidden', requestId: String })
    }
  })

t.test('the edge off: every request goes through', async (t) => {
  t.equal(await createEdgeGate(store, undefined)(event({})), undefined)
})

t.test('an unreadable edge secret answers the secret store\'s 503, never lets the request through', async (t) => {
  const failing: SecretStore = {
    get: async () => {
      throw new Problem(503, 'dependency_unavailable', 'A dependency is unavailable; retry shortly',
        {}, { 'retry-after': '5' })
    },
    getJson: async () => { throw new Error('unused') }
  }
  const refused = await createEdgeGate(failing,
    { secretArn: 'arn:aws:secretsmanager:us-east-1:1:secret:edge' })(event({ 'x-edge-secret': SECRET }))
  t.equal(refused?.statusCode, 503)
  t.equal(refused?.headers['retry-after'], '5')
})
