// The Cognito operations the app calls that cognito-local 5.3 lacks or does differently from AWS,
// made to behave as AWS does for our pool (PreventUserExistenceErrors ENABLED, email in
// AutoVerifiedAttributes), so local and deployed runs take the same code path:
// - ResendConfirmationCode (missing): a new code for an unconfirmed account; a simulated delivery
//   for an unknown one; InvalidParameterException for a confirmed one.
// - AdminUserGlobalSignOut (missing): the user's refresh tokens stop working.
// - ConfirmSignUp: AWS marks the address verified when it confirms the code; cognito-local does not.
// - A client with a secret (the template's GenerateSecret): every call naming the client must carry
//   a valid SECRET_HASH (SecretHash, or AuthParameters.SECRET_HASH), as on AWS; cognito-local checks
//   none. GetTokensFromRefreshToken (missing) takes the ClientSecret itself.
import type { Services } from 'cognito-local/lib/services/index.js'
import type { Context } from 'cognito-local/lib/services/context.js'
import { Router, type Route } from 'cognito-local/lib/server/Router.js'
import { createHmac } from 'node:crypto'
import { InvalidParameterError, NotAuthorizedError, UserNotFoundError } from 'cognito-local/lib/errors.js'
import { attribute, attributesAppend } from 'cognito-local/lib/services/userPoolService.js'
import { sameKey } from '../../plugins/partner-keys.js'
import { selectAppropriateDeliveryMethod } from 'cognito-local/lib/services/messageDelivery/deliveryMethod.js'

/** What AWS answers for an address it will not admit it knows. */
const simulatedDelivery = (username: string): Record<string, unknown> => ({
  CodeDeliveryDetails: {
    AttributeName: 'email',
    DeliveryMedium: 'EMAIL',
    Destination: `${username.slice(0, 1)}***@***`
  }
})

/** Cognito's SECRET_HASH: Base64(HMAC-SHA256(client secret, username + client id)). */
export function secretHash (clientSecret: string, username: string, clientId: string): string {
  return createHmac('sha256', clientSecret).update(`${username}${clientId}`).digest('base64')
}

/** The targets that name an app client and, for a client with a secret, need its SECRET_HASH. */
const HASHED = new Set([
  'SignUp', 'ConfirmSignUp', 'ResendConfirmationCode', 'ForgotPassword', 'ConfirmForgotPassword', 'InitiateAuth'
])

interface RefreshCall { ClientId: string; ClientSecret?: string; RefreshToken: string }

interface ClientCall {
  ClientId?: string
  Username?: string
  SecretHash?: string
  AuthFlow?: string
  AuthParameters?: Record<string, string>
}

export function withAwsTargets (services: Services): (target: string) => Route {
  const router = Router(services)
  const confirmSignUp = router('ConfirmSignUp')
  const initiateAuth = router('InitiateAuth')

  async function clientSecretOf (ctx: Context, clientId: string | undefined): Promise<string | undefined> {
    if (clientId === undefined) return undefined
    return (await services.cognito.getAppClient(ctx, clientId))?.ClientSecret ?? undefined
  }

  async function checkSecretHash (ctx: Context, req: ClientCall): Promise<void> {
    const secret = await clientSecretOf(ctx, req.ClientId)
    if (secret === undefined) return
    const presented = req.SecretHash ?? req.AuthParameters?.SECRET_HASH
    if (presented === undefined) {
      const client = req.ClientId ?? ''
      throw new NotAuthorizedError(`Client ${client} is configured with secret but SECRET_HASH was not received`)
    }
    const username = req.Username ?? req.AuthParameters?.USERNAME
    if (username === undefined || !sameKey(presented, secretHash(secret, username, req.ClientId ?? ''))) {
      throw new NotAuthorizedError(`Unable to verify secret hash for client ${req.ClientId ?? ''}`)
    }
  }

  const extra: Record<string, Route> = {
    async GetTokensFromRefreshToken (ctx: Context, req: RefreshCall) {
      const secret = await clientSecretOf(ctx, req.ClientId)
      if (secret !== undefined && (req.ClientSecret === undefined || !sameKey(req.ClientSecret, secret))) {
        throw new NotAuthorizedError(`Unable to verify secret for client ${req.ClientId}`)
      }
      const refresh = {
        ClientId: req.ClientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: req.RefreshToken }
      }
      return await initiateAuth(ctx, refresh)
    },

    async ResendConfirmationCode (
      ctx: Context,
      req: { ClientId: string; Username: string; ClientMetadata?: Record<string, string> }
    ) {
      const userPool = await services.cognito.getUserPoolForClientId(ctx, req.ClientId)
      const user = await userPool.getUserByUsername(ctx, req.Username)
      if (user === null) return simulatedDelivery(req.Username)
      if (user.UserStatus !== 'UNCONFIRMED') throw new InvalidParameterError('User is already confirmed.')
      const delivery = selectAppropriateDeliveryMethod(userPool.options.AutoVerifiedAttributes ?? [], user)
      if (delivery === null) {
        throw new InvalidParameterError('User has no attribute matching desired auto verified attributes')
      }
      const code = services.otp()
      await services.messages.deliver(
        ctx,
        'ResendCode',
        req.ClientId,
        userPool.options.Id,
        user,
        code,
        req.ClientMetadata,
        delivery
      )
      await userPool.saveUser(ctx, { ...user, ConfirmationCode: code, UserLastModifiedDate: services.clock.get() })
      return { CodeDeliveryDetails: delivery }
    },

    async AdminUserGlobalSignOut (ctx: Context, req: { UserPoolId: string; Username: string }) {
      const userPool = await services.cognito.getUserPool(ctx, req.UserPoolId)
      const user = await userPool.getUserByUsername(ctx, req.Username)
      if (user === null) throw new UserNotFoundError()
      await userPool.saveUser(ctx, { ...user, RefreshTokens: [], UserLastModifiedDate: services.clock.get() })
      return {}
    },

    async ConfirmSignUp (ctx: Context, req: { ClientId: string; Username: string }) {
      const res: unknown = await confirmSignUp(ctx, req)
      const userPool = await services.cognito.getUserPoolForClientId(ctx, req.ClientId)
      const user = await userPool.getUserByUsername(ctx, req.Username)
      if (user !== null && (userPool.options.AutoVerifiedAttributes ?? []).includes('email')) {
        await userPool.saveUser(
          ctx,
          { ...user, Attributes: attributesAppend(user.Attributes, attribute('email_verified', 'true')) }
        )
      }
      return res
    }
  }
  return (target) => {
    const route = extra[target] ?? router(target)
    if (!HASHED.has(target)) return route
    return async (ctx: Context, req: ClientCall) => {
      await checkSecretHash(ctx, req)
      return await route(ctx, req as never)
    }
  }
}
