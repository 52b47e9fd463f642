// What the catalog commands (seed, backfill-index, admin) share: the exit of a command's main, the
// DynamoDB target they write (local emulator or deployed tables), and errors said plainly.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { ItemsTables } from '../data/items-repository.js'
import { errorName } from '../core/error-name.js'

/** Runs a command's main and exits with its code (2 for an error it did not expect). */
export function runMain (main: () => Promise<number>): void {
  main().then((code) => process.exit(code), (err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(2)
  })
}

/** An error's name ('' when it has none). */

/** A refused connection or a timeout: the local stack is not running (or the address is wrong). */
export function isUnreachable (err: unknown): boolean {
  return ['ECONNREFUSED', 'TimeoutError'].includes((err as { code?: string }).code ?? errorName(err))
}

/** The options naming the tables (parseArgs), shared by the commands that take them. */
export const TARGET_OPTIONS = {
  table: { type: 'string' },
  'index-table': { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
  help: { type: 'boolean', default: false }
} as const

export interface CatalogTarget {
  tables: ItemsTables
  region: string
  /** undefined for deployed tables (the SDK's normal credential chain). */
  endpoint?: string
  ddb: DynamoDBDocumentClient
  where: string
  destroy: () => void
}

/**
 * The items and catalog index tables a command works on: `--table` without `--endpoint` names
 * deployed tables (then `--index-table` and a region are required); otherwise DynamoDB Local on
 * DYNAMODB_ENDPOINT or DYNAMODB_PORT. A string is the usage error to print.
 */
export function catalogTarget (values: {
  table?: string
  'index-table'?: string
  region?: string
  endpoint?: string
}): CatalogTarget | string {
  const deployed = values.table !== undefined && values.endpoint === undefined
  if (deployed && (values['index-table'] === undefined || (values.region === undefined &&
    process.env.AWS_REGION === undefined))) {
    return "a deployed --table needs --index-table (the stack's CatalogIndexTableName output) and --region (or " +
      'AWS_REGION)'
  }
  const region = values.region ?? process.env.AWS_REGION ?? 'us-east-1'
  const endpoint = deployed
    ? undefined
    : (values.endpoint ?? process.env.DYNAMODB_ENDPOINT ?? `http://127.0.0.1:${process.env.DYNAMODB_PORT ?? 8000}`)
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) {
    return `--endpoint must be an http(s) URL (got "${endpoint}")`
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const client = new DynamoDBClient({
    region,
    ...(endpoint === undefined ? {} : { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } })
  })
  return {
    tables: {
      items: values.table ?? process.env.ITEMS_TABLE ?? 'items',
      catalogIndex: values['index-table'] ?? process.env.CATALOG_INDEX_TABLE ?? 'catalog-index'
    },
    region,
    endpoint,
    ddb: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    where: endpoint === undefined ? `(${region})` : `at ${endpoint}`,
    destroy: () => client.destroy()
  }
}

/**
 * Runs a command's work on its tables: a DynamoDB failure is said plainly (exit 1); the client is closed either way.
 */
export async function onTarget (target: CatalogTarget, what: string, work: () => Promise<number>): Promise<number> {
  try {
    return await work()
  } catch (err) {
    console.error(explainTableError(err, target, what))
    return 1
  } finally {
    target.destroy()
  }
}

/** A DynamoDB failure as a sentence: missing tables, no local stack, or the error's own words. */
export function explainTableError (err: unknown, target: CatalogTarget, what: string): string {
  const { items, catalogIndex } = target.tables
  if (errorName(err) === 'ResourceNotFoundException') {
    return `table ${items} or ${catalogIndex} does not ` +
      `exist${target.endpoint === undefined
? ` in ${target.region}`
: ` at ${target.endpoint} (is \`npm start\` ` +
        'running?)'}`
  }
  if (isUnreachable(err)) {
    return `cannot reach DynamoDB at ${target.endpoint ?? target.region}: start the local stack with \`npm start\``
  }
  return `${what} failed: ${errorName(err)}: ${(err as Error).message}`
}
