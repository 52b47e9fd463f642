// Shopper accounts: POST /signup, /signup/confirm, /signup/resend, /signin, /token/refresh,
// /signout and GET /me. The pool and app client always come from the server's config, whatever the
// request says. No answer tells whether an address has an account (data/accounts.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Problem } from '../core/problem.js'
import { problems, ref } from '../core/http-schemas.js'
import { createAccounts } from '../data/accounts.js'
import { createSignupNotices } from '../data/signup-notices.js'
import { createMailQuota } from '../data/mail-quota.js'
import { passwordProblem } from '../domain/password-policy.js'
import {
  ConfirmBody, Confirmed, EmailCodeSent, EmailVerified, Me, PASSWORD_POLICY, VerifyEmailBody, RefreshBody,
  RefreshResult, ResendBody, SigninBody, SigninResult, SignupAccepted, SignupBody
} from './account-schemas.js'
import { problemCodeOf } from '../plugins/errors.js'

function invalid (path: string, message: string): Problem {
  return new Problem(400, 'validation_failed', `${path} ${message}`, { errors: [{ path, message }] })
}

/** `email`, or the seed clients' `username`; one of them, and the same if both are sent. */
function emailOf (body: { email?: string; username?: string }): string {
  const { email, username } = body
  if (email !== undefined && username !== undefined && email.toLowerCase() !== username.toLowerCase()) {
    throw invalid('body.username', 'must equal body.email when both are sent')
  }
  const given = email ?? username
  if (given === undefined) throw invalid('body.email', 'is required')
  // The pool's usernames are case-insensitive; cognito-local's are not. One spelling for both.
  return given.trim().toLowerCase()
}

