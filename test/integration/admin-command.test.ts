// `npm run admin -- <email>` against cognito-local: an existing confirmed user (made with
// Cognito's own admin calls, whatever the API's sign-up flow does) joins the admin group, and
// their next sign-in carries it; unknown users, reruns and --remove say what happened.
import t from 'tap'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import {
  AdminConfirmSignUpCommand, CognitoIdentityProviderClient, InitiateAuthCommand, SignUpCommand
} from '@aws-sdk/client-cognito-identity-provider'
import { stackEnv } from '../helpers/stack.js'
import { secretHash } from '../../data/accounts.js'

const env = stackEnv()
const PASSWORD = 'Admin-Passw0rd'

async function admin (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', ...args], {
    env: { ...process.env, ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, timeout: 60_000
  }).then((r) => ({ code: 0, ...r }), (err: { code: number; stdout: string; stderr: string }) => err)
}

function groupsOf (idToken: string): unknown {
  return JSON.parse(Buffer.from(idToken.split('.')[1] as string, 'base64url').toString('utf8'))['cognito:groups']
}

t.test('npm run admin puts a signed-up user in the admin group; the next sign-in carries it', async (t) => {
  const cognito = new CognitoIdentityProviderClient({
    endpoint: env.COGNITO_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' }
  })
  t.teardown(() => cognito.destroy())
  const email = `admin-${randomBytes(4).toString('hex')}@example.com`
  // The app client is confidential: direct calls carry its SECRET_HASH.
  const SecretHash = secretHash(env.USER_POOL_CLIENT_SECRET as string, email, env.USER_POOL_CLIENT_ID as string)
  await cognito.send(new SignUpCommand({
    ClientId: env.USER_POOL_CLIENT_ID,
    SecretHash,
    Username: email,
    Password: PASSWORD,
    UserAttributes: [{ Name: 'email', Value: email }]
  }))
  await cognito.send(new AdminConfirmSignUpCommand({ UserPoolId: env.USER_POOL_ID, Username: email }))
  const signIn = async (): Promise<string> => (await cognito.send(new InitiateAuthCommand({
    ClientId: env.USER_POOL_CLIENT_ID,
    AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: email, PASSWORD, SECRET_HASH: SecretHash }
  }))).AuthenticationResult?.IdToken as string
  t.equal(groupsOf(await signIn()), undefined, 'not an admin yet')

  const added = await admin(email.toUpperCase())
  t.equal(added.code, 0, added.stderr)
  t.match(added.stdout, `${email} is now in the admin group`)
  t.match(added.stdout, 'Sign in again')
  t.same(groupsOf(await signIn()), ['admin'], 'a fresh token carries the group')
  t.match((await admin(email)).stdout, 'is already in the admin group', 'a rerun changes nothing')

  const removed = await admin(email, '--remove')
  t.match(removed.stdout, 'is no longer in the admin group')
  t.equal(groupsOf(await signIn()), undefined)

  const unknown = await admin('nobody-here@example.com')
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, 'no user nobody-here@example.com in the local pool')
  t.match(unknown.stderr, 'sign up first')
  const bad = await admin('not-an-email')
  t.equal(bad.code, 2)
  t.match(bad.stderr, 'usage: npm run admin -- <email>')
})
