// The embedded local stack: DynamoDB Local, cognito-local and the SES emulator, started together
// and stopped together. `npm start` runs it on fixed ports with data kept on disk; `npm test` on
// free ports in memory, so two runs can share a machine.
import { join } from 'node:path'
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { startDynamoDbLocal, type DynamoDbLocal } from './emulators/dynamodb.js'
import { startCognitoLocal, type CognitoLocal } from './emulators/cognito.js'
import { startSesLocal, type SesLocal } from './emulators/ses.js'
import { reservePort } from './emulators/process.js'

export interface StackOptions {
  /** Keep data in this folder across restarts; undefined runs DynamoDB in memory. */
  dataDir?: string
  /** Fixed ports; 0 (the default) picks free ones. */
  ports?: { dynamodb?: number; cognito?: number; ses?: number }
  host?: string
}

export interface Stack {
  /** The environment variables that point the app, the worker and the tests at the emulators. */
  env: Record<string, string>
  endpoints: { dynamodb: string; cognito: string; ses: string }
  stop: () => Promise<void>
}

export const LOCAL_SDK_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1'
}

export async function startStack (opts: StackOptions = {}): Promise<Stack> {
  const host = opts.host ?? '127.0.0.1'
  const [dynamodbPort, cognitoPort, sesPort] = await Promise.all([
    reservePort('DynamoDB Local', opts.ports?.dynamodb ?? 0, host, 'choose another with DYNAMODB_PORT=<n>'),
    reservePort('cognito-local', opts.ports?.cognito ?? 0, host, 'choose another with COGNITO_PORT=<n>'),
    reservePort('the SES emulator', opts.ports?.ses ?? 0, host, 'choose another with SES_PORT=<n>')
  ])
  // cognito-local always writes to disk: a kept folder, or a temporary one removed at stop.
  const cognitoDir = opts.dataDir !== undefined
    ? join(opts.dataDir, 'cognito')
    : mkdtempSync(join(tmpdir(), 'cognito-local-'))
  const dynamoDir = opts.dataDir !== undefined ? join(opts.dataDir, 'dynamodb') : undefined
  if (dynamoDir !== undefined) mkdirSync(dynamoDir, { recursive: true })

  const started = await Promise.allSettled([
    startDynamoDbLocal({ port: dynamodbPort, host, dataDir: dynamoDir }),
    // Its codes go to the SES emulator's mailbox, as Cognito mails them through SES when deployed.
    startCognitoLocal({ port: cognitoPort, host, dataDir: cognitoDir, sesEndpoint: `http://${host}:${sesPort}` }),
    startSesLocal({ port: sesPort, host })
  ])
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.flatMap((s) => (s.status === 'fulfilled' ? [s.value.stop()] : [])))
    if (opts.dataDir === undefined) rmSync(cognitoDir, { recursive: true, force: true })
  }
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (failed !== undefined) {
    await stopAll()
    throw failed.reason
  }
  const [dynamodb, cognito, ses] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as
    [DynamoDbLocal, CognitoLocal, SesLocal]
  return {
    env: {
      ...LOCAL_SDK_ENV,
      DYNAMODB_ENDPOINT: dynamodb.endpoint,
      COGNITO_ENDPOINT: cognito.endpoint,
      SES_ENDPOINT: ses.endpoint,
      USER_POOL_ID: cognito.userPoolId,
      USER_POOL_CLIENT_ID: cognito.clientId,
      // The app client is confidential, as deployed: the API signs its calls with this (SECRET_HASH).
      USER_POOL_CLIENT_SECRET: cognito.clientSecret
    },
    endpoints: { dynamodb: dynamodb.endpoint, cognito: cognito.endpoint, ses: ses.endpoint },
    stop: stopAll
  }
}
