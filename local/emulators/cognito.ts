// The Cognito emulator cognito-local, as a child process with a folder of its own (it keeps its
// pools in <dir>/.cognito), run through cognito-server.ts: its store written safely, its codes
// mailed to the SES emulator, and the operations it lacks made to behave as AWS does. The user
// pool, app client and admin group are the template's.
import { fileURLToPath } from 'node:url'
import { mkdirSync } from 'node:fs'
import {
  AddCustomAttributesCommand, CognitoIdentityProviderClient, CreateGroupCommand, CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DeleteUserPoolClientCommand, DescribeUserPoolClientCommand, DescribeUserPoolCommand, ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  type CreateUserPoolCommandInput, type SchemaAttributeType
} from '@aws-sdk/client-cognito-identity-provider'
import { loadTemplate } from '../../infra/template.js'
import { startChild, waitUntilReady, type Child } from './process.js'
import { CognitoStoreError, STORE_UNREADABLE_EXIT, checkCognitoStore } from './cognito-store.js'

export { CognitoStoreError } from './cognito-store.js'

export const LOCAL_POOL_NAME = 'serverless-commerce-local'
export const LOCAL_CLIENT_NAME = 'serverless-commerce-web'

export interface CognitoLocal {
  endpoint: string
  userPoolId: string
  clientId: string
  /** The app client's secret (the template's GenerateSecret: true), for SECRET_HASH. */
  clientSecret: string
  child: Child
  stop: () => Promise<void>
}

const SERVER = fileURLToPath(new URL('./cognito-server.ts', import.meta.url))

/** The user pool's and app client's settings from infra/template.yaml (those without intrinsics). */
export function templatePool (): { pool: Partial<CreateUserPoolCommandInput>; client: Record<string, unknown> } {
  const { Resources } = loadTemplate()
  const p = Resources.UserPool?.Properties ?? {}
  const c = Resources.UserPoolClient?.Properties ?? {}
  return {
    pool: {
      UsernameAttributes: p.UsernameAttributes,
      AutoVerifiedAttributes: p.AutoVerifiedAttributes,
      Policies: p.Policies,
      Schema: p.Schema,
      VerificationMessageTemplate: p.VerificationMessageTemplate,
      UserAttributeUpdateSettings: p.UserAttributeUpdateSettings,
      AccountRecoverySetting: p.AccountRecoverySetting
    },
    client: {
      GenerateSecret: c.GenerateSecret,
      ExplicitAuthFlows: c.ExplicitAuthFlows,
      PreventUserExistenceErrors: c.PreventUserExistenceErrors,
      EnableTokenRevocation: c.EnableTokenRevocation,
      WriteAttributes: c.WriteAttributes
    }
  }
}

/** The pool and client, created once and found again when the data folder is kept. */
export async function ensurePool (
  client: CognitoIdentityProviderClient
): Promise<{ userPoolId: string; clientId: string; clientSecret: string }> {
  const definition = templatePool()
  const pools = await client.send(new ListUserPoolsCommand({ MaxResults: 60 }))
  let userPoolId = pools.UserPools?.find((p) => p.Name === LOCAL_POOL_NAME)?.Id
  if (userPoolId === undefined) {
    const created = await client.send(new CreateUserPoolCommand({ PoolName: LOCAL_POOL_NAME, ...definition.pool }))
    userPoolId = created.UserPool?.Id as string
    await client.send(
      new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: 'admin', Description: 'Catalog administrators' })
    )
  } else {
    // A pool kept from before a custom attribute was added to the template gets it now.
    const { UserPool } = await client.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }))
    const have = new Set((UserPool?.SchemaAttributes ?? []).map((a) => a.Name))
    const missing = (definition.pool.Schema ?? []).filter((a: SchemaAttributeType) =>
      !have.has(`custom:${a.Name ?? ''}`))
    if (missing.length > 0) {
      await client.send(new AddCustomAttributesCommand({ UserPoolId: userPoolId, CustomAttributes: missing }))
    }
  }
  const clients = await client.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60 }))
  let clientId = clients.UserPoolClients?.find((c) => c.ClientName === LOCAL_CLIENT_NAME)?.ClientId
  let clientSecret: string | undefined
  if (clientId !== undefined) {
    const kept = await client.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }))
    clientSecret = kept.UserPoolClient?.ClientSecret
    // A client kept from before the template's was confidential is made again, with a secret.
    if (clientSecret === undefined) {
      await client.send(new DeleteUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }))
      clientId = undefined
    }
  }
  if (clientId === undefined) {
    const created = await client.send(
      new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: LOCAL_CLIENT_NAME, ...definition.client })
    )
    clientId = created.UserPoolClient?.ClientId as string
    clientSecret = created.UserPoolClient?.ClientSecret
  }
  if (clientSecret === undefined) throw new Error('cognito-local made the app client without a secret')
  return { userPoolId, clientId, clientSecret }
}

export interface CognitoLocalOptions {
  port: number
  host?: string
  dataDir: string
  /** The SES emulator the codes are mailed to. */
  sesEndpoint: string
  /** The From address of those mails (the local SES_FROM by default). */
  mailFrom?: string
}

export async function startCognitoLocal (opts: CognitoLocalOptions): Promise<CognitoLocal> {
  const host = opts.host ?? '127.0.0.1'
  mkdirSync(opts.dataDir, { recursive: true })
  // A kept store that cannot be read stops here, with what to do (CognitoStoreError).
  checkCognitoStore(opts.dataDir)
  const child = startChild('cognito-local', process.execPath, ['--import', import.meta.resolve('tsx'), SERVER], {
    cwd: opts.dataDir,
    env: {
      PATH: process.env.PATH,
      HOST: host,
      PORT: String(opts.port),
      SES_ENDPOINT: opts.sesEndpoint,
      MAIL_FROM: opts.mailFrom ?? 'orders@serverless-commerce.local',
      ...(process.env.CODE !== undefined ? { CODE: process.env.CODE } : {}),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      NODE_NO_WARNINGS: '1'
    }
  })
  const endpoint = `http://${host}:${opts.port}`
  const client = new CognitoIdentityProviderClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1
  })
  try {
    await waitUntilReady(child, () => client.send(new ListUserPoolsCommand({ MaxResults: 1 })), 30000)
    const { userPoolId, clientId, clientSecret } = await ensurePool(client)
    return { endpoint, userPoolId, clientId, clientSecret, child, stop: child.stop }
  } catch (err) {
    await child.stop()
    if (child.process.exitCode === STORE_UNREADABLE_EXIT) {
      throw new CognitoStoreError(opts.dataDir, 'reported by cognito-local', child.output())
    }
    throw err
  } finally {
    client.destroy()
  }
}
