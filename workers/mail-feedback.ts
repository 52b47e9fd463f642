// SES's bounce and complaint reports for our configuration set: a complaint, or a permanent
// bounce, suppresses the address from later order mail (mail-suppressions.ts); a transient bounce
// (a full mailbox, a greylisting server) is only counted. Reports of another configuration set
// (another stack's, on the account's shared default bus) are ignored. A failure throws: the report
// is retried from the effects queue (sqs-batch.ts), then parked; SES's own suppression list (the
// configuration set's SuppressionOptions) stands behind this one either way.
import { MAIL_FEEDBACK_TYPES, type MailFeedbackEvent } from './mail-feedback-event.js'
import type { SuppressionReason } from './mail-suppressions.js'
import { suppressionsOf } from './clients.js'
import type { WorkerRuntime } from './runtime.js'

export async function handleMailFeedback (event: MailFeedbackEvent, runtime: WorkerRuntime): Promise<void> {
  const { detail } = event
  const set = runtime.config.email.configurationSet
  const sets = detail.mail?.tags?.['ses:configuration-set'] ?? []
  if (set !== undefined && !sets.includes(set)) {
    runtime.log.debug('mail feedback of another configuration set ignored', { configurationSets: sets })
    return
  }
  const kind: SuppressionReason = event['detail-type'] === MAIL_FEEDBACK_TYPES.bounce ? 'bounce' : 'complaint'
  runtime.metrics.add('MailFeedback', { Kind: kind })
  const permanent = kind === 'complaint' || detail.bounce?.bounceType === 'Permanent'
  const recipients = (kind === 'bounce' ? detail.bounce?.bouncedRecipients : detail.complaint?.complainedRecipients) ??
    []
  const addresses = recipients.map((r) => r.emailAddress).filter((a): a is string =>
    typeof a === 'string' && a.includes('@'))
  const classification = kind === 'bounce'
    ? `${detail.bounce?.bounceType ?? 'Undetermined'}/${detail.bounce?.bounceSubType ?? 'General'}`
    : detail.complaint?.complaintFeedbackType ?? 'unspecified'
  if (permanent) {
    const at = new Date().toISOString()
    const messageId = detail.mail?.messageId
    const suppressions = await suppressionsOf(runtime)
    await Promise.all(
      addresses.map(async (address) => suppressions.suppress(
        address,
        { reason: kind, detail: classification, at, ...(messageId !== undefined ? { messageId } : {}) }
      ))
    )
  }
  // The addresses stay out of the log (they are the shoppers'); SES's message id finds the mail.
  runtime.log.info(
    'mail feedback',
    {
      kind,
      classification,
      recipients: addresses.length,
      suppressed: permanent ? addresses.length : 0,
      messageId: detail.mail?.messageId
    }
  )
}
