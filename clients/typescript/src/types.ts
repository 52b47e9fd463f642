// Names for the shapes the client's methods take and return, all derived from the generated
// types (schema.ts): nothing here is written by hand, so nothing here can drift from the API.
import type { components, operations } from './schema.js'

type Op = keyof operations
type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never

/** The JSON body an operation answers with a status. */
export type ResponseOf<O extends Op, S extends keyof operations[O]['responses']> = JsonOf<operations[O]['responses'][S]>
/** The JSON body an operation takes (optional when the operation's body is). */
export type BodyOf<O extends Op> =
  operations[O] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never
/** The query parameters of an operation. */
export type QueryOf<O extends Op> = operations[O] extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never

export type SignUpInput = BodyOf<'signUp'>
export type SignUpResult = ResponseOf<'signUp', 202>
export type ConfirmSignUpInput = BodyOf<'confirmSignUp'>
export type ConfirmSignUpResult = ResponseOf<'confirmSignUp', 200>
export type ResendConfirmationCodeInput = BodyOf<'resendConfirmationCode'>
export type ResendConfirmationCodeResult = ResponseOf<'resendConfirmationCode', 202>
export type EmailCodeSent = ResponseOf<'sendEmailVerificationCode', 202>
export type VerifyEmailInput = BodyOf<'verifyEmail'>
export type VerifyEmailResult = ResponseOf<'verifyEmail', 200>
export type SignInInput = BodyOf<'signIn'>
export type SignInResult = ResponseOf<'signIn', 200>
export type RefreshResult = ResponseOf<'refreshTokens', 200>
export type Me = ResponseOf<'getMe', 200>

export type Item = ResponseOf<'getItem', 200>
export type ItemsPage = ResponseOf<'listItems', 200>
export type ItemsQuery = QueryOf<'listItems'>
export type Categories = ResponseOf<'listCategories', 200>

export type Order = ResponseOf<'getOrder', 200>
export type OrderStatus = Order['status']
export type OrdersPage = ResponseOf<'listOrders', 200>
export type OrdersQuery = QueryOf<'listOrders'>
export type PlaceOrderInput = BodyOf<'placeOrder'>
/**
 * Where an order goes: recipient, address lines, city, region, postal code, country (ISO 3166-1
 * alpha-2) and phone (E.164).
 */
export type ShippingAddress = NonNullable<PlaceOrderInput['shippingAddress']>

export type PackedDetails = BodyOf<'markPacked'>
export type DeliveredDetails = BodyOf<'markDelivered'>
/** An order as the warehouse sees it: lines, status, times and the `recipient` (name and country). */
export type WarehouseOrder = ResponseOf<'markPacked', 200>
/** An order as the delivery service sees it: lines, status, times and the `shippingAddress` with the phone. */
export type DeliveryOrder = ResponseOf<'markDelivered', 200>

/** An error answer's body (RFC 9457 problem details with a stable `code`). */
export type ProblemDetails = components['schemas']['Problem']
