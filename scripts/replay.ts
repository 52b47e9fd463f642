// `npm run replay -- <orderId>`: publishes one order's events again (scripts/ops/replay.ts); the
// worker does only the effects that never went out. Usage: `--help`, docs/events.md.
import { parseArgs } from 'node:util'
import { explainFailure, targetFromArgs } from './ops/targets.js'
import { OrderNotFoundError, replayOrder } from './ops/replay.js'

const USAGE = `usage: npm run replay -- <orderId> [--stack NAME --region REGION]

  Publishes the event of each status the order has been through (placed, then packed or
  cancelled, then delivered) on the orders bus again, marked "replayed". Webhooks and emails
  already sent are not sent again. Every email that never went out is sent now, in the order's
  order. A webhook that never went out is sent now unless a newer webhook of the order already
  went to that partner: that one is skipped, counted (SupersededEffectsSkipped) and logged.
  Without --stack: the local stack of \`npm start\` (DYNAMODB_PORT, EVENTBUS_PORT).
  --stack NAME   a deployed stack (your AWS credentials; region from --region or AWS_REGION).`

async function main (): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { stack: { type: 'string' }, region: { type: 'string' }, help: { type: 'boolean', default: false } }
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const orderId = positionals[0]
  if (positionals.length !== 1 || orderId === undefined || !/^[\w-]{1,100}$/.test(orderId)) {
    console.error(`name one order id\n${USAGE}`)
    return 2
  }
  const target = targetFromArgs(values, USAGE)
  if (target === undefined) return 2
  try {
    const events = await replayOrder(target, orderId)
    console.log(`replayed on ${target.where}: ${events.map((e) => e.detailType).join(', ')}`)
    return 0
  } catch (err) {
    console.error(err instanceof OrderNotFoundError ? err.message : explainFailure(err, target, 'replay'))
    return 1
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(2)
})
