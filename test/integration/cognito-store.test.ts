// Local accounts survive concurrent signups, a restart
// and a kill -9, and a store that cannot be read is reported with what to do. Each test runs its
// own cognito-local on a kept folder (as `npm start` does), beside the test runner's.
import t from 'tap'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import {
  CognitoIdentityProviderClient,
  ListUsersCommand,
  SignUpCommand
} from '@aws-sdk/client-cognito-identity-provider'
import { secretHash } from '../../data/accounts.js'
import { CognitoStoreError, startCognitoLocal, type CognitoLocal } from '../../local/emulators/cognito.js'
import { reservePort } from '../../local/emulators/process.js'
import { stackEnv } from '../helpers/stack.js'

const PASSWORD = 'Correct-Horse-1'

interface Teardown { teardown: (fn: () => unknown) => void }

async function start (t: Teardown, dataDir: string): Promise<{
  cognito: CognitoLocal
  client: CognitoIdentityProviderClient
}> {
  const cognito = await startCognitoLocal({
    port: await reservePort('cognito-local'),
    dataDir,
    sesEndpoint: stackEnv().SES_ENDPOINT
  })
  t.teardown(cognito.stop)
  const client = new CognitoIdentityProviderClient({
    endpoint: cognito.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1
  })
  t.teardown(() => { client.destroy() })
  return { cognito, client }
}

async function emailsIn (client: CognitoIdentityProviderClient, userPoolId: string): Promise<string[]> {
  const res = await client.send(new ListUsersCommand({ UserPoolId: userPoolId }))
  return (res.Users ?? []).map((u) => u.Attributes?.find((a) => a.Name === 'email')?.Value ?? '').sort()
}

// The app client is confidential: a direct call carries its SECRET_HASH, as the API's do.
const signUp = (client: CognitoIdentityProviderClient, app: { clientId: string; clientSecret: string },
  email: string) =>
  client.send(new SignUpCommand({
    ClientId: app.clientId,
    SecretHash: secretHash(app.clientSecret, email, app.clientId),
    Username: email,
    Password: PASSWORD,
    UserAttributes: [{ Name: 'email', Value: email }]
  }))

function tempDir (t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'cognito-store-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

t.test('20 concurrent signups, then a restart: every account is there', async (t) => {
  const dir = tempDir(t)
  const first = await start(t, dir)
  const emails = Array.from({ length: 20 }, (_, i) => `launch-${i}-${randomUUID().slice(0, 6)}@example.com`)
  const results = await Promise.allSettled(emails.map((e) => signUp(first.client, first.cognito, e)))
  t.same(results.filter((r) => r.status === 'rejected'), [], 'all 20 accepted')
  await first.cognito.stop()

  const second = await start(t, dir)
  t.equal(second.cognito.userPoolId, first.cognito.userPoolId, 'the same pool')
  t.same(
    await emailsIn(second.client, second.cognito.userPoolId),
    [...emails].sort(),
    'all 20 accounts after the restart'
  )
})

t.test('a kill -9 in the middle of concurrent signups loses no acknowledged account and leaves a readable ' +
  'store', async (t) => {
  const dir = tempDir(t)
  const first = await start(t, dir)
  const acknowledged: string[] = []
  const emails = Array.from({ length: 40 }, (_, i) => `crash-${i}-${randomUUID().slice(0, 6)}@example.com`)
  const calls = emails.map(async (e) => { await signUp(first.client, first.cognito, e); acknowledged.push(e) })
  // Kill it once some signups are answered and others are still being written.
  const deadline = Date.now() + 20_000
  while (acknowledged.length < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
  first.cognito.child.process.kill('SIGKILL')
  await Promise.allSettled(calls)
  await first.cognito.stop()
  t.ok(acknowledged.length >= 5, `${acknowledged.length} signups answered before the kill`)

  const second = await start(t, dir)
  const kept = await emailsIn(second.client, second.cognito.userPoolId)
  t.same(acknowledged.filter((e) => !kept.includes(e)), [], 'every answered signup survived the kill')
  t.notOk(readdirSync(join(dir, '.cognito', 'db')).some((f) => f.endsWith('.tmp')), 'no temporary file left behind')
})

t.test('a store that cannot be read stops the start with what to do, not a stack trace', async (t) => {
  const dir = tempDir(t)
  const first = await start(t, dir)
  await first.cognito.stop()
  const poolFile = join(dir, '.cognito', 'db', `${first.cognito.userPoolId}.json`)
  // What overlapping writes used to leave: a whole document followed by the tail of a longer one.
  writeFileSync(poolFile, '{ "Users": {} }\n  } }\n}')
  const err = await startCognitoLocal({
    port: await reservePort('cognito-local'),
    dataDir: dir,
    sesEndpoint: stackEnv().SES_ENDPOINT
  })
    .then((c) => { t.teardown(c.stop); return undefined }, (e: unknown) => e)
  t.ok(err instanceof CognitoStoreError, 'a CognitoStoreError')
  const message = (err as Error).message
  t.match(message, `${first.cognito.userPoolId}.json`, 'names the file')
  t.match(message, 'npm start -- --reset', 'says what to do')
  t.notMatch(message, /\n\s+at /, 'no stack trace')
})
