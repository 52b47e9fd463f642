// Shopper accounts: POST /signup, POST /signin, POST /token/refresh, GET /me. The pool and app
// client always come from the server's config, whatever the request says.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Problem } from '../core/problem.js'
import { problems } from '../core/http-schemas.js'
import { createAccounts } from '../data/accounts.js'
import { passwordProblem } from '../domain/password-policy.js'
import { problemCodeOf } from '../plugins/errors.js'
import { Me, PASSWORD_POLICY, RefreshBody, RefreshResult, SigninBody, SigninResult, SignupBody, SignupResult } from './account-schemas.js'

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
  const accounts = createAccounts(app.aws.cognito, app.config.cognito)

  app.post('/signup', {
    schema: {
      operationId: 'signUp',
      tags: ['account'],
      summary: 'Create an account',
      description: `Creates and confirms a shopper account; sign in at once. Password policy: ${PASSWORD_POLICY}. ` +
        'An email that already has an account answers 409 and that account is left unchanged.',
      security: [],
      body: SignupBody,
      response: { 201: SignupResult, ...problems(400, 409, 415, 500, 503) }
    }
  }, async (request, reply) => {
    const email = emailOf(request.body)
    const weak = passwordProblem(request.body.password)
    if (weak !== undefined) throw invalid('body.password', weak)
    const created = await accounts.signUp({ email, password: request.body.password, name: request.body.name })
    return reply.code(201).send({ ...created, confirmed: true as const })
  })

  app.post('/signin', {
    // Failed sign-ins by problem code (a wave of invalid_credentials is someone guessing).
    onResponse: (request, reply, done) => {
      if (reply.statusCode >= 400 && reply.statusCode < 500) {
        app.metrics.add('SignInFailures', { Code: problemCodeOf(request) ?? `http_${reply.statusCode}` })
        app.metrics.flush()
      }
      done()
    },
    schema: {
      operationId: 'signIn',
      tags: ['account'],
      summary: 'Sign in',
      description: 'Exchanges an email and password for Cognito tokens. A wrong password and an unknown email give the same 401.',
      security: [],
      body: SigninBody,
      response: { 200: SigninResult, ...problems(400, 401, 415, 500, 503) }
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
      body: RefreshBody,
      response: { 200: RefreshResult, ...problems(400, 401, 415, 500, 503) }
    }
  }, async (request) => {
    const tokens = await accounts.refresh(request.body.refreshToken)
    return { idToken: tokens.idToken, accessToken: tokens.accessToken, expiresIn: tokens.expiresIn, tokenType: 'Bearer' as const, token: tokens.idToken }
  })

  app.get('/me', {
    onRequest: app.requireUser(),
    schema: {
      operationId: 'getMe',
      tags: ['account'],
      summary: 'The caller',
      description: "The signed-in user's id, email and groups, from the verified token (id or access token: an " +
        "access token carries no email, so it is asked of Cognito and kept a few minutes).",
      security: [{ bearerAuth: [] }],
      response: { 200: Me, ...problems(400, 401, 500, 503) }
    }
  }, async (request) => ({ ...request.user, email: await app.userEmail(request) }))
}

export default account
