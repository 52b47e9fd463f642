// The mail the owner of an address gets when someone signs up with it again: signup answers the
// same for a new and a taken address (no account probing), so the owner is the one told.
import { escapeHtml } from './emails.js'
import type { RenderedEmail } from './emails.js'

export function renderSignupNotice (email: string): RenderedEmail {
  const subject = 'Someone tried to sign up with your email'
  const lines = [
    `Someone just tried to create a serverless-commerce account with ${email}, which already has one.`,
    'If it was you: sign in with your password instead. If you forgot it, reset it from the sign-in page.',
    'If it was not you: you need to do nothing. Your account is unchanged and nobody was signed in.'
  ]
  const text = [subject, '', ...lines, ''].join('\n')
  const html = `<!doctype html><html><body style="font-family:sans-serif"><h1>${escapeHtml(subject)}</h1>${lines.map(
    (l) => `<p>${escapeHtml(l)}</p>`
  ).join('')}</body></html>`
  return { subject, html, text }
}
