// `npm run backfill-index`: brings the catalog index (word rows, category counters) to what the
// items say: after deploying the catalog index onto a table that already has items, when the
// search rules change, after an index table was emptied or recreated, and whenever a run was
// interrupted or failed. Every run checks every item and recounts the counters from the items
// (data/catalog-backfill.ts), so the advice on any interruption is the same command again; safe on
// a live table (admin writes may go on).
//   npm run backfill-index                       local (http://localhost:$DYNAMODB_PORT, tables "items", "catalog-index")
//   npm run backfill-index -- --table prod-ItemsTable-ABC --index-table prod-CatalogIndexTable-DEF --region eu-west-1
//                                                deployed tables (your AWS credentials; the stack's outputs name them)
//   npm run backfill-index -- --start-after <id> skip the items an interrupted run already checked
// (--rebuild, the former way to fill an emptied index table, is accepted: every run does it now.)
import { parseArgs } from 'node:util'
import { backfillCatalogIndex, type BackfillSummary } from '../data/catalog-backfill.js'
import { TARGET_OPTIONS, catalogTarget, onTarget, runMain } from './cli.js'

const USAGE = 'usage: npm run backfill-index -- [--table NAME --index-table NAME --region REGION] [--endpoint URL] ' +
  '[--start-after ID] [--parallel N]'

const describe = (s: BackfillSummary): string =>
  `scanned ${s.scanned} items: indexed ${s.indexed}, already current ${s.current}, deleted meanwhile ${s.gone}, ` +
  `failed ${s.failed.length}; ` +
  `rows written ${s.rowsWritten}, rows deleted ${s.rowsDeleted}, counters fixed ${s.countersFixed}`

const quote = (arg: string): string => /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`

/** This command with the same target, without --start-after: what to run again after any interruption. */
function againCommand (argv: string[]): string {
  const kept: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--rebuild' || arg.startsWith('--start-after=')) continue
    if (arg === '--start-after') { i++; continue }
    kept.push(quote(arg))
  }
  return `npm run backfill-index${kept.length > 0 ? ` -- ${kept.join(' ')}` : ''}`
}

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
  const again = againCommand(process.argv.slice(2))
  const abort = new AbortController()
  process.once('SIGINT', () => {
    console.log('stopping after the page in progress ...')
    abort.abort()
  })
  const started = Date.now()
  let lastLine = 0
  console.log(`repairing the catalog index of ${tables.items} into ${tables.catalogIndex} ${target.where}` +
    (values['start-after'] === undefined ? '' : `, after ${values['start-after']}`))
  console.log(`if this stops for any reason (Ctrl-C, a kill, a failure), run \`${again}\` again: ` +
    'it checks every item and recounts the counters, so nothing is counted twice')
  return await onTarget(target, 'backfill', async () => {
    const summary = await backfillCatalogIndex(ddb, tables, {
      startAfter: values['start-after'],
      parallel,
      signal: abort.signal,
      onPage: (s) => {
        if (Date.now() - lastLine < 2000) return
        lastLine = Date.now()
        console.log(`  ${describe(s)} (items checked up to ${s.resumeAfter ?? '-'})`)
      }
    })
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    for (const f of summary.failed) console.log(`  failed: ${f.id}: ${f.reason}`)
    if (!summary.complete) {
      console.log(`interrupted after ${seconds} s: ${describe(summary)}`)
      console.log(`run \`${again}\` again to finish` + (summary.resumeAfter === undefined
        ? ''
        : ` (add --start-after ${summary.resumeAfter} to skip the items already checked; ` +
          'the counters are recounted either way)'))
      return 130
    }
    console.log(`done in ${seconds} s: ${describe(summary)}`)
    if (summary.failed.length > 0) console.log(`run \`${again}\` again to retry the failed items and counters`)
    return summary.failed.length > 0 ? 1 : 0
  })
}

runMain(main)
