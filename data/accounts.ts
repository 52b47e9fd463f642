// Shopper accounts in the Cognito user pool, through Cognito's own confirmation flow: signup
// mails a code to the address (through our SES identity), confirm proves it, and only then does the
// account sign in, with a verified email. Nothing here tells whether an address has an account:
// signup and resend answer the same for every address, confirm the same for every failure before
// the password is proven, and sign in the same for a wrong password, an unknown email and an account
// waiting for confirmation; each mail counts against the recipient's cap (mail-quota.ts). Cognito's
// errors are mapped to our problems here and never leak.
import { createHmac } from 'node:crypto'
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider'
import { Problem } from '../core/problem.js'
import { once } from '../core/aws.js'
import type { SignupNotices } from './signup-notices.js'
import type { MailQuota } from './mail-quota.js'
import { errorName } from '../core/error-name.js'

export interface Tokens { idToken: string; accessToken: string; refreshToken?: string; expiresIn: number }

/** Confirmed already, unknown, or too many codes for this address: nothing resent, the same answer for all. */
const SILENT_RESEND_ERRORS = new Set([
  'InvalidParameterException', 'UserNotFoundException', 'LimitExceededException', 'CodeDeliveryFailureException',
  'NotAuthorizedException'
])
const THROTTLED = new Set([
  'TooManyRequestsException',
  'LimitExceededException',
  'ThrottlingException',
  'TooManyFailedAttemptsException'
])
const UNAVAILABLE = new Set(['InternalErrorException', 'ServiceUnavailable', 'InternalServerError', 'TimeoutError'])
/** Cognito's default for id and access tokens, when the answer omits it (cognito-local on refresh). */
const DEFAULT_EXPIRES_IN = 3600
/** Cognito's answers to a password that is wrong, for an account that may or may not exist. */
const WRONG_CREDENTIALS = new Set([
  'NotAuthorizedException',
  'UserNotFoundException',
  'InvalidPasswordException',
  'PasswordResetRequiredException'
])

function busy (): Problem {
  return new Problem(
    503,
    'service_busy',
    'The account service is busy; retry after the Retry-After delay',
    {},
    { 'retry-after': '2' }
  )
}

/** Throttling and outages are a 503; a network failure reaching Cognito too. Others pass through (a 500). */
function mapCommon (err: unknown): unknown {
  if (err instanceof Problem) return err
  const name = errorName(err)
  if (THROTTLED.has(name) || UNAVAILABLE.has(name)) return busy()
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENOTFOUND)$/.test(code)) return busy()
  return err
}

const invalidCode = (): Problem =>
  new Problem(
    400,
    'invalid_code',
    'The code is wrong, or the email and password do not match a signup waiting for confirmation'
  )

export interface AccountsDeps {
  getClient: () => Promise<CognitoIdentityProviderClient>
  pool: { userPoolId: string; clientId: string }
  notices: SignupNotices
  /** The cap on mail per recipient: every call here that mails someone takes from it first. */
  mail: MailQuota
  /**
   * The app client's secret (a confidential client: every call for a user carries SECRET_HASH),
   * read through the secret store on each call (it caches); undefined for a public client.
   */
  clientSecret: () => Promise<string | undefined>
  log: { warn: (fields: object, message: string) => void }
}

