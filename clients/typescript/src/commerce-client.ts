// The shoppers' client: sign up and confirm with the mailed code, sign in (the client keeps the
// tokens and refreshes them once when a call answers `token_expired`), sign out, the catalog, orders (each POST /orders
// with an Idempotency-Key kept across its retries) and cancelling. Every method is named after its operationId in the
// OpenAPI document; `api` is the typed openapi-fetch client underneath, for every other operation.
import createClient, { type Client } from 'openapi-fetch'
import type { paths } from './schema.js'
import { createRetryingFetch, type Fetch, type TransportOptions } from './transport.js'
import { dataOf, initOf, type CallOptions } from './call.js'
import { newIdempotencyKey } from './idempotency-key.js'
import { CommerceProblem } from './problem.js'
import type {
  Categories, ConfirmSignUpInput, ConfirmSignUpResult, EmailCodeSent, Item, ItemsPage, ItemsQuery, Me, Order,
  OrdersPage, OrdersQuery,
  PlaceOrderInput, ResendConfirmationCodeInput, ResendConfirmationCodeResult, SignInInput, SignInResult, SignUpInput,
  SignUpResult,
  VerifyEmailInput, VerifyEmailResult
} from './types.js'

/** The typed openapi-fetch client for every operation of the API. */
export type CommerceApi = Client<paths>

/** What the client keeps after signing in. */
export interface Tokens {
  /** Sent as `Authorization: Bearer <idToken>`. */
  idToken: string
  accessToken: string
  /** Exchanged for fresh id and access tokens when they expire. */
  refreshToken: string
}

export interface CommerceClientOptions extends TransportOptions {
  /** The API's base URL: the stack's `ApiUrl` output, or http://localhost:3000 with `npm start`. */
  baseUrl: string
  /** Tokens of an earlier session, to start signed in. */
  tokens?: Tokens
  /**
   * Called whenever the tokens change: signed in, refreshed, signed out, or refused (undefined:
   * send the user to sign in). Persist them here if your app keeps sessions.
   */
  onTokens?: (tokens: Tokens | undefined) => void
}

export interface PlaceOrderOptions extends CallOptions {
  /**
   * The checkout's Idempotency-Key. By default a new one per call, the same on every retry the
   * client makes. Keep your own (one per checkout) to retry across page loads or restarts: the same
   * key and body answer the same order.
   */
  idempotencyKey?: string
}

export interface CommerceClient {
  /** The typed openapi-fetch client: the signed-in user's token, the refresh and the retries apply. */
  readonly api: CommerceApi
  /** The current tokens, undefined when signed out. */
  readonly tokens: Tokens | undefined
  setTokens: (tokens: Tokens | undefined) => void
  /** POST /signup: a code is mailed to the address (the answer is the same for every address). */
  signUp: (input: SignUpInput, opts?: CallOptions) => Promise<SignUpResult>
  /** POST /signup/confirm: the mailed code and the signup's password; then sign in. */
  confirmSignUp: (input: ConfirmSignUpInput, opts?: CallOptions) => Promise<ConfirmSignUpResult>
  /** POST /signup/resend: a new code for a signup waiting for confirmation. */
  resendConfirmationCode: (
    input: ResendConfirmationCodeInput,
    opts?: CallOptions
  ) => Promise<ResendConfirmationCodeResult>
  /** POST /signin; the client keeps the tokens. */
  signIn: (input: SignInInput, opts?: CallOptions) => Promise<SignInResult>
  /** POST /token/refresh with the kept refresh token (the client does this by itself on `token_expired`). */
  refreshTokens: (opts?: CallOptions) => Promise<Tokens>
  /**
   * POST /signout (every device: the refresh tokens are revoked and earlier tokens refused), then
   * forgets the tokens, even when the call fails.
   */
  signOut: (opts?: CallOptions) => Promise<void>
  /** POST /me/email/code: a code to verify the account's email (orders need a verified one). */
  sendEmailVerificationCode: (opts?: CallOptions) => Promise<EmailCodeSent>
  /** POST /me/email/verify with that code. */
  verifyEmail: (input: VerifyEmailInput, opts?: CallOptions) => Promise<VerifyEmailResult>
  /** GET /me. */
  getMe: (opts?: CallOptions) => Promise<Me>
  /** GET /items: a page; follow `nextCursor` with the same query until it is absent. */
  listItems: (query?: ItemsQuery, opts?: CallOptions) => Promise<ItemsPage>
  /** GET /items/{itemId}. */
  getItem: (itemId: string, opts?: CallOptions) => Promise<Item>
  /** GET /categories. */
  listCategories: (opts?: CallOptions) => Promise<Categories>
  /** POST /orders with an Idempotency-Key. */
  placeOrder: (input: PlaceOrderInput, opts?: PlaceOrderOptions) => Promise<Order>
  /** GET /orders: the user's orders, newest first, a page at a time. */
  listOrders: (query?: OrdersQuery, opts?: CallOptions) => Promise<OrdersPage>
  /** GET /orders/{orderId}. */
  getOrder: (orderId: string, opts?: CallOptions) => Promise<Order>
  /** POST /orders/{orderId}/cancel (while the order is `placed`). */
  cancelOrder: (orderId: string, opts?: CallOptions) => Promise<Order>
}

// Cancelling twice answers the same cancelled order: safe to send again after a lost answer.
const CANCEL_PATH = /\/orders\/[^/]+\/cancel$/

