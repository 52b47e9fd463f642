// `npm run seed`: loads the sample catalog (data/seed-catalog.ts), with its catalog index.
//   npm run seed                                   local DynamoDB (http://localhost:8000, tables "items", "catalog-index")
//   npm run seed -- --endpoint http://localhost:8001 --table items --index-table catalog-index
//   npm run seed -- --table prod-ItemsTable-ABC --index-table prod-CatalogIndexTable-DEF --region eu-west-1
//                                                  deployed tables (your AWS credentials; the stack's outputs name them)
// Existing items with the same ids are replaced (and keep their stock); --only-if-empty leaves a
// non-empty table alone.
import { parseArgs } from 'node:util'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { seedCatalog } from '../data/seed-catalog.js'

const USAGE = 'usage: npm run seed -- [--table NAME --index-table NAME --region REGION] [--endpoint URL] [--only-if-empty]'
const LOCAL_ENDPOINT = 'http://localhost:8000'

async function main (): Promise<number> {
  const { values } = parseArgs({
    options: {
      table: { type: 'string' },
      'index-table': { type: 'string' },
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
  if (deployed && values['index-table'] === undefined) {
    console.error(`--index-table is required with a deployed --table (the stack's CatalogIndexTableName output)\n${USAGE}`)
    return 2
  }
  const table = values.table ?? process.env.ITEMS_TABLE ?? 'items'
  const indexTable = values['index-table'] ?? process.env.CATALOG_INDEX_TABLE ?? 'catalog-index'
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
    const count = await seedCatalog(ddb, { items: table, catalogIndex: indexTable }, { onlyIfEmpty: values['only-if-empty'] })
    console.log(count === 0
      ? `table ${table} already has items; nothing written (--only-if-empty)`
      : `seeded ${count} items into ${table}${endpoint === undefined ? ` (${region})` : ` at ${endpoint}`}`)
    return 0
  } catch (err) {
    const name = (err as Error).name
    if (name === 'ResourceNotFoundException') console.error(`table ${table} or ${indexTable} does not exist${endpoint === undefined ? ` in ${region}` : ` at ${endpoint} (is \`npm start\` running?)`}`)
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