export function createAccounts ({ getClient, pool, notices, mail, clientSecret, log }: AccountsDeps) {
  // The command classes are imported with the client, on the first account call: off the cold start.
  const sdk = once(() => import('@aws-sdk/client-cognito-identity-provider'))

  /** `{ SecretHash }` for the user, or nothing for a public client. */
  async function signed (username: string): Promise<{ SecretHash?: string }> {
    const secret = await clientSecret()
    return secret === undefined ? {} : { SecretHash: secretHash(secret, username, pool.clientId) }
  }

  async function passwordAuth (email: string, password: string): Promise<Tokens> {
    const [client, { InitiateAuthCommand }, { SecretHash }] = await Promise.all([getClient(), sdk(), signed(email)])
    const res = await client.send(new InitiateAuthCommand({
      ClientId: pool.clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: {
        USERNAME: email,
        PASSWORD: password,
        ...(SecretHash !== undefined ? { SECRET_HASH: SecretHash } : {})
      }
    }))
    return tokensOf(res.AuthenticationResult, res.ChallengeName)
  }

  async function cognitoSignUp (input: { email: string; password: string; name?: string }): Promise<void> {
    const [client, { SignUpCommand }, hash] = await Promise.all([getClient(), sdk(), signed(input.email)])
    await client.send(new SignUpCommand({
      ClientId: pool.clientId,
      ...hash,
      Username: input.email,
      Password: input.password,
      UserAttributes: [
        { Name: 'email', Value: input.email },
        ...(input.name !== undefined ? [{ Name: 'name', Value: input.name }] : [])
      ]
    }))
  }

  /** 'unconfirmed', 'confirmed' (or any other settled status), or 'gone' (deleted meanwhile). */
  async function statusOf (email: string): Promise<'unconfirmed' | 'settled' | 'gone'> {
    const [client, { AdminGetUserCommand }] = await Promise.all([getClient(), sdk()])
    try {
      const user = await client.send(new AdminGetUserCommand({ UserPoolId: pool.userPoolId, Username: email }))
      return user.UserStatus === 'UNCONFIRMED' ? 'unconfirmed' : 'settled'
    } catch (err) {
      if (errorName(err) === 'UserNotFoundException') return 'gone'
      throw err
    }
  }

  /** Cognito's ResendConfirmationCode; every refusal (confirmed, unknown, too many) is silent. */
  async function resendCode (email: string): Promise<void> {
    const [client, { ResendConfirmationCodeCommand }, hash] = await Promise.all([getClient(), sdk(), signed(email)])
    try {
      await client.send(new ResendConfirmationCodeCommand({ ClientId: pool.clientId, Username: email, ...hash }))
    } catch (err) {
      const name = errorName(err)
      if (SILENT_RESEND_ERRORS.has(name)) {
        log.warn({ code: name }, 'no confirmation code resent')
        return
      }
      throw mapCommon(err)
    }
  }

  const signUpProblem = (err: unknown): unknown => {
    const name = errorName(err)
    if (name === 'InvalidPasswordException') {
      return new Problem(400, 'validation_failed', 'body.password does not meet the password policy',
        { errors: [{ path: 'body.password', message: 'does not meet the password policy' }] })
    }
    if (name === 'InvalidParameterException') {
      return new Problem(400, 'validation_failed', 'The account details were refused; check the email and name')
    }
    return mapCommon(err)
  }

  return {
    /**
     * Starts a signup: Cognito mails a code to the address. An address with an account waiting for
     * confirmation gets a fresh one (its earlier signup never proved the address, so the owner may
     * replace it); an address with a confirmed account is left unchanged, and its owner is told.
     * The caller learns none of this: every outcome but a refused input answers the same.
     */
    async signUp (input: { email: string; password: string; name?: string }): Promise<void> {
      // Over the address's mail cap nothing happens: a signup mails a code or a notice.
      if (!await mail.take(input.email)) return
      try {
        await cognitoSignUp(input)
        return
      } catch (err) {
        const name = errorName(err)
        if (name !== 'UsernameExistsException' && name !== 'AliasExistsException') throw signUpProblem(err)
      }
      try {
        const status = await statusOf(input.email)
        if (status === 'settled') {
          await notices.notify(input.email)
          return
        }
        if (status === 'unconfirmed') {
          const [client, { AdminDeleteUserCommand }] = await Promise.all([getClient(), sdk()])
          await client.send(new AdminDeleteUserCommand({ UserPoolId: pool.userPoolId, Username: input.email }))
        }
        await cognitoSignUp(input)
      } catch (err) {
        // A concurrent signup of the same address won the replacement: it has the code now.
        if (errorName(err) === 'UsernameExistsException' || errorName(err) === 'UserNotFoundException') return
        throw signUpProblem(err)
      }
    },

    /**
     * Confirms a signup with the mailed code. The password must be the signup's: whoever replaced a
     * pending signup of someone else's address cannot have its owner confirm their account.
     * Cognito says "not confirmed" only once the password is right, so nothing is told to a caller
     * without it. Confirming a confirmed account with its password answers as a success.
     */
    async confirm (input: { email: string; code: string; password: string }): Promise<void> {
      try {
        await passwordAuth(input.email, input.password)
        return // confirmed already, and the password is the account's
      } catch (err) {
        const name = errorName(err)
        if (WRONG_CREDENTIALS.has(name) || (err instanceof Problem && err.status === 401)) throw invalidCode()
        if (name !== 'UserNotConfirmedException') throw mapCommon(err)
      }
      const [client, { ConfirmSignUpCommand }, hash] = await Promise.all([getClient(), sdk(), signed(input.email)])
      try {
        await client.send(new ConfirmSignUpCommand({
          ClientId: pool.clientId, Username: input.email, ConfirmationCode: input.code, ...hash
        }))
      } catch (err) {
        const name = errorName(err)
        if (name === 'CodeMismatchException' || name === 'NotAuthorizedException' || name === 'UserNotFoundException') {
          throw invalidCode()
        }
        if (name === 'ExpiredCodeException') {
          throw new Problem(400, 'code_expired', 'The code has expired; ask for a new one with POST /signup/resend')
        }
        if (name === 'TooManyFailedAttemptsException' || name === 'LimitExceededException') {
          throw new Problem(
            429,
            'too_many_attempts',
            'Too many wrong codes; wait, then ask for a new one with POST /signup/resend',
            {},
            { 'retry-after': '60' }
          )
        }
        throw mapCommon(err)
      }
    },

    /** A new code for a signup waiting for confirmation; nothing for any other address, silently. */
    async resend (email: string): Promise<void> {
      if (!await mail.take(email)) return
      await resendCode(email)
    },

    /**
     * Wrong password, unknown user and a signup not yet confirmed: the same 401. The right password of
     * a signup waiting for confirmation also mails its code again (within the mail cap), so its owner
     * learns from their inbox what the caller is never told: whether the address has an account.
     */
    async signIn (email: string, password: string): Promise<Tokens> {
      try {
        return await passwordAuth(email, password)
      } catch (err) {
        if (errorName(err) === 'UserNotConfirmedException') {
          if (await mail.take(email)) await resendCode(email)
          throw wrongCredentials()
        }
        throw signInProblem(err)
      }
    },

    async refresh (refreshToken: string): Promise<Tokens> {
      const [client, { InitiateAuthCommand, GetTokensFromRefreshTokenCommand }, secret] =
        await Promise.all([getClient(), sdk(), clientSecret()])
      try {
        // A confidential client refreshes with its secret itself: REFRESH_TOKEN_AUTH's SECRET_HASH
        // would need the user's name, which a refresh token does not tell.
        if (secret !== undefined) {
          const res = await client.send(new GetTokensFromRefreshTokenCommand({
            ClientId: pool.clientId, ClientSecret: secret, RefreshToken: refreshToken
          }))
          return tokensOf(res.AuthenticationResult, undefined)
        }
        const res = await client.send(new InitiateAuthCommand({
          ClientId: pool.clientId,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: refreshToken }
        }))
        return tokensOf(res.AuthenticationResult, res.ChallengeName)
      } catch (err) {
        const name = errorName(err)
        if (name === 'NotAuthorizedException' || name === 'InvalidParameterException' ||
          name === 'UserNotFoundException') {
          throw new Problem(
            401,
            'invalid_refresh_token',
            'The refresh token is invalid, expired or revoked; sign in again'
          )
        }
        throw mapCommon(err)
      }
    },

    /**
     * Mails a code to the signed-in user's email (an account confirmed before signups verified
     * addresses, or a new address the user set): Cognito's GetUserAttributeVerificationCode,
     * authorized by the access token itself.
     */
    async sendEmailCode (accessToken: string, email: string): Promise<void> {
      // Over the address's mail cap the answer is the same, and nothing is sent.
      if (!await mail.take(email)) return
      const [client, { GetUserAttributeVerificationCodeCommand }] = await Promise.all([getClient(), sdk()])
      try {
        await client.send(
          new GetUserAttributeVerificationCodeCommand({ AccessToken: accessToken, AttributeName: 'email' })
        )
      } catch (err) {
        throw emailCodeProblem(err)
      }
    },

    /** Verifies the signed-in user's email with the mailed code (VerifyUserAttribute). */
    async verifyEmail (accessToken: string, code: string): Promise<void> {
      const [client, { VerifyUserAttributeCommand }] = await Promise.all([getClient(), sdk()])
      try {
        await client.send(
          new VerifyUserAttributeCommand({ AccessToken: accessToken, AttributeName: 'email', Code: code })
        )
      } catch (err) {
        const name = errorName(err)
        if (name === 'CodeMismatchException') throw new Problem(400, 'invalid_code', 'The code is wrong')
        if (name === 'ExpiredCodeException') {
          throw new Problem(400, 'code_expired', 'The code has expired; ask for a new one with POST /me/email/code')
        }
        throw emailCodeProblem(err)
      }
    },

    /**
     * Signs the user out everywhere: every refresh token revoked (AdminUserGlobalSignOut), then the
     * time stamped, so the API refuses every id and access token issued before it
     * (plugins/account-status.ts). The revocation first: a stamp without it would let a refresh
     * mint tokens newer than the stamp.
     */
    async signOut (username: string, nowSeconds: number): Promise<void> {
      const [client, { AdminUserGlobalSignOutCommand, AdminUpdateUserAttributesCommand }] = await Promise.all([
        getClient(),
        sdk()
      ])
      const user = { UserPoolId: pool.userPoolId, Username: username }
      try {
        await client.send(new AdminUserGlobalSignOutCommand(user))
        await client.send(
          new AdminUpdateUserAttributesCommand({
            ...user,
            UserAttributes: [{ Name: 'custom:signed_out_at', Value: String(nowSeconds) }]
          })
        )
      } catch (err) {
        if (errorName(err) === 'UserNotFoundException') return // nothing left to sign out
        throw mapCommon(err)
      }
    }
  }
}

