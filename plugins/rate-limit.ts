// Rate limits shared by every API container. A Lambda runs many containers, so counters in one
// process's memory would let a flood through as many times as there are containers: the counters
// live in DynamoDB (rate-limit-store.ts), one call a limited request, none for unlisted routes.
// @fastify/rate-limit runs the per-route limits (its counting, headers and 429) over that store,
// loaded on the first limited request (rate-limit-handler.ts), off the cold start.
// Sign-in is the one limit it cannot express: three counters (attempts per client, failures per
// account and client, failures per account) in one transaction before Cognito is asked, which
// reserves a failure slot on the account (given back once the check did not fail), so it has its
// own two hooks here, with the same store, answer and headers. Confirming a signup is guarded the
// same way and spends the same account's slots (it checks the password, and a confirmation code is
// a short-lived password). An address that signed in to the account before keeps its own slots when
// others' failures fill the account's (docs/ARCHITECTURE.md, "Sign-in limits").
// A refusal is a 429 `rate_limited` with Retry-After and RateLimit-* headers.
//
// Each limited operation is one entry of ROUTE_LIMITS (method and route path), applied when the
// route is registered; every listed route documents its 429.
import fp from 'fastify-plugin'
import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler, RouteOptions } from 'fastify'
import type { RateLimitHandlerFactory } from './rate-limit-handler.js'
import { RATE_LIMIT_DEFAULTS, type RateLimitsConfig } from '../core/config.js'
import { Problem } from '../core/problem.js'
import { problems } from '../core/http-schemas.js'
import { createClientAddress } from './client-address.js'
import { presentedKey } from './partner-keys.js'
import { problemCodeOf } from './errors.js'
import { dynamoCounters, sharedCounters, type CounterStore, type SigninRefusal } from './rate-limit-store.js'

const MINUTE = 60_000

type Subject = 'client' | 'user' | 'partnerKey'

type Limits = Omit<RateLimitsConfig, 'enabled' | 'tableTimeoutMs'>

interface Limit {
  /** Whose budget a request spends: the client's address, the signed-in user's, the partner key's. */
  per: Subject
  max: (limits: Limits) => number
  windowMs: number
  /** For the 429's detail: "Too many <what>". */
  what: string
  /** For the operation's description, with the default limits. */
  describe: (limits: Limits) => string
}

export const LIMITS = {
  signup: {
    per: 'client',
    max: (l) => l.signupPerIp,
    windowMs: 60 * MINUTE,
    what: 'sign-ups from this address',
    describe: (l) => `${l.signupPerIp} an hour per client address`
  },
  refresh: {
    per: 'client',
    max: (l) => l.refreshPerIp,
    windowMs: MINUTE,
    what: 'token refreshes from this address',
    describe: (l) => `${l.refreshPerIp} a minute per client address`
  },
  orders: {
    per: 'user',
    max: (l) => l.ordersPerUser,
    windowMs: MINUTE,
    what: 'orders from this account',
    describe: (l) => `${l.ordersPerUser} a minute per user`
  },
  partner: {
    per: 'partnerKey',
    max: (l) => l.partnerPerKey,
    windowMs: MINUTE,
    what: 'calls with this API key',
    describe: (l) => `${l.partnerPerKey} a minute per API key`
  },
  // The account routes. A new confirmation code mails someone: as many as sign-ups, per address
  // (POST /signup/resend) or per account (POST /me/email/code); verifying an email is guessing a
  // code, as many tries per account as sign-in allows failures per account.
  resend: {
    per: 'client',
    max: (l) => l.signupPerIp,
    windowMs: 60 * MINUTE,
    what: 'confirmation codes asked from this address',
    describe: (l) => `${l.signupPerIp} an hour per client address`
  },
  emailCode: {
    per: 'user',
    max: (l) => l.signupPerIp,
    windowMs: 60 * MINUTE,
    what: 'verification codes for this account',
    describe: (l) => `${l.signupPerIp} an hour per user`
  },
  // A search's cost depends on its words, not on the catalog: a client's searches are bounded too.
  search: {
    per: 'client',
    max: (l) => l.searchPerIp,
    windowMs: MINUTE,
    what: 'searches from this address',
    describe: (l) => `searches (with q) ${l.searchPerIp} a minute per client address`
  },
  emailVerify: {
    per: 'user',
    max: (l) => l.signinFailuresPerAccount,
    windowMs: 15 * MINUTE,
    what: 'verification attempts for this account',
    describe: (l) => `${l.signinFailuresPerAccount} in 15 minutes per user`
  }
} as const satisfies Record<string, Limit>

