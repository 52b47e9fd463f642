// Baseline "floor": hello + a DynamoDBDocumentClient built at module scope, whose one route reads
// the item with GetItem. The framework and the DynamoDB client are what any such API must load;
// the API's cold start is judged against this.
import Fastify from 'fastify'
import awsLambdaFastify from '@fastify/aws-lambda'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'

const endpoint = process.env.DYNAMODB_ENDPOINT
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({
  region: process.env.AWS_REGION ?? 'us-east-1',
  ...(endpoint === undefined ? {} : { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } })
}))
const table = process.env.ITEMS_TABLE ?? 'items'

const app = Fastify()
app.get('/items/:itemId', async (request, reply) => {
  const { Item } = await ddb.send(
    new GetCommand({ TableName: table, Key: { id: (request.params as { itemId: string }).itemId } })
  )
  if (Item === undefined) return reply.code(404).send({ code: 'item_not_found' })
  return Item
})
const proxy = awsLambdaFastify(app, { decorateRequest: true })
await app.ready()

export const handler = proxy
