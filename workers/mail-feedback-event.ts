// The shape of SES's bounce and complaint reports as EventBridge delivers them (source aws.ses, on
// the default bus, from the configuration set's event destination in infra/template.yaml), and how
// dispatch.ts tells them from order events. Only what the worker reads is typed.
import type { EventBridgeEvent } from 'aws-lambda'

export const MAIL_FEEDBACK_SOURCE = 'aws.ses'
export const MAIL_FEEDBACK_TYPES = { bounce: 'Email Bounced', complaint: 'Email Complaint Received' } as const

export interface MailFeedbackDetail {
  eventType?: string
  mail?: { messageId?: string; tags?: Record<string, string[] | undefined> }
  bounce?: {
    bounceType?: string
    bounceSubType?: string
    feedbackId?: string
    bouncedRecipients?: Array<{ emailAddress?: string }>
  }
  complaint?: {
    complaintFeedbackType?: string
    feedbackId?: string
    complainedRecipients?: Array<{ emailAddress?: string }>
  }
}

export type MailFeedbackEvent = EventBridgeEvent<typeof MAIL_FEEDBACK_TYPES[keyof typeof MAIL_FEEDBACK_TYPES],
MailFeedbackDetail>

export const isMailFeedbackEvent = (event: unknown): event is MailFeedbackEvent =>
  (event as Record<string, unknown>).source === MAIL_FEEDBACK_SOURCE &&
  Object.values(MAIL_FEEDBACK_TYPES).includes((event as Record<string, unknown>)['detail-type'] as never)
