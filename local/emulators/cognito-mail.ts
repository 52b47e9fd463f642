// Where cognito-local's codes go: to the SES emulator's mailbox, as Cognito mails them through our
// SES identity when deployed (infra/template.yaml: EmailConfiguration, VerificationMessageTemplate),
// so a developer signs up the way a shopper does and reads the code at the mailbox page. The code
// is also logged, as cognito-local's own console sender does.
import { createSesClient, sendEmail, type SESClient } from '../../core/ses.js'
import type { MessageSender } from 'cognito-local/lib/services/messageDelivery/messageSender.js'
import type { Context } from 'cognito-local/lib/services/context.js'
import type { User } from 'cognito-local/lib/services/userPoolService.js'
import type { Message } from 'cognito-local/lib/services/messages.js'
import { loadTemplate } from '../../infra/template.js'

export interface CodeMessage { subject: string; body: (code: string) => string }

/** The user pool's verification message, as the template defines it. */
export function verificationMessage (): CodeMessage {
  const template = loadTemplate().Resources.UserPool?.Properties?.VerificationMessageTemplate as {
    EmailSubject: string
    EmailMessage: string
  }
  return { subject: template.EmailSubject, body: (code) => template.EmailMessage.replace('{####}', code) }
}

export class MailboxSender implements MessageSender {
  #ses: Promise<SESClient> | undefined
  readonly #message = verificationMessage()

  constructor (readonly sesEndpoint: string, readonly from: string) {}

  async #client (): Promise<SESClient> {
    return await (this.#ses ??= createSesClient({
      endpoint: this.sesEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 2
    }))
  }

  async sendEmail (ctx: Context, _user: User, destination: string, message: Message): Promise<void> {
    const code = message.__code ?? ''
    ctx.logger.info({ destination, code }, 'confirmation code (also in the mailbox)')
    try {
      await sendEmail(await this.#client(), {
        from: this.from,
        to: destination,
        subject: message.emailSubject ?? this.#message.subject,
        text: message.emailMessage ?? this.#message.body(code)
      })
    } catch (err) {
      // The code is in the log line above: a mailbox that is down must not fail the signup.
      ctx.logger.warn({ destination, error: (err as Error).name }, 'the code could not reach the mailbox')
    }
  }

  async sendSms (ctx: Context, _user: User, destination: string, message: Message): Promise<void> {
    ctx.logger.info({ destination, code: message.__code }, 'confirmation code (SMS, not sent locally)')
  }
}