/** The operations guarded like sign-in: attempts per client, failures per account (and client). */
type Guarded = 'signin' | 'confirm'
const GUARDED_WORDS: Record<Guarded, { failures: string; secret: string }> = {
  signin: { failures: 'failed sign-ins', secret: 'password' },
  confirm: { failures: 'wrong codes', secret: 'code' }
}
const describeGuarded = (
  guarded: Guarded,
  l: Limits
): string => `${l.signinPerIp} attempts a minute per client address; ` +
  `${l.signinFailuresPerAccountClient} ${GUARDED_WORDS[guarded].failures} in 15 minutes per account and client ` +
    'address and ' +
  `${l.signinFailuresPerAccount} per account (POST /signin and POST /signup/confirm spend the same account's ` +
  'failures), ' +
  `then every attempt is refused until the window ends, whatever the ${GUARDED_WORDS[guarded].secret}, ` +
  'but from a client address that signed in to the account ' +
  'in the last 30 days, which keeps its own per-address budget (an unknown email is counted like a known one)'

/** Sign-in's windows: attempts per client a minute; failures per account (and client) in 15 minutes. */
export const SIGNIN_CLIENT_WINDOW_MS = MINUTE
export const SIGNIN_FAILURE_WINDOW_MS = 15 * MINUTE
/** How long a client address that signed in to an account keeps its own failure slots there. */
export const KNOWN_ADDRESS_MS = 30 * 24 * 60 * MINUTE

/**
 * The account's key in the limiter, the same for every route that checks its password or a code:
 * the address as the routes read it (trimmed, lower-cased), hashed.
 */
export const accountKey = (body: { email?: string; username?: string }): string =>
  hash((body.email ?? body.username ?? '').trim().toLowerCase())

/**
 * Each limited operation and its limit, one entry a route (a route not listed is not limited).
 * Each route has counters of its own: two routes with the same limit do not share a budget.
 */
export const ROUTE_LIMITS: Readonly<Record<string, keyof typeof LIMITS | Guarded>> = {
  'POST /signup': 'signup',
  'POST /signup/confirm': 'confirm',
  'POST /signup/resend': 'resend',
  'POST /me/email/code': 'emailCode',
  'POST /me/email/verify': 'emailVerify',
  'POST /signin': 'signin',
  'POST /token/refresh': 'refresh',
  'POST /orders': 'orders',
  'POST /orderpacked/:orderId': 'partner',
  'POST /orderdelivered/:orderId': 'partner',
  'GET /items': 'search'
}

function hash (value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22)
}

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000))

/** The refusal: 429 in the problem format, with Retry-After and the RateLimit-* headers. */
export function tooManyRequests (what: string, max: number, retryAfterMs: number): Problem {
  const wait = String(seconds(retryAfterMs))
  return new Problem(429, 'rate_limited', `Too many ${what}; retry after ${wait} s`, {},
    { 'retry-after': wait, 'ratelimit-limit': String(max), 'ratelimit-remaining': '0', 'ratelimit-reset': wait })
}

/** Route options' "METHOD /path" keys (a route may list several methods). */
const routeKeys = (route: Pick<RouteOptions, 'method' | 'url'>): string[] =>
  [route.method].flat().map((m) => `${String(m).toUpperCase()} ${route.url}`)

/** The operation's 429 and, in its description, the default limit (the deployment may change it). */
function documentLimit (route: RouteOptions, limit: keyof typeof LIMITS | Guarded): void {
  const schema = route.schema as { response?: Record<string, unknown>; description?: string } | undefined
  if (schema?.response === undefined || schema.description?.includes('Rate limited, by default') === true) return
  // A route may answer 429 already (Cognito's too_many_attempts): the limit only adds its code.
  if (!('429' in schema.response)) Object.assign(schema.response, problems(429))
  const text = limit === 'signin' ||
    limit === 'confirm'
    ? describeGuarded(limit, RATE_LIMIT_DEFAULTS)
    : LIMITS[limit].describe(RATE_LIMIT_DEFAULTS)
  schema.description = `${schema.description ??
    ''} Rate limited, by default: ${text}; over it, 429 \`rate_limited\` with Retry-After.`.trim()
}

