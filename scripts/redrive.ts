// `npm run redrive -- <queue>`: moves a dead-letter queue's messages back where they are handled,
// with SQS's message move task (scripts/ops/redrive.ts); for orders-stream, also the stream batches
// Lambda gave up on, from their bucket (scripts/ops/stream-failures.ts). Usage: `--help`, docs/events.md.
import { parseArgs } from 'node:util'
import { explainFailure, s3ClientFor, sqsClientFor, targetFromArgs } from './ops/targets.js'
import { redrive, REDRIVES, type RedriveName } from './ops/redrive.js'
import { redriveStreamFailures, STREAM_FAILURES } from './ops/stream-failures.js'

const USAGE = `usage: npm run redrive -- <${Object.keys(REDRIVES).join('|')}> [--stack NAME --region REGION] [--rate N]

  events         EventsDeadLetterQueue -> OrderEffectsQueue: order events whose webhooks or emails
                 were given up on. Effects already done are skipped: nothing is sent twice.
  orders-stream  OrdersStreamDeadLetterQueue -> OrdersStreamReplayQueue: stream records the worker
                 parked, published to the bus again (a batch pointer from before the failure bucket
                 is read back while the stream keeps it, 24 h). Then OrdersStreamFailureBucket:
                 the batches the stream mapping gave up on, their records sent to the replay queue
                 and each object deleted once all its records are there.

  Without --stack: the local stack of \`npm start\` (EVENTBUS_PORT, default 8010).
  --stack NAME   a deployed stack (your AWS credentials; region from --region or AWS_REGION).
  --rate N       at most N messages a second (default: SQS's own pace).
  Redrive once the cause is fixed (see the messages' attributes: reason, error), within 14 days.
  Exit status: 0 when everything was redriven (or nothing waited), 1 when something was left.`

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
  const s3 = name === 'orders-stream' ? s3ClientFor(target) : undefined
  const log = (line: string): void => { console.log(line) }
  try {
    console.log(`redrive ${name} on ${target.where}`)
    const result = await redrive(
      target,
      sqs,
      name as RedriveName,
      { ...(rate !== undefined ? { perSecond: rate } : {}), log }
    )
    let ok = result.status === 'COMPLETED' || result.status === 'EMPTY'
    if (s3 !== undefined) {
      const failures = await redriveStreamFailures(target, s3, sqs, { log })
      console.log(`${STREAM_FAILURES.from}: ${failures.redriven} batch(es) redriven (${failures.records} ` +
        `record(s) sent), ${failures.left.length} left`)
      ok &&= failures.left.length === 0
    }
    return ok ? 0 : 1
  } catch (err) {
    console.error(explainFailure(err, target, 'redrive'))
    return 1
  } finally {
    sqs.destroy()
    s3?.destroy()
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(2)
})
