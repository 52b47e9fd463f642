// Every queue with a dead-letter queue keeps its messages as long as that dead-letter queue does:
// a message that expired in the work queue (the worker stopped for days) would be lost unseen.
import t from 'tap'
import { loadTemplate } from '../../infra/template.js'

const resources = loadTemplate().Resources as Record<string, { Type: string; Properties?: Record<string, any> }>
const FOURTEEN_DAYS = 14 * 24 * 3600

t.test('work queues keep messages 14 days, as long as their dead-letter queues', async (t) => {
  const queues = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue')
  const withDlq = queues.filter(([, r]) => r.Properties?.RedrivePolicy !== undefined)
  t.ok(withDlq.length >= 2, `queues with a dead-letter queue: ${withDlq.map(([id]) => id).join(', ')}`)
  for (const [id, queue] of withDlq) {
    const target = queue.Properties?.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0] as string
    const dlq = resources[target]
    t.ok(dlq, `${id}: its dead-letter queue ${target} is in the template`)
    t.equal(queue.Properties?.MessageRetentionPeriod, FOURTEEN_DAYS, `${id} keeps messages 14 days`)
    t.equal(dlq?.Properties?.MessageRetentionPeriod, FOURTEEN_DAYS, `${target} too`)
  }
  for (const id of ['OrderEffectsQueue', 'OrdersStreamReplayQueue']) {
    t.ok(
      withDlq.some(([q]) => q === id),
    `${id} checked`
    )
  }
})