const account: FastifyPluginAsyncTypebox = async (app) => {
  const notices = createSignupNotices({
    ddb: app.aws.ddb,
    table: app.config.tables.idempotency,
    ses: app.aws.ses,
    email: app.config.email,
    log: app.log
  })
  const mail = createMailQuota({
    ddb: app.aws.ddb,
    table: app.config.tables.rateLimits,
    max: app.config.rateLimits.enabled ? app.config.mailsPerAddress : undefined,
    now: app.clock,
    log: app.log
  })
  const clientSecret = app.config.cognito.clientSecret
  const accounts = createAccounts({
    getClient: app.aws.cognito,
    pool: app.config.cognito,
    notices,
    mail,
    clientSecret: async () => clientSecret === undefined ? undefined : await app.secrets.get(clientSecret),
    log: app.log
  })
  const accepted = (email: string) => ({ email, nextStep: 'confirm_signup' as const })

  app.post('/signup', {
    schema: {
      operationId: 'signUp',
      tags: ['account'],
      summary: 'Create an account',
      description: 'Starts a signup: a 6-digit code is mailed to the address; confirm it at POST /signup/confirm, ' +
        `then sign in. Password policy: ${PASSWORD_POLICY}. ` +
        'The answer is the same 202 for a new address and for one that already has an account (whose owner is told ' +
          'by mail instead, at most once an hour): ' +
        'signup never tells who has an account. Signing up again before confirming sends a new code and replaces the ' +
        'earlier signup. An address gets at most a few account mails an hour (5 by default, every route and client ' +
        'together): over that, the same 202 and no mail.',
      security: [],
      body: ref(SignupBody),
      response: { 202: ref(SignupAccepted), ...problems(400, 415, 500, 503) }
    }
  }, async (request, reply) => {
    const email = emailOf(request.body)
    const weak = passwordProblem(request.body.password)
    if (weak !== undefined) throw invalid('body.password', weak)
    await accounts.signUp({ email, password: request.body.password, name: request.body.name })
    return reply.code(202).send(accepted(email))
  })

  app.post('/signup/confirm', {
    schema: {
      operationId: 'confirmSignUp',
      tags: ['account'],
      summary: 'Confirm a signup',
      description: 'Confirms the account with the code mailed at signup and verifies its email; then sign in. Send ' +
        "the signup's password too: " +
        'a code confirms only the account it was mailed for. A wrong code, an unknown address and a wrong password ' +
          'are the same `400 invalid_code`; ' +
        'an expired code is `400 code_expired` (ask for a new one at POST /signup/resend), too many wrong codes `429 ' +
          'too_many_attempts`. ' +
        'Confirming a confirmed account with its password answers 200 again.',
      security: [],
      body: ref(ConfirmBody),
      response: { 200: ref(Confirmed), ...problems(400, 415, 429, 500, 503) }
    }
  }, async (request) => {
    const email = emailOf(request.body)
    await accounts.confirm({ email, code: request.body.code, password: request.body.password })
    return { email, confirmed: true as const }
  })

  app.post('/signup/resend', {
    schema: {
      operationId: 'resendConfirmationCode',
      tags: ['account'],
      summary: 'Send a new confirmation code',
      description: 'Mails a new code to an address whose signup waits for confirmation (earlier codes stop working). ' +
        'The answer is the same 202 for every address, whether or not a code was sent (none over the address\'s ' +
        'hourly mail cap).',
      security: [],
      body: ref(ResendBody),
      response: { 202: ref(SignupAccepted), ...problems(400, 415, 500, 503) }
    }
  }, async (request, reply) => {
    const email = emailOf(request.body)
    await accounts.resend(email)
    return reply.code(202).send(accepted(email))
  })

  app.post('/signin', {
    // Failed sign-ins by problem code (a wave of invalid_credentials is someone guessing). In onSend:
    // the metrics plugin's onResponse hook flushes before a route's own onResponse hooks run.
    onSend: (request, reply, payload, done) => {
      if (reply.statusCode >= 400 && reply.statusCode < 500) {
        app.metrics.add('SignInFailures', { Code: problemCodeOf(request) ?? `http_${reply.statusCode}` })
      }
      done(null, payload)
    },
    schema: {
      operationId: 'signIn',
      tags: ['account'],
      summary: 'Sign in',
      description: 'Exchanges an email and password for Cognito tokens. A wrong password, an unknown email and an ' +
        'account not yet confirmed give the same `401 invalid_credentials`; with the right password of an account ' +
        'waiting for confirmation, its code is mailed again (at most a few mails an hour per address), so the owner ' +
        'finds it in their inbox.',
      security: [],
      body: ref(SigninBody),
      response: { 200: ref(SigninResult), ...problems(400, 401, 415, 500, 503) }
    }
  }, async (request) => {
    const tokens = await accounts.signIn(emailOf(request.body), request.body.password)
    if (tokens.refreshToken === undefined) throw new Error('Cognito answered a sign-in without a refresh token')
    return { ...tokens, refreshToken: tokens.refreshToken, tokenType: 'Bearer' as const, token: tokens.idToken }
  })

  app.post('/token/refresh', {
    schema: {
      operationId: 'refreshTokens',
      tags: ['account'],
      summary: 'Refresh tokens',
      description: 'Exchanges a refresh token from POST /signin for fresh id and access tokens.',
      security: [],
      body: ref(RefreshBody),
      response: { 200: ref(RefreshResult), ...problems(400, 401, 415, 500, 503) }
    }
  }, async (request) => {
    const tokens = await accounts.refresh(request.body.refreshToken)
    return {
      idToken: tokens.idToken,
      accessToken: tokens.accessToken,
      expiresIn: tokens.expiresIn,
      tokenType: 'Bearer' as const,
      token: tokens.idToken
    }
  })

  app.post('/signout', {
    onRequest: app.requireUser(),
    schema: {
      operationId: 'signOut',
      tags: ['account'],
      summary: 'Sign out everywhere',
      description: "Revokes every refresh token of the caller's account, on every device, and every id and access " +
        'token issued before now: ' +
        'this API refuses them at once from the container that answered, and from every other within ' +
          'REVOCATION_CHECK_SECONDS (2 minutes by default). ' +
        'Sign in again for new tokens.',
      security: [{ bearerAuth: [] }],
      response: { 204: Type.Null({ description: 'Signed out' }), ...problems(401, 500, 503) }
    }
  }, async (request, reply) => {
    await accounts.signOut(request.user.username, Math.floor(Date.now() / 1000))
    app.accountStatus.forget(request.user.sub)
    return reply.code(204).send(null)
  })

  // The access token itself authorizes Cognito's attribute verification calls.
  const accessToken = (authorization: string | undefined): string => (authorization ?? '').replace(/^Bearer\s+/i, '')

  app.post('/me/email/code', {
    onRequest: app.requireUser({ tokenUse: 'access' }),
    schema: {
      operationId: 'sendEmailVerificationCode',
      tags: ['account'],
      summary: 'Mail a code to verify my email',
      description: "Mails a 6-digit code to the account's email, to verify it at POST /me/email/verify: for an " +
        'account confirmed ' +
        'before signups verified addresses (POST /orders answers `403 email_unverified`), or after a change of ' +
          'address. Needs the access token.',
      security: [{ bearerAuth: [] }],
      response: { 202: ref(EmailCodeSent), ...problems(400, 401, 429, 500, 503) }
    }
  }, async (request, reply) => {
    await accounts.sendEmailCode(accessToken(request.headers.authorization), await app.userEmail(request))
    return reply.code(202).send({ nextStep: 'verify_email' as const })
  })

  app.post('/me/email/verify', {
    onRequest: app.requireUser({ tokenUse: 'access' }),
    schema: {
      operationId: 'verifyEmail',
      tags: ['account'],
      summary: 'Verify my email',
      description: 'Verifies the account\'s email with the code from POST /me/email/code; the account may then ' +
        'order. Needs the access token. ' +
        'A wrong code is `400 invalid_code`, an expired one `400 code_expired`, too many `429 too_many_attempts`.',
      security: [{ bearerAuth: [] }],
      body: ref(VerifyEmailBody),
      response: { 200: ref(EmailVerified), ...problems(400, 401, 415, 429, 500, 503) }
    }
  }, async (request) => {
    await accounts.verifyEmail(accessToken(request.headers.authorization), request.body.code)
    // This container learns it at once; the others within REVOCATION_CHECK_SECONDS.
    app.accountStatus.forget(request.user.sub)
    return { emailVerified: true as const }
  })

  app.get('/me', {
    onRequest: app.requireUser(),
    schema: {
      operationId: 'getMe',
      tags: ['account'],
      summary: 'The caller',
      description: "The signed-in user's id, email and groups, from the verified token (id or access token: an " +
        'access token carries no email, so it is asked of Cognito and kept a few minutes).',
      security: [{ bearerAuth: [] }],
      response: { 200: ref(Me), ...problems(400, 401, 500, 503) }
    }
  }, async (request) => ({ ...request.user, email: await app.userEmail(request) }))
}

export default account