export type Accounts = ReturnType<typeof createAccounts>

/** Errors of the email verification calls, which the access token authorizes. */
function emailCodeProblem (err: unknown): unknown {
  const name = errorName(err)
  if (name === 'LimitExceededException' || name === 'TooManyFailedAttemptsException') {
    return new Problem(
      429,
      'too_many_attempts',
      'Too many codes or wrong codes for this account; wait, then try again',
      {},
      { 'retry-after': '60' }
    )
  }
  if (name === 'NotAuthorizedException' || name === 'UserNotFoundException') {
    return new Problem(401, 'token_revoked', 'The access token is no longer accepted; sign in again', {},
      { 'www-authenticate': 'Bearer realm="serverless-commerce", error="invalid_token"' })
  }
  if (name === 'InvalidParameterException') {
    return new Problem(400, 'email_unknown', 'This account has no email address to verify')
  }
  return mapCommon(err)
}

const wrongCredentials = (): Problem => new Problem(401, 'invalid_credentials', 'The email or password is wrong')

function signInProblem (err: unknown): unknown {
  // cognito-local answers InvalidPasswordException for a wrong password; AWS NotAuthorizedException.
  if (WRONG_CREDENTIALS.has(errorName(err))) return wrongCredentials()
  return mapCommon(err)
}

/** Cognito's SECRET_HASH: Base64(HMAC-SHA256(client secret, username + client id)). */
export function secretHash (clientSecret: string, username: string, clientId: string): string {
  return createHmac('sha256', clientSecret).update(`${username}${clientId}`).digest('base64')
}

function tokensOf (
  result: { IdToken?: string; AccessToken?: string; RefreshToken?: string; ExpiresIn?: number } | undefined,
  challenge: string | undefined
): Tokens {
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
