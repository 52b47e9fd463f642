// The Cognito emulator cognito-local, as a child process with a folder of its own (it keeps its
// pools in <dir>/.cognito), and the user pool, app client and admin group the app expects.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { mkdirSync } from 'node:fs'
import {
  CognitoIdentityProviderClient, CreateGroupCommand, CreateUserPoolClientCommand, CreateUserPoolCommand,
  ListUserPoolClientsCommand, ListUserPoolsCommand
} from '@aws-sdk/client-cognito-identity-provider'
import { startChild, waitUntilReady, type Child } from './process.js'

export const LOCAL_POOL_NAME = 'serverless-commerce-local'
export const LOCAL_CLIENT_NAME = 'serverless-commerce-web'

export interface CognitoLocal {
  endpoint: string
  userPoolId: string
  clientId: string
  child: Child
  stop: () => Promise<void>
}

function binPath (): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('cognito-local/package.json')), 'lib', 'bin', 'start.js')
}

/** The pool and client, created once and found again when the data folder is kept. */
export async function ensurePool (client: CognitoIdentityProviderClient): Promise<{ userPoolId: string; clientId: string }> {
  const pools = await client.send(new ListUserPoolsCommand({ MaxResults: 60 }))
  let userPoolId = pools.UserPools?.find((p) => p.Name === LOCAL_POOL_NAME)?.Id
  if (userPoolId === undefined) {
    const created = await client.send(new CreateUserPoolCommand({
      PoolName: LOCAL_POOL_NAME,
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      // The same policy as infra/template.yaml; cognito-local does not enforce it, the API does.
      Policies: { PasswordPolicy: { MinimumLength: 8, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: false } }
    }))
    userPoolId = created.UserPool?.Id as string
    await client.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: 'admin', Description: 'Catalog administrators' }))
  }
  const clients = await client.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }))
  let clientId = clients.UserPoolClients?.find((c) => c.ClientName === LOCAL_CLIENT_NAME)?.ClientId
  if (clientId === undefined) {
    const created = await client.send(new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: LOCAL_CLIENT_NAME,
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']
    }))
    clientId = created.UserPoolClient?.ClientId as string
  }
  return { userPoolId, clientId }
}

export async function startCognitoLocal (opts: { port: number; host?: string; dataDir: string }): Promise<CognitoLocal> {
  const host = opts.host ?? '127.0.0.1'
  mkdirSync(opts.dataDir, { recursive: true })
  const child = startChild('cognito-local', process.execPath, [binPath()], {
    cwd: opts.dataDir,
    env: {
      PATH: process.env.PATH,
      HOST: host,
      PORT: String(opts.port),
      AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
      NODE_NO_WARNINGS: '1'
    }
  })
  const endpoint = `http://${host}:${opts.port}`
  const client = new CognitoIdentityProviderClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 })
  try {
    await waitUntilReady(child, () => client.send(new ListUserPoolsCommand({ MaxResults: 1 })), 30000)
    const { userPoolId, clientId } = await ensurePool(client)
    return { endpoint, userPoolId, clientId, child, stop: child.stop }
  } catch (err) {
    await child.stop()
    throw err
  } finally {
    client.destroy()
  }
}
