// AWS SDK clients, created once per process (per Lambda container). DynamoDB serves nearly every
// route, so its client is built eagerly; the clients only a few routes need (Cognito for signup and
// signin, Secrets Manager, EventBridge, SES) are imported on first use, which keeps their code off
// the Lambda's cold start.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider'
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge'
import type { Config } from './config.js'
import { clientOptions, once } from './aws-options.js'
import { createSesClient, type SESClient } from './ses.js'

export interface AwsClients {
  ddb: DynamoDBDocumentClient
  cognito: () => Promise<CognitoIdentityProviderClient>
  secrets: () => Promise<SecretsManagerClient>
  eventbridge: () => Promise<EventBridgeClient>
  ses: () => Promise<SESClient>
}

export { clientOptions, once } from './aws-options.js'

/** Wraps each client as it is made: X-Ray tracing of its calls (core/tracing.ts), or nothing. */
export type ClientInstrument = <T>(client: T) => T
const asIs: ClientInstrument = (client) => client

export function createDocumentClient (config: Config, instrument: ClientInstrument = asIs): DynamoDBDocumentClient {
  const base = instrument(new DynamoDBClient(clientOptions(config, config.endpoints.dynamodb)))
  return DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } })
}

export function createAwsClients (
  config: Config,
  overrides: Partial<AwsClients> = {},
  instrument: ClientInstrument = asIs
): AwsClients {
  return {
    ddb: overrides.ddb ?? createDocumentClient(config, instrument),
    cognito: overrides.cognito ?? once(async () => {
      const { CognitoIdentityProviderClient } = await import('@aws-sdk/client-cognito-identity-provider')
      return instrument(new CognitoIdentityProviderClient(clientOptions(config, config.endpoints.cognito)))
    }),
    secrets: overrides.secrets ?? once(async () => {
      const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager')
      return instrument(new SecretsManagerClient(clientOptions(config, config.endpoints.secretsManager)))
    }),
    eventbridge: overrides.eventbridge ?? once(async () => {
      const { EventBridgeClient } = await import('@aws-sdk/client-eventbridge')
      return instrument(new EventBridgeClient(clientOptions(config, config.endpoints.eventbridge)))
    }),
    ses: overrides.ses ?? once(async () => {
      return instrument(await createSesClient(clientOptions(config, config.endpoints.ses)))
    })
  }
}
