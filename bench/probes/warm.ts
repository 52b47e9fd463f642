// Warm-throughput probe: one process, one bundle, invocations one after another (as Lambda sends
// them to a container) for a fixed time after a warm-up; AWS answered in memory. Events may carry
// `Bearer {{token}}`: the probe then serves a JWKS of its own and signs an id token for it.
//   node warm.mjs <bundle.mjs> <event.json> <durationMs>
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPairSync, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { answerAwsInMemory } from './in-memory-http.js'
import { fail, lambdaContext, report } from './result.js'

const [bundle, eventFile, durationArg] = process.argv.slice(2) as [string, string, string]
const WARM_UP = 300

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

/** A JWKS on a loopback port and an id token it verifies (what Cognito would issue). */
async function tokenIssuer (): Promise<string> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' }
  const server = createServer(
    (_req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ keys: [jwk] })) }
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  server.unref()
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/us-east-1_bench`
  process.env.COGNITO_ISSUER = issuer
  const now = Math.floor(Date.now() / 1000)
  const input = `${b64({ alg: 'RS256', kid: 'bench', typ: 'JWT' })}.${b64({
    sub: 'user-1',
iss: issuer,
aud: process.env.USER_POOL_CLIENT_ID,
token_use: 'id',
email: 'ada@example.com',
email_verified: true,
    'cognito:username': 'ada@example.com',
iat: now,
exp: now + 3600,
auth_time: now
  })}`
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url')}`
}

try {
  let raw = readFileSync(eventFile, 'utf8')
  if (raw.includes('{{token}}')) raw = raw.replace('{{token}}', await tokenIssuer())
  const event = JSON.parse(raw) as unknown
  answerAwsInMemory()
  const { handler } = await import(pathToFileURL(bundle).href) as {
    handler: (e: unknown, c: unknown) => Promise<{ statusCode: number, body?: string }>
  }
  // Between two invocations the Lambda runtime does I/O (it posts the answer and waits for the next
  // event), so the event loop turns and what a request left to setImmediate runs (light-my-request
  // ends its streams there). Invoked back to back in one chain of promises, those callbacks would
  // never run: every request's objects stay reachable and the heap grows by megabytes a second,
  // with the garbage collector's time in the measure. One turn of the loop per invocation, as in Lambda.
  const nextTurn = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }
  const invoke = async (): Promise<number> => {
    const { statusCode } = await handler(structuredClone(event), lambdaContext)
    await nextTurn()
    return statusCode
  }
  let status = 0
  for (let i = 0; i < WARM_UP; i++) status = await invoke()
  if (status >= 300) {
    const res = await handler(structuredClone(event), lambdaContext)
    throw new Error(`the event answered ${res.statusCode}: ${(res.body ?? '').slice(0, 300)}`)
  }
  const until = performance.now() + Number(durationArg)
  let n = 0
  const started = performance.now()
  while (performance.now() < until) { await invoke(); n++ }
  report({ perSecond: n / ((performance.now() - started) / 1000), invocations: n, status })
} catch (err) { fail(err) }
