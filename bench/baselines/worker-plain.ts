// Baseline for the worker: a plain handler that builds the same SDK clients the worker builds at
// init (EventBridge, SES, DynamoDB) and publishes each stream record's new image with one PutEvents.
// No Powertools, no idempotency, no dispatch: the cost of the clients alone.
import type { DynamoDBStreamEvent } from 'aws-lambda'
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { SESClient } from '@aws-sdk/client-ses'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { unmarshall } from '@aws-sdk/util-dynamodb'

const region = process.env.AWS_REGION ?? 'us-east-1'
const local = { accessKeyId: 'local', secretAccessKey: 'local' }
const options = (endpoint: string | undefined): { region: string } =>
  endpoint === undefined ? { region } : { region, endpoint, credentials: local } as { region: string }

const eventbridge = new EventBridgeClient(options(process.env.EVENTBRIDGE_ENDPOINT))
export const ses = new SESClient(options(process.env.SES_ENDPOINT))
export const dynamodb = new DynamoDBClient(options(process.env.DYNAMODB_ENDPOINT))

export const handler = async (event: DynamoDBStreamEvent): Promise<{
  batchItemFailures: Array<{ itemIdentifier: string }>
}> => {
  const entries = event.Records.map((r) => ({
    EventBusName: process.env.EVENT_BUS_NAME ?? 'commerce-local',
    Source: 'serverless-commerce.orders',
    DetailType: 'OrderPlaced',
    Detail: JSON.stringify(unmarshall(r.dynamodb?.NewImage as never))
  }))
  await eventbridge.send(new PutEventsCommand({ Entries: entries }))
  return { batchItemFailures: [] }
}
