// A DynamoDB document client with aws-sdk-client-mock on it, restored when the test ends: for the
// faults and answers DynamoDB Local can't be made to give on demand.
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'

export function mockedDocumentClient (t: { teardown: (fn: () => unknown) => void }): {
  ddb: DynamoDBDocumentClient
  mock: AwsClientStub<DynamoDBDocumentClient>
} {
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
  )
  const mock = mockClient(ddb)
  t.teardown(() => mock.restore())
  return { ddb, mock }
}