/** Whether a 401 answer says the token expired (then one refresh and one retry are worth it). */
async function saysTokenExpired (response: Response): Promise<boolean> {
  if (response.status !== 401) return false
  try {
    const body: unknown = await response.clone().json()
    return typeof body === 'object' && body !== null && (body as { code?: unknown }).code === 'token_expired'
  } catch {
    return false
  }
}

export function createCommerceClient (options: CommerceClientOptions): CommerceClient {
  const { baseUrl, onTokens } = options
  let tokens = options.tokens
  const setTokens = (next: Tokens | undefined): void => {
    tokens = next
    onTokens?.(next)
  }

  const transport = createRetryingFetch({
    ...options,
    repeatable: (request) => CANCEL_PATH.test(new URL(request.url).pathname)
  })
  // Sign-up, sign-in and refresh carry no token.
  const open = createClient<paths>({ baseUrl, fetch: transport })

  let refreshing: Promise<Tokens | undefined> | undefined
  const refresh = async (stale: Tokens, opts?: CallOptions): Promise<Tokens> => {
    const { data, error, response } = await open.POST(
      '/token/refresh',
      { body: { refreshToken: stale.refreshToken }, ...initOf(opts) }
    )
    if (data === undefined) {
      // A refused refresh token (expired, revoked): the session is over.
      if ((response.status === 400 || response.status === 401) && tokens === stale) setTokens(undefined)
      throw new CommerceProblem(response.status, error, response.headers)
    }
    const next = { idToken: data.idToken, accessToken: data.accessToken, refreshToken: stale.refreshToken }
    if (tokens === stale) setTokens(next)
    return next
  }
  /** Fresh tokens after `stale` expired: one refresh shared by every call that found them expired. */
  const refreshAfter = async (stale: Tokens): Promise<Tokens | undefined> => {
    if (tokens !== stale) return tokens // another call refreshed already (or the user signed out)
    refreshing ??= refresh(stale).catch(() => undefined).finally(() => { refreshing = undefined })
    return await refreshing
  }

  const withToken = (request: Request, current: Tokens | undefined): Request => {
    const copy = request.clone()
    if (current !== undefined) copy.headers.set('authorization', `Bearer ${current.idToken}`)
    return copy
  }
  const authorized: Fetch = async (request) => {
    const sent = tokens
    const response = await transport(withToken(request, sent))
    if (sent === undefined || !(await saysTokenExpired(response))) return response
    const fresh = await refreshAfter(sent)
    if (fresh === undefined) return response // the 401 stands: sign in again
    await response.body?.cancel().catch(() => {})
    return await transport(withToken(request, fresh))
  }
  const api = createClient<paths>({ baseUrl, fetch: authorized })
  /** The email verification calls are authorized by the access token itself. */
  const withAccessToken = (opts?: CallOptions) => {
    if (tokens === undefined) throw new Error('Not signed in: call signIn first')
    const init = initOf(opts)
    return { ...init, headers: { authorization: `Bearer ${tokens.accessToken}` } }
  }

  return {
    api,
    get tokens () { return tokens },
    setTokens,
    signUp: async (input, opts) => await dataOf(open.POST('/signup', { body: input, ...initOf(opts) })),
    confirmSignUp: async (input, opts) => await dataOf(open.POST('/signup/confirm', { body: input, ...initOf(opts) })),
    resendConfirmationCode: async (input, opts) => await dataOf(
      open.POST('/signup/resend', { body: input, ...initOf(opts) })
    ),
    signIn: async (input, opts) => {
      const result = await dataOf(open.POST('/signin', { body: input, ...initOf(opts) }))
      setTokens({ idToken: result.idToken, accessToken: result.accessToken, refreshToken: result.refreshToken })
      return result
    },
    refreshTokens: async (opts) => {
      if (tokens === undefined) throw new Error('Not signed in: call signIn first')
      return await refresh(tokens, opts)
    },
    signOut: async (opts) => {
      if (tokens === undefined) return
      try {
        await dataOf(api.POST('/signout', initOf(opts)))
      } finally {
        setTokens(undefined)
      }
    },
    sendEmailVerificationCode: async (opts) => await dataOf(open.POST('/me/email/code', withAccessToken(opts))),
    verifyEmail: async (input, opts) => await dataOf(
      open.POST('/me/email/verify', { body: input, ...withAccessToken(opts) })
    ),
    getMe: async (opts) => await dataOf(api.GET('/me', initOf(opts))),
    listItems: async (query, opts) => await dataOf(
      api.GET('/items', { params: { query: query ?? {} }, ...initOf(opts) })
    ),
    getItem: async (itemId, opts) => await dataOf(
      api.GET('/items/{itemId}', { params: { path: { itemId } }, ...initOf(opts) })
    ),
    listCategories: async (opts) => await dataOf(api.GET('/categories', initOf(opts))),
    placeOrder: async (input, opts) => await dataOf(api.POST('/orders', {
      body: input,
      params: { header: { 'idempotency-key': opts?.idempotencyKey ?? newIdempotencyKey() } },
      ...initOf(opts)
    })),
    listOrders: async (query, opts) => await dataOf(
      api.GET('/orders', { params: { query: query ?? {} }, ...initOf(opts) })
    ),
    getOrder: async (orderId, opts) => await dataOf(
      api.GET('/orders/{orderId}', { params: { path: { orderId } }, ...initOf(opts) })
    ),
    cancelOrder: async (orderId, opts) => await dataOf(
      api.POST('/orders/{orderId}/cancel', { params: { path: { orderId } }, ...initOf(opts) })
    )
  }
}
