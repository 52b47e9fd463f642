// The Cognito operations the app calls that cognito-local 5.3 lacks or does differently from AWS,
// made to behave as AWS does for our pool (PreventUserExistenceErrors ENABLED, email in
// AutoVerifiedAttributes), so local and deployed runs take the same code path:
// - ResendConfirmationCode (missing): a new code for an unconfirmed account; a simulated delivery
//   for an unknown one; InvalidParameterException for a confirmed one.
// - AdminUserGlobalSignOut (missing): the user's refresh tokens stop working.
// - ConfirmSignUp: AWS marks the address verified when it confirms the code; cognito-local does not.
import type { Services } from 'cognito-local/lib/services/index.js'
import type { Context } from 'cognito-local/lib/services/context.js'
import { Router, type Route } from 'cognito-local/lib/server/Router.js'
import { InvalidParameterError, UserNotFoundError } from 'cognito-local/lib/errors.js'
import { attribute, attributesAppend } from 'cognito-local/lib/services/userPoolService.js'
import { selectAppropriateDeliveryMethod } from 'cognito-local/lib/services/messageDelivery/deliveryMethod.js'

/** What AWS answers for an address it will not admit it knows. */
const simulatedDelivery = (username: string): Record<string, unknown> => ({
  CodeDeliveryDetails: {
    AttributeName: 'email',
    DeliveryMedium: 'EMAIL',
    Destination: `${username.slice(0, 1)}***@***`
  }
})

export function withAwsTargets (services: Services): (target: string) => Route {
  const router = Router(services)
  const confirmSignUp = router('ConfirmSignUp')
  const extra: Record<string, Route> = {
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
  return (target) => extra[target] ?? router(target)
}
