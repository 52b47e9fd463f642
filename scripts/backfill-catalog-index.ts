// `npm run backfill-index`: builds the catalog index (search words, category counters) for the
// items that don't have it: once after deploying the catalog index onto a table that already has
// items, and again whenever the search rules change. Safe to run on a live table, idempotent
// (indexed items are only read) and resumable (--start-after, printed as it goes and on Ctrl-C).
//   npm run backfill-index                       local (http://localhost:$DYNAMODB_PORT, tables "items", "catalog-index")
//   npm run backfill-index -- --table prod-ItemsTable-ABC --index-table prod-CatalogIndexTable-DEF --region eu-west-1
//                                                deployed tables (your AWS credentials; the stack's outputs name them)
//   npm run backfill-index -- --start-after <id> resume an interrupted run
//   npm run backfill-index -- --rebuild          fill an index table that is new or was emptied (admin writes stopped)
import { parseArgs } from 'node:util'
import { backfillCatalogIndex, type BackfillSummary } from '../data/catalog-backfill.js'
import { TARGET_OPTIONS, catalogTarget, onTarget, runMain } from './cli.js'

const USAGE = 'usage: npm run backfill-index -- [--table NAME --index-table NAME --region REGION] [--endpoint URL] ' +
  '[--start-after ID] [--parallel N] [--rebuild]'

const describe = (s: BackfillSummary): string =>
  `scanned ${s.scanned} items: indexed ${s.indexed}, already current ${s.current}, deleted meanwhile ${s.gone}, ` +
    `failed ${s.failed.length}`

async function main (): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...TARGET_OPTIONS,
      'start-after': { type: 'string' },
      parallel: { type: 'string' },
      rebuild: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const parallel = values.parallel === undefined ? 8 : Number(values.parallel)
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64) {
    console.error(`--parallel must be an integer from 1 to 64\n${USAGE}`)
    return 2
  }
  const target = catalogTarget(values)
  if (typeof target === 'string') {
    console.error(`${target}\n${USAGE}`)
    return 2
  }
  const { tables, ddb } = target
  const abort = new AbortController()
  process.once('SIGINT', () => {
    console.log('stopping after the page in progress ...')
    abort.abort()
  })
  const started = Date.now()
  let lastLine = 0
  console.log(`backfilling the catalog index of ${tables.items} into ${tables.catalogIndex} ${target.where}` +
    (values['start-after'] === undefined ? '' : `, after ${values['start-after']}`))
  return await onTarget(target, 'backfill', async () => {
    const summary = await backfillCatalogIndex(ddb, tables, {
      startAfter: values['start-after'],
      rebuild: values.rebuild,
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
      console.log(
        'run the same command again to finish (indexed items are skipped), or add --start-after ' +
          `${summary.resumeAfter ?? '<nothing yet>'} to skip what was scanned`
      )
      return 130
    }
    console.log(`done in ${seconds} s: ${describe(summary)}`)
    if (summary.failed.length > 0) console.log('run the command again to retry the failed items')
    return summary.failed.length > 0 ? 1 : 0
  })
}

runMain(main)