/** What the sign-in hooks computed for the request, for counting its failure afterwards. */
interface SigninAttempt { accountId: string; clientAttr: string; endsAt: number; knownId: string }

export default fp(async function rateLimitPlugin (app) {
  const config = app.config.rateLimits
  const now = app.clock
  const clientAddress = createClientAddress(app.secrets, app.config.edgeSecret)
  const counters: CounterStore = sharedCounters({
    shared: dynamoCounters(app.aws.ddb, app.config.tables.rateLimits, now, config.tableTimeoutMs),
    now,
    onOutage: (err) => {
      app.log.warn(
        { err: { name: (err as Error).name } },
        'rate-limit table unreachable: counting in this container for 30 s'
      )
    }
  })

  const subjectOf = async (per: Subject, request: FastifyRequest): Promise<string> => {
    if (per === 'client') return await clientAddress(request)
    if (per === 'user') return request.user.sub
    // After requirePartner: the key is valid; it is hashed, never stored.
    return `${request.partner}:${hash(presentedKey(request) ?? '')}`
  }

  // @fastify/rate-limit's store: one counter per route (its scope), key and window, in the shared counters.
  class SharedStore {
    constructor (_options: unknown, private readonly scope = '*') {}
    incr (
      key: string,
      done: (err: Error | null, result?: { current: number; ttl: number }) => void,
      windowMs: number,
      max: number
    ): void {
      const t = now()
      const index = Math.floor(t / windowMs)
      const endsAt = (index + 1) * windowMs
      counters.hit(`${this.scope}|${key}|${index}`, endsAt, max)
        .then((current) => { done(null, { current, ttl: endsAt - t }) }, (err: Error) => { done(err) })
    }

    child (options: { scope?: string }): SharedStore {
      return new SharedStore(undefined, options.scope ?? this.scope)
    }
  }

  let factory: Promise<RateLimitHandlerFactory> | undefined
  const handlers = async (): Promise<RateLimitHandlerFactory> => {
    factory ??= import('./rate-limit-handler.js')
      .then(async ({ createRateLimitHandlers }) => await createRateLimitHandlers({
        global: false,
        // RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (the IETF draft) and Retry-After.
        enableDraftSpec: true,
        store: SharedStore as never
      }))
      .catch((err: unknown) => { factory = undefined; throw err })
    return await factory
  }

  /** The route's limit as an onRequest hook, after its credential check: its handler made on first use. */
  function limitHook (scope: string, limit: keyof typeof LIMITS): onRequestAsyncHookHandler {
    const { per, max, windowMs, what } = LIMITS[limit]
    let handler: onRequestAsyncHookHandler | undefined
    return async function rateLimited (request, reply) {
      // The plain list and the filters read what they answer: only a search is counted.
      if (limit === 'search' && (request.query as { q?: unknown }).q === undefined) return
      handler ??= (await handlers())({
        scope,
        max: max(config),
        timeWindow: windowMs,
        keyGenerator: async (r) => await subjectOf(per, r),
        errorResponseBuilder: (_request, context) => tooManyRequests(what, context.max, context.ttl)
      })
      await handler.call(this, request, reply)
    }
  }

  const attempts = new WeakMap<FastifyRequest, SigninAttempt>()
  const REFUSALS: Record<Guarded, Record<Exclude<SigninRefusal, null>, {
    what: string
    max: (l: Limits) => number
  }>> = {
    signin: {
      client: { what: 'sign-in attempts from this address', max: (l) => l.signinPerIp },
      accountClient: {
        what: 'failed sign-ins for this account from this address',
        max: (l) => l.signinFailuresPerAccountClient
      },
      account: { what: 'failed sign-ins for this account', max: (l) => l.signinFailuresPerAccount },
      concurrent: { what: 'simultaneous sign-ins for this account or from this address', max: (l) => l.signinPerIp }
    },
    confirm: {
      client: { what: 'confirmation attempts from this address', max: (l) => l.signinPerIp },
      accountClient: {
        what: 'wrong codes for this account from this address',
        max: (l) => l.signinFailuresPerAccountClient
      },
      account: { what: 'wrong codes for this account', max: (l) => l.signinFailuresPerAccount },
      concurrent: {
        what: 'simultaneous confirmations for this account or from this address',
        max: (l) => l.signinPerIp
      }
    }
  }
  /** What counts as a failure on the account: a wrong password (or unknown email), a wrong code. */
  const FAILED: Record<Guarded, (request: FastifyRequest, reply: FastifyReply) => boolean> = {
    signin: (_request, reply) => reply.statusCode === 401,
    confirm: (request, reply) => reply.statusCode === 400 && problemCodeOf(request) === 'invalid_code'
  }

  // After validation, before Cognito: one transaction counts the attempt against the client's
  // budget and reserves a failure slot on the account, so concurrent guesses never check more
  // passwords or codes than the budget. An unknown email is counted exactly like a known one. Refused
  // on the account's total, an address the account signed in from before tries again on its own slots.
  const guardedLimit = (
    guarded: Guarded,
    path: string
  ) => async function guardedLimit (request: FastifyRequest): Promise<void> {
    const client = await clientAddress(request)
    const t = now()
    const clientWindow = Math.floor(t / SIGNIN_CLIENT_WINDOW_MS)
    const failureWindow = Math.floor(t / SIGNIN_FAILURE_WINDOW_MS)
    const account = accountKey(request.body as { email?: string; username?: string })
    const attempt: SigninAttempt = {
      accountId: `account|${account}|${failureWindow}`,
      clientAttr: `c_${hash(client)}`,
      endsAt: (failureWindow + 1) * SIGNIN_FAILURE_WINDOW_MS,
      knownId: `known|${account}|${hash(client)}`
    }
    const clientEndsAt = (clientWindow + 1) * SIGNIN_CLIENT_WINDOW_MS
    const check = {
      client: { id: `${path}|${client}|${clientWindow}`, endsAt: clientEndsAt, max: config.signinPerIp },
      account: {
        id: attempt.accountId,
        endsAt: attempt.endsAt,
        clientAttr: attempt.clientAttr,
        perClientMax: config.signinFailuresPerAccountClient,
        totalMax: config.signinFailuresPerAccount
      }
    }
    let refused = await counters.signinReserve(check)
    if (refused === 'account' && await counters.knownAddress(attempt.knownId)) {
      refused = await counters.signinReserve({ ...check, account: { ...check.account, known: true } })
    }
    if (refused !== null) {
      const { what, max } = REFUSALS[guarded][refused]
      const endsAt = refused === 'client' ? clientEndsAt : refused === 'concurrent' ? t + 1000 : attempt.endsAt
      throw tooManyRequests(what, max(config), endsAt - t)
    }
    attempts.set(request, attempt)
  }

  // The check's outcome: a wrong password (or an unknown email: the same 401) or a wrong code keeps
  // its slot; anything else gives it back, and a sign-in remembers the address it succeeded from.
  const settle = (guarded: Guarded) => async function settleAttempt (
    request: FastifyRequest, reply: FastifyReply, payload: unknown
  ): Promise<unknown> {
    const attempt = attempts.get(request)
    if (attempt === undefined || FAILED[guarded](request, reply)) return payload
    attempts.delete(request)
    const jobs = [counters.signinRelease(attempt.accountId, attempt.clientAttr, attempt.endsAt)]
    if (guarded === 'signin' && reply.statusCode === 200) {
      jobs.push(counters.rememberAddress(attempt.knownId, now() + KNOWN_ADDRESS_MS))
    }
    // The answer is ready: a slot not given back costs one failure, never the answer.
    await Promise.all(jobs).catch((err: unknown) => {
      app.log.warn({ err: { name: (err as Error).name } }, 'sign-in slot not settled')
    })
    return payload
  }

  app.addHook('onRoute', (route) => {
    const limit = routeKeys(route).map((key) => ROUTE_LIMITS[key]).find((l) => l !== undefined)
    if (limit === undefined) return
    documentLimit(route, limit)
    if (!config.enabled) return
    if (limit === 'signin' || limit === 'confirm') {
      const [key] = routeKeys(route)
      route.preHandler = [...[route.preHandler ?? []].flat(), guardedLimit(limit, key!)]
      route.onSend = [...[route.onSend ?? []].flat(), settle(limit)]
      return
    }
    route.onRequest = [...[route.onRequest ?? []].flat(), limitHook(routeKeys(route).join(','), limit)]
  })
}, { name: 'rate-limit', dependencies: ['errors', 'secrets', 'auth', 'partner-keys'] })
