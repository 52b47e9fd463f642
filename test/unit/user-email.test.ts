// AWS access tokens carry no email (their username is the user's sub): app.userEmail() asks
// Cognito once with the token itself (GetUser) and caches the answer.
import t from 'tap'
import { mockClient } from 'aws-sdk-client-mock'
import {
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  GetUserCommand,
  type AdminGetUserCommandInput
} from '@aws-sdk/client-cognito-identity-provider'
import { buildApp } from '../../app/app.js'
import { loadConfig } from '../../core/config.js'
import { BASE_TEST_ENV } from '../helpers/app.js'
import { startTestIssuer } from '../helpers/tokens.js'

t.test('the email of an access token without one comes from GetUser, once', async (t) => {
  const cognito = mockClient(CognitoIdentityProviderClient)
  t.teardown(() => cognito.restore())
  cognito.on(GetUserCommand).resolves({
    Username: 'sub-1',
    UserAttributes: [{ Name: 'email', Value: 'shopper@example.com' }]
  })
  // The revocation check's lookup (the mock replaces every client, the test issuer's pool included).
  const subs: Record<string, string> = { 'sub-1': 'sub-1', 'id@example.com': 'sub-2', 'sub-3': 'sub-3' }
  cognito.on(AdminGetUserCommand).callsFake((input: AdminGetUserCommandInput) => ({
    Username: input.Username,
    Enabled: true,
    UserAttributes: [
      { Name: 'sub', Value: subs[input.Username ?? ''] },
      { Name: 'email_verified', Value: 'true' }
    ]
  }))
  const issuer = await startTestIssuer()
  t.teardown(issuer.close)
  const app = buildApp(loadConfig({ ...BASE_TEST_ENV, ...issuer.env }))
  t.teardown(() => app.close())
  app.register(async (scope) => {
    scope.get(
      '/whoami',
      { preHandler: scope.requireUser() },
      async (request) => ({ email: await scope.userEmail(request) })
    )
  })
  await app.ready()

  const awsLike = issuer.token({ sub: 'sub-1', tokenUse: 'access', claims: { username: 'sub-1' } })
  for (let i = 0; i < 2; i++) {
    const res = await app.inject({ url: '/whoami', headers: { authorization: `Bearer ${awsLike}` } })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { email: 'shopper@example.com' })
  }
  t.equal(cognito.commandCalls(GetUserCommand).length, 1, 'asked once, then cached')
  t.equal(cognito.commandCalls(GetUserCommand)[0].args[0].input.AccessToken, awsLike)

  const withEmail = issuer.token({ sub: 'sub-2', email: 'id@example.com' })
  const res = await app.inject({ url: '/whoami', headers: { authorization: `Bearer ${withEmail}` } })
  t.same(res.json(), { email: 'id@example.com' })
  t.equal(cognito.commandCalls(GetUserCommand).length, 1, 'id tokens need no lookup')

  cognito.on(GetUserCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }))
  const other = issuer.token({ sub: 'sub-3', tokenUse: 'access', claims: { username: 'sub-3' } })
  const failed = await app.inject({ url: '/whoami', headers: { authorization: `Bearer ${other}` } })
  t.equal(failed.statusCode, 503)
  t.equal(failed.json().code, 'dependency_unavailable')
  t.notMatch(failed.body, /Rate exceeded/)
})
