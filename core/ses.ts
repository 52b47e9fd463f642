// SES through the v1 API's SendEmail (@aws-sdk/client-ses): the one place an SES client is made
// and a message is sent, for the API (signup notices), the worker (order email) and the local
// Cognito mailer. The SDK is imported on first use, off the cold start of the paths that send none.
import type { SESClient, SESClientConfig } from '@aws-sdk/client-ses'

export type { SESClient } from '@aws-sdk/client-ses'

export async function createSesClient (options: SESClientConfig): Promise<SESClient> {
  const { SESClient } = await import('@aws-sdk/client-ses')
  return new SESClient(options)
}

export interface EmailMessage {
  from: string
  to: string
  replyTo?: string
  /** SES's configuration set: its event destination reports bounces and complaints. */
  configurationSet?: string
  subject: string
  html?: string
  text: string
  /** Message tags: SES passes them on in the configuration set's events. */
  tags?: Record<string, string>
}

/** Sends one message; resolves to SES's message id. */
export async function sendEmail (ses: SESClient, message: EmailMessage): Promise<string | undefined> {
  const { SendEmailCommand } = await import('@aws-sdk/client-ses')
  const { from, to, replyTo, configurationSet, subject, html, text, tags } = message
  const res = await ses.send(new SendEmailCommand({
    Source: from,
    Destination: { ToAddresses: [to] },
    ...(replyTo !== undefined ? { ReplyToAddresses: [replyTo] } : {}),
    ...(configurationSet !== undefined ? { ConfigurationSetName: configurationSet } : {}),
    ...(tags !== undefined ? { Tags: Object.entries(tags).map(([Name, Value]) => ({ Name, Value })) } : {}),
    Message: {
      Subject: { Data: subject, Charset: 'UTF-8' },
      Body: {
        ...(html !== undefined ? { Html: { Data: html, Charset: 'UTF-8' } } : {}),
        Text: { Data: text, Charset: 'UTF-8' }
      }
    }
  }))
  return res.MessageId
}
