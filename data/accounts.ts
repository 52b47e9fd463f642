// Shopper accounts in the Cognito user pool: sign up (created and confirmed at once), sign in and
// token refresh. Cognito's errors are mapped to our problems here and never leak: an unknown user
// and a wrong password look the same, so accounts can't be enumerated.
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider'
import { Problem } from '../core/problem.js'
import { once } from '../core/aws.js'

export interface Tokens { idToken: string; accessToken: string; refreshToken?: string; expiresIn: number }

const THROTTLED = new Set(['TooManyRequestsException', 'LimitExceededException', 'ThrottlingException', 'TooManyFailedAttemptsException'])
const UNAVAILABLE = new Set(['InternalErrorException', 'ServiceUnavailable', 'InternalServerError', 'TimeoutError'])
/** Cognito's default for id and access tokens, when the answer omits it (cognito-local on refresh). */
const DEFAULT_EXPIRES_IN = 3600

const nameOf = (err: unknown): string => String((err as { name?: unknown } | null)?.name ?? '')

function busy (): Problem {
  return new Problem(503, 'service_busy', 'The account service is busy; retry after the Retry-After delay', {}, { 'retry-after': '2' })
}

/** Throttling and outages are a 503; a network failure reaching Cognito too. Others pass through (a 500). */
function mapCommon (err: unknown): unknown {
  if (err instanceof Problem) return err
  const name = nameOf(err)
  if (THROTTLED.has(name) || UNAVAILABLE.has(name)) return busy()
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENOTFOUND)$/.test(code)) return busy()
  return err
}

export function createAccounts (getClient: () => Promise<CognitoIdentityProviderClient>, pool: { userPoolId: string; clientId: string }) {
  // The command classes are imported with the client, on the first account call: off the cold start.
  const sdk = once(() => import('@aws-sdk/client-cognito-identity-provider'))

  async function confirm (email: string): Promise<void> {
    const [client, { AdminConfirmSignUpCommand }] = await Promise.all([getClient(), sdk()])
    await client.send(new AdminConfirmSignUpCommand({ UserPoolId: pool.userPoolId, Username: email }))
  }

  async function passwordAuth (email: string, password: string): Promise<Tokens> {
    const [client, { InitiateAuthCommand }] = await Promise.all([getClient(), sdk()])
    const res = await client.send(new InitiateAuthCommand({
      ClientId: pool.clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: email, PASSWORD: password }
    }))
    return tokensOf(res.AuthenticationResult, res.ChallengeName)
  }

  return {
    /** Creates and confirms the account. 409 when the email is taken, and that account is not touched. */
    async signUp (input: { email: string; password: string; name?: string }): Promise<{ sub?: string; email: string }> {
      const [client, { SignUpCommand }] = await Promise.all([getClient(), sdk()])
      let sub: string | undefined
      let confirmed = false
      try {
        const res = await client.send(new SignUpCommand({
          ClientId: pool.clientId,
          Username: input.email,
          Password: input.password,
          UserAttributes: [{ Name: 'email', Value: input.email }, ...(input.name !== undefined ? [{ Name: 'name', Value: input.name }] : [])]
        }))
        sub = res.UserSub
        confirmed = res.UserConfirmed === true
      } catch (err) {
        const name = nameOf(err)
        if (name === 'UsernameExistsException' || name === 'AliasExistsException') {
          throw new Problem(409, 'account_exists', 'An account with this email already exists; sign in instead')
        }
        if (name === 'InvalidPasswordException') {
          throw new Problem(400, 'validation_failed', 'body.password does not meet the password policy',
            { errors: [{ path: 'body.password', message: 'does not meet the password policy' }] })
        }
        if (name === 'InvalidParameterException') {
          throw new Problem(400, 'validation_failed', 'The account details were refused; check the email and name')
        }
        throw mapCommon(err)
      }
      // If this fails the account stays unconfirmed; signIn confirms it once the password is proven.
      if (!confirmed) await confirm(input.email).catch((err: unknown) => { throw mapCommon(err) })
      return { sub, email: input.email }
    },

    /** Wrong password and unknown user: the same 401. */
    async signIn (email: string, password: string): Promise<Tokens> {
      try {
        return await passwordAuth(email, password)
      } catch (err) {
        // Cognito says "not confirmed" only after checking the password: this is a signup whose
        // confirmation step failed. The owner has proven the password, so finish it now.
        if (nameOf(err) === 'UserNotConfirmedException') {
          try {
            await confirm(email)
            return await passwordAuth(email, password)
          } catch (retryErr) {
            throw signInProblem(retryErr)
          }
        }
        throw signInProblem(err)
      }
    },

    async refresh (refreshToken: string): Promise<Tokens> {
      const [client, { InitiateAuthCommand }] = await Promise.all([getClient(), sdk()])
      try {
        const res = await client.send(new InitiateAuthCommand({
          ClientId: pool.clientId,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: refreshToken }
        }))
        return tokensOf(res.AuthenticationResult, res.ChallengeName)
      } catch (err) {
        const name = nameOf(err)
        if (name === 'NotAuthorizedException' || name === 'InvalidParameterException' || name === 'UserNotFoundException') {
          throw new Problem(401, 'invalid_refresh_token', 'The refresh token is invalid, expired or revoked; sign in again')
        }
        throw mapCommon(err)
      }
    }
  }
}

export type Accounts = ReturnType<typeof createAccounts>

function signInProblem (err: unknown): unknown {
  const name = nameOf(err)
  // cognito-local answers InvalidPasswordException for a wrong password; AWS NotAuthorizedException.
  if (['NotAuthorizedException', 'UserNotFoundException', 'InvalidPasswordException', 'PasswordResetRequiredException', 'UserNotConfirmedException'].includes(name)) {
    return new Problem(401, 'invalid_credentials', 'The email or password is wrong')
  }
  return mapCommon(err)
}

function tokensOf (result: { IdToken?: string; AccessToken?: string; RefreshToken?: string; ExpiresIn?: number } | undefined, challenge: string | undefined): Tokens {
  if (result?.IdToken === undefined || result.AccessToken === undefined) {
    // A challenge (MFA, new password) this API does not offer: the account needs an administrator.
    throw new Problem(401, 'invalid_credentials', challenge !== undefined
      ? 'This account needs a sign-in step the API does not support; contact support'
      : 'The email or password is wrong')
  }
  return {
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    refreshToken: result.RefreshToken,
    expiresIn: result.ExpiresIn ?? DEFAULT_EXPIRES_IN
  }
}
