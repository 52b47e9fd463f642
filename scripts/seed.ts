// `npm run seed`: loads the sample catalog (data/seed-catalog.ts).
//   npm run seed                                   local DynamoDB (http://localhost:8000, table "items")
//   npm run seed -- --endpoint http://localhost:8001 --table items
//   npm run seed -- --table prod-ItemsTable-ABC --region eu-west-1   a deployed table (your AWS credentials)
// Existing items with the same ids are overwritten; --only-if-empty leaves a non-empty table alone.
import { parseArgs } from 'node:util'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { seedCatalog } from '../data/seed-catalog.js'

const USAGE = 'usage: npm run seed -- [--table NAME --region REGION] [--endpoint URL] [--only-if-empty]'
const LOCAL_ENDPOINT = 'http://localhost:8000'

async function main (): Promise<number> {
  const { values } = parseArgs({
    options: {
      table: { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      'only-if-empty': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  // A --table without --endpoint means a deployed table: the SDK's normal credential chain.
  const deployed = values.table !== undefined && values.endpoint === undefined
  if (deployed && values.region === undefined && process.env.AWS_REGION === undefined) {
    console.error(`--region is required for a deployed table (or set AWS_REGION)\n${USAGE}`)
    return 2
  }
  const table = values.table ?? process.env.ITEMS_TABLE ?? 'items'
  const region = values.region ?? process.env.AWS_REGION ?? 'us-east-1'
  const endpoint = deployed ? undefined : (values.endpoint ?? process.env.DYNAMODB_ENDPOINT ?? LOCAL_ENDPOINT)
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) {
    console.error(`--endpoint must be an http(s) URL (got "${endpoint}")\n${USAGE}`)
    return 2
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const client = new DynamoDBClient({
    region,
    ...(endpoint === undefined ? {} : { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } })
  })
  const ddb = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } })
  try {
    const count = await seedCatalog(ddb, table, { onlyIfEmpty: values['only-if-empty'] })
    console.log(count === 0
      ? `table ${table} already has items; nothing written (--only-if-empty)`
      : `seeded ${count} items into ${table}${endpoint === undefined ? ` (${region})` : ` at ${endpoint}`}`)
    return 0
  } catch (err) {
    const name = (err as Error).name
    if (name === 'ResourceNotFoundException') console.error(`table ${table} does not exist${endpoint === undefined ? ` in ${region}` : ` at ${endpoint} (is \`npm start\` running?)`}`)
    else if (['ECONNREFUSED', 'TimeoutError'].includes((err as { code?: string }).code ?? name)) console.error(`cannot reach DynamoDB at ${endpoint ?? region}: start the local stack with \`npm start\``)
    else console.error(`seeding failed: ${name}: ${(err as Error).message}`)
    return 1
  } finally {
    client.destroy()
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(2)
})
