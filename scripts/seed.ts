// `npm run seed`: loads the sample catalog (data/seed-catalog.ts), with its catalog index.
//   npm run seed                                   local DynamoDB (http://localhost:8000, tables "items", "catalog-index")
//   npm run seed -- --endpoint http://localhost:8001 --table items --index-table catalog-index
//   npm run seed -- --table prod-ItemsTable-ABC --index-table prod-CatalogIndexTable-DEF --region eu-west-1
//                                                  deployed tables (your AWS credentials; the stack's outputs name
// them) Existing items with the same ids are replaced (and keep their stock); --only-if-empty leaves a
// non-empty table alone.
import { parseArgs } from 'node:util'
import { seedCatalog } from '../data/seed-catalog.js'
import { TARGET_OPTIONS, catalogTarget, onTarget, runMain } from './cli.js'

const USAGE = 'usage: npm run seed -- [--table NAME --index-table NAME --region REGION] [--endpoint URL] ' +
  '[--only-if-empty]'

async function main (): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...TARGET_OPTIONS,
      'only-if-empty': { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const target = catalogTarget(values)
  if (typeof target === 'string') {
    console.error(`${target}\n${USAGE}`)
    return 2
  }
  return await onTarget(target, 'seeding', async () => {
    const count = await seedCatalog(target.ddb, target.tables, { onlyIfEmpty: values['only-if-empty'] })
    console.log(count === 0
      ? `table ${target.tables.items} already has items; nothing written (--only-if-empty)`
      : `seeded ${count} items into ${target.tables.items} ${target.where}`)
    return 0
  })
}

runMain(main)
