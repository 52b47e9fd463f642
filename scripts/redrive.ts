// `npm run redrive -- <queue>`: moves a dead-letter queue's messages back where they are handled,
// with SQS's message move task (scripts/ops/redrive.ts). Usage: `--help`, docs/events.md.
import { parseArgs } from 'node:util'
import { explainFailure, sqsClientFor, targetFromArgs } from './ops/targets.js'
import { redrive, REDRIVES, type RedriveName } from './ops/redrive.js'

const USAGE = `usage: npm run redrive -- <${Object.keys(REDRIVES).join('|')}> [--stack NAME --region REGION] [--rate N]

  events         EventsDeadLetterQueue -> OrderEffectsQueue: order events whose webhooks or emails
                 were given up on. Effects already done are skipped: nothing is sent twice.
  orders-stream  OrdersStreamDeadLetterQueue -> OrdersStreamReplayQueue: stream records (and the
                 stream mapping's batch pointers, read back while the stream keeps them, 24 h)
                 published to the bus again.

  Without --stack: the local stack of \`npm start\` (EVENTBUS_PORT, default 8010).
  --stack NAME   a deployed stack (your AWS credentials; region from --region or AWS_REGION).
  --rate N       at most N messages a second (default: SQS's own pace).
  Redrive once the cause is fixed (see the messages' attributes: reason, error).`

async function main (): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      stack: { type: 'string' },
      region: { type: 'string' },
      rate: { type: 'string' },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const name = positionals[0]
  if (positionals.length !== 1 || name === undefined || !(name in REDRIVES)) {
    console.error(`name one queue to redrive\n${USAGE}`)
    return 2
  }
  const rate = values.rate === undefined ? undefined : Number(values.rate)
  if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > 500)) {
    console.error(`--rate must be a whole number of messages a second from 1 to 500\n${USAGE}`)
    return 2
  }
  const target = targetFromArgs(values, USAGE)
  if (target === undefined) return 2
  const sqs = sqsClientFor(target)
  try {
    console.log(`redrive ${name} on ${target.where}`)
    const result = await redrive(
      target,
      sqs,
      name as RedriveName,
      { ...(rate !== undefined ? { perSecond: rate } : {}), log: (line) => { console.log(line) } }
    )
    return result.status === 'COMPLETED' || result.status === 'EMPTY' ? 0 : 1
  } catch (err) {
    console.error(explainFailure(err, target, 'redrive'))
    return 1
  } finally {
    sqs.destroy()
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(2)
})
