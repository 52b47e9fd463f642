// Accounts in the test runner's cognito-local: the mailbox a signup's code reaches (the SES
// emulator), and a shortcut that confirms an account directly, as an administrator would, for
// tests about something else than the confirmation flow.
import type { FastifyInstance } from 'fastify'
import {
  AdminConfirmSignUpCommand, AdminUpdateUserAttributesCommand, CognitoIdentityProviderClient
} from '@aws-sdk/client-cognito-identity-provider'
import { stackEnv } from './stack.js'
import { until } from './until.js'

export interface Mail { subject: string; to: string[]; text: string; html?: string; at: string }

/** The mails the SES emulator holds for an address, oldest first. */
export async function mailbox (email: string): Promise<Mail[]> {
  const res = await fetch(`${stackEnv().SES_ENDPOINT}/store`)
  const { emails } = await res.json() as {
    emails: Array<{
      subject: string
      destination: { to: string[] }
      body: { text?: string; html?: string }
      at: number | string
    }>
  }
  return emails.filter((e) => e.destination.to.includes(email))
    .map((e) =>
      ({ subject: e.subject, to: e.destination.to, text: e.body.text ?? '', html: e.body.html, at: String(e.at) }))
}

export { until }

/** The newest confirmation code mailed to the address, once there are more than `seen` codes. */
export async function codeFromMailbox (email: string, seen = 0): Promise<string> {
  return await until(`a confirmation code for ${email}`, async () => {
    const codes = (await mailbox(email)).filter((m) => /confirmation code/i.test(m.subject)).map((m) =>
      /\b(\d{6})\b/.exec(m.text)?.[1])
    return codes.length > seen ? codes.at(-1) : undefined
  })
}

export function cognitoAdmin (): CognitoIdentityProviderClient {
  const env = stackEnv()
  return new CognitoIdentityProviderClient({
    endpoint: env.COGNITO_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' }
  })
}

/**
 * Signs up through the API, then confirms and verifies the address directly (AdminConfirmSignUp
 * does not verify it, on AWS either), skipping the mailbox. Answers the signup's response.
 */
export async function signUpConfirmed (
  app: FastifyInstance,
  body: { email: string; password: string; name?: string }
): Promise<void> {
  const res = await app.inject({ method: 'POST', url: '/signup', payload: body })
  if (res.statusCode >= 300) throw new Error(`signup answered ${res.statusCode}: ${res.body}`)
  const admin = cognitoAdmin()
  try {
    const pool = { UserPoolId: stackEnv().USER_POOL_ID, Username: body.email }
    await admin.send(new AdminConfirmSignUpCommand(pool)).catch((err: Error) => {
      if (!/already|CONFIRMED/i.test(err.message)) throw err // confirmed already: fine
    })
    await admin.send(
      new AdminUpdateUserAttributesCommand({
        ...pool,
        UserAttributes: [{ Name: 'email', Value: body.email }, { Name: 'email_verified', Value: 'true' }]
      })
    )
  } finally {
    admin.destroy()
  }
}
