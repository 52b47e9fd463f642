// `npm run backfill-index`: builds the catalog index (search words, category counters) for the
// items that don't have it: once after deploying the catalog index onto a table that already has
// items, and again whenever the search rules change. Safe to run on a live table, idempotent
// (indexed items are only read) and resumable (--start-after, printed as it goes and on Ctrl-C).
//   npm run backfill-index                       local (http://localhost:$DYNAMODB_PORT, tables "items", "catalog-index")
//   npm run backfill-index -- --table prod-ItemsTable-ABC --index-table prod-CatalogIndexTable-DEF --region eu-west-1
//                                                deployed tables (your AWS credentials; the stack's outputs name them)
//   npm run backfill-index -- --start-after <id> resume an interrupted run
import { parseArgs } from 'node:util'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { backfillCatalogIndex, type BackfillSummary } from '../data/catalog-backfill.js'

const USAGE = 'usage: npm run backfill-index -- [--table NAME --index-table NAME --region REGION] [--endpoint URL] [--start-after ID] [--parallel N]'

const describe = (s: BackfillSummary): string =>
  `scanned ${s.scanned} items: indexed ${s.indexed}, already current ${s.current}, deleted meanwhile ${s.gone}, failed ${s.failed.length}`

async function main (): Promise<number> {
  const { values } = parseArgs({
    options: {
      table: { type: 'string' },
      'index-table': { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      'start-after': { type: 'string' },
      parallel: { type: 'string' },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const deployed = values.table !== undefined && values.endpoint === undefined
  if (deployed && (values['index-table'] === undefined || (values.region === undefined && process.env.AWS_REGION === undefined))) {
    console.error(`a deployed --table needs --index-table and --region (or AWS_REGION)\n${USAGE}`)
    return 2
  }
  const parallel = values.parallel === undefined ? 8 : Number(values.parallel)
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64) {
    console.error(`--parallel must be an integer from 1 to 64\n${USAGE}`)
    return 2
  }
  const tables = {
    items: values.table ?? process.env.ITEMS_TABLE ?? 'items',
    catalogIndex: values['index-table'] ?? process.env.CATALOG_INDEX_TABLE ?? 'catalog-index'
  }
  const region = values.region ?? process.env.AWS_REGION ?? 'us-east-1'
  const endpoint = deployed ? undefined : (values.endpoint ?? process.env.DYNAMODB_ENDPOINT ?? `http://localhost:${process.env.DYNAMODB_PORT ?? 8000}`)
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
  const abort = new AbortController()
  process.once('SIGINT', () => {
    console.log('stopping after the page in progress ...')
    abort.abort()
  })
  const started = Date.now()
  let lastLine = 0
  console.log(`backfilling the catalog index of ${tables.items} into ${tables.catalogIndex}${endpoint === undefined ? ` (${region})` : ` at ${endpoint}`}` +
    (values['start-after'] === undefined ? '' : `, after ${values['start-after']}`))
  try {
    const summary = await backfillCatalogIndex(ddb, tables, {
      startAfter: values['start-after'],
      parallel,
      signal: abort.signal,
      onPage: (s) => {
        if (Date.now() - lastLine < 2000) return
        lastLine = Date.now()
        console.log(`  ${describe(s)} (resume with --start-after ${s.resumeAfter ?? '-'})`)
      }
    })
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    for (const f of summary.failed) console.log(`  failed: ${f.id}: ${f.reason}`)
    if (!summary.complete) {
      console.log(`interrupted after ${seconds} s: ${describe(summary)}`)
      console.log(`run the same command again to finish (indexed items are skipped), or add --start-after ${summary.resumeAfter ?? '<nothing yet>'} to skip what was scanned`)
      return 130
    }
    console.log(`done in ${seconds} s: ${describe(summary)}`)
    if (summary.failed.length > 0) console.log('run the command again to retry the failed items')
    return summary.failed.length > 0 ? 1 : 0
  } catch (err) {
    const name = (err as Error).name
    if (name === 'ResourceNotFoundException') console.error(`table ${tables.items} or ${tables.catalogIndex} does not exist${endpoint === undefined ? ` in ${region}` : ` at ${endpoint} (is \`npm start\` running?)`}`)
    else if (['ECONNREFUSED', 'TimeoutError'].includes((err as { code?: string }).code ?? name)) console.error(`cannot reach DynamoDB at ${endpoint ?? region}: start the local stack with \`npm start\``)
    else console.error(`backfill failed: ${name}: ${(err as Error).message}`)
    return 1
  } finally {
    client.destroy()
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(2)
})
