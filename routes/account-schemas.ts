// Request and response schemas of the account routes (routes/account.ts).
import { Type } from '@sinclair/typebox'

export const PASSWORD_POLICY = 'At least 8 characters, with an upper-case letter, a lower-case letter and a digit'

const Email = Type.String({
  format: 'email',
  minLength: 3,
  maxLength: 254,
  description: 'The email address, also the username'
})

export const SignupBody = Type.Object({
  email: Type.Optional(Email),
  username: Type.Optional({ ...Email, description: 'Same as email (accepted from the seed clients)' }),
  password: Type.String({ minLength: 8, maxLength: 256, description: PASSWORD_POLICY }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  clientId: Type.Optional(
    Type.String({ maxLength: 128, description: 'Ignored: the app client is always the server\'s' })
  ),
  userPoolId: Type.Optional(
    Type.String({ maxLength: 128, description: 'Ignored: the user pool is always the server\'s' })
  )
}, {
  $id: 'SignUpRequest',
  additionalProperties: false,
  examples: [{ email: 'ada@example.com', password: 'Correct-Horse-1', name: 'Ada' }]
})

export const SignupAccepted = Type.Object({
  email: Type.String({ description: 'The address the request named' }),
  nextStep: Type.Literal(
    'confirm_signup',
    { description: 'Enter the code mailed to the address at POST /signup/confirm' }
  )
}, {
  $id: 'SignUpAccepted',
  description: 'Accepted. If the address can take a new account, a confirmation code is on its way to it; ' +
    'if it already has one, its owner is told by mail. The answer is the same either way.',
  examples: [{ email: 'ada@example.com', nextStep: 'confirm_signup' }]
})

const Code = Type.String({ pattern: '^[0-9]{6}$', description: 'The 6-digit code mailed to the address' })

export const ConfirmBody = Type.Object({
  email: Email,
  code: Code,
  password: Type.String({
    minLength: 1,
    maxLength: 256,
    description: "The signup's password: the code confirms only the account it was chosen for"
  })
}, {
  $id: 'ConfirmSignUpRequest',
  additionalProperties: false,
  examples: [{ email: 'ada@example.com', code: '123456', password: 'Correct-Horse-1' }]
})

export const Confirmed = Type.Object({
  email: Type.String(),
  confirmed: Type.Literal(true)
}, {
  $id: 'SignUpConfirmed',
  description: 'The account is confirmed and its email verified: sign in',
  examples: [{ email: 'ada@example.com', confirmed: true }]
})

export const ResendBody = Type.Object({
  email: Email
}, { $id: 'ResendCodeRequest', additionalProperties: false, examples: [{ email: 'ada@example.com' }] })

export const SigninBody = Type.Object({
  email: Type.Optional(Email),
  username: Type.Optional({ ...Email, description: 'Same as email (accepted from the seed clients)' }),
  password: Type.String({ minLength: 1, maxLength: 256 })
}, {
  $id: 'SignInRequest',
  additionalProperties: false,
  examples: [{ email: 'ada@example.com', password: 'Correct-Horse-1' }]
})

// A shortened JWT for the examples (header.payload.signature).
const ID_TOKEN_EXAMPLE = 'eyJraWQiOiJDb2duaXRvTG9jYWwiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI3ZDFlIn0.c2lnbmF0dXJl'

const tokenFields = {
  idToken: Type.String({ description: 'Send as Authorization: Bearer <idToken>' }),
  accessToken: Type.String(),
  expiresIn: Type.Integer({ description: 'Seconds until the id and access tokens expire' }),
  tokenType: Type.Literal('Bearer'),
  token: Type.String({ description: 'The id token again, for clients of the old API' })
}

export const SigninResult = Type.Object({
  ...tokenFields,
  refreshToken: Type.String({ description: 'Exchange at POST /token/refresh for fresh tokens' })
}, {
  $id: 'SignInResult',
  description: 'Tokens for the signed-in user',
  examples: [{
    idToken: ID_TOKEN_EXAMPLE,
    accessToken: ID_TOKEN_EXAMPLE,
    refreshToken: 'eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.refresh',
    expiresIn: 3600,
    tokenType: 'Bearer',
    token: ID_TOKEN_EXAMPLE
  }]
})

export const RefreshBody = Type.Object({
  refreshToken: Type.String({ minLength: 1, maxLength: 8192 })
}, {
  $id: 'RefreshRequest',
  additionalProperties: false,
  examples: [{ refreshToken: 'eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.refresh' }]
})

export const RefreshResult = Type.Object(tokenFields, {
  $id: 'RefreshResult',
  description: 'Fresh id and access tokens',
  examples: [{
    idToken: ID_TOKEN_EXAMPLE,
    accessToken: ID_TOKEN_EXAMPLE,
    expiresIn: 3600,
    tokenType: 'Bearer',
    token: ID_TOKEN_EXAMPLE
  }]
})

export const Me = Type.Object({
  sub: Type.String(),
  email: Type.String(),
  groups: Type.Array(Type.String())
}, {
  $id: 'Me',
  description: 'The caller',
  examples: [{ sub: '7d1e6a52-9d1b-4c57-a8a4-2b0f3c1e9a10', email: 'ada@example.com', groups: [] }]
})

export const EmailCodeSent = Type.Object({
  nextStep: Type.Literal(
    'verify_email',
    { description: 'Enter the code mailed to the account\'s email at POST /me/email/verify' }
  )
}, {
  $id: 'EmailCodeSent',
  description: 'A code is on its way to the account\'s email',
  examples: [{ nextStep: 'verify_email' }]
})

export const VerifyEmailBody = Type.Object({
  code: Type.String({ pattern: '^[0-9]{6}$', description: 'The 6-digit code mailed to the account\'s email' })
}, { $id: 'VerifyEmailRequest', additionalProperties: false, examples: [{ code: '123456' }] })

export const EmailVerified = Type.Object({
  emailVerified: Type.Literal(true)
}, {
  $id: 'EmailVerified',
  description: 'The account\'s email is verified: it may order',
  examples: [{ emailVerified: true }]
})

/** The account routes' named shapes, registered with app.addSchema (app/registry.ts). */
export const ACCOUNT_SCHEMAS = [
  SignupBody, SignupAccepted, ConfirmBody, Confirmed, ResendBody, SigninBody, SigninResult, RefreshBody, RefreshResult,
  Me, EmailCodeSent, VerifyEmailBody, EmailVerified
]
