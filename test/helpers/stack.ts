// The emulators' addresses (exported by test/run.ts) and fresh tables per test file, so test
// files running in parallel never share rows.
import { randomBytes } from 'node:crypto'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { ensureTables, deleteTables, prefixedTableNames } from '../../local/tables.js'

const KEYS = ['DYNAMODB_ENDPOINT', 'COGNITO_ENDPOINT', 'SES_ENDPOINT', 'USER_POOL_ID', 'USER_POOL_CLIENT_ID',
  'USER_POOL_CLIENT_SECRET'] as const

export function stackEnv (): Record<string, string> {
  const env: Record<string, string> = {}
  for (const key of KEYS) {
    const value = process.env[key]
    if (value === undefined) {
      throw new Error(
        `${key} is not set: integration tests run under \`npm test\`, which starts the emulators (npm test -- ` +
          `${process.argv[1] ?? 'file'})`
      )
    }
    env[key] = value
  }
  return {
    ...env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    // The emulators share the test machine's cores with every test file running at once: a call
    // can take seconds where DynamoDB takes milliseconds. The deadlines that fit AWS would turn that
    // into 503s and limiter outages the tests did not ask for; tests of timeouts set their own.
    AWS_CONNECT_TIMEOUT_MS: '5000',
    AWS_REQUEST_TIMEOUT_MS: '20000',
    RATE_LIMIT_TABLE_TIMEOUT_MS: '15000'
  }
}

export function localDynamoClient (): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: stackEnv().DYNAMODB_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' }
  })
}

interface Teardown { teardown: (fn: () => unknown) => void }

export interface TestTables {
  ITEMS_TABLE: string
  ORDERS_TABLE: string
  IDEMPOTENCY_TABLE: string
  SUPPRESSIONS_TABLE: string
  CATALOG_INDEX_TABLE: string
  RATE_LIMIT_TABLE: string
}

/** Fresh tables from infra/template.yaml with a unique prefix, deleted when the test ends. */
export async function createTables (t: Teardown): Promise<TestTables> {
  const prefix = `t${randomBytes(4).toString('hex')}`
  const names = prefixedTableNames(prefix)
  const client = localDynamoClient()
  await ensureTables(client, names)
  t.teardown(async () => {
    await deleteTables(client, names)
    client.destroy()
  })
  return {
    ITEMS_TABLE: names.items,
    ORDERS_TABLE: names.orders,
    IDEMPOTENCY_TABLE: names.idempotency,
    SUPPRESSIONS_TABLE: names.suppressions,
    CATALOG_INDEX_TABLE: names.catalogIndex,
    RATE_LIMIT_TABLE: names.rateLimits
  }
}
