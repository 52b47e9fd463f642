// Revocation, for plugins/auth.ts: a valid signature says who a token was issued to, not that the
// account may still use it. After verifying a token, auth asks here whether the account still
// exists, is enabled, was not signed out since the token was issued (POST /signout stamps
// custom:signed_out_at), and which of the groups the token claims it still holds; and whether its
// email is verified (orders need it). Cognito answers (AdminGetUser, and AdminListGroupsForUser
// when the token claims groups); each container remembers the answer per user for
// `userTtlMs` (REVOCATION_CHECK_SECONDS, default 2 minutes), or `groupTtlMs` (at most a minute)
// for a token that claims groups, which bounds how long a revoked token keeps working. A warm
// container checks each user once per bound: the per-request cost is a map lookup.
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider'
import { Problem } from '../core/problem.js'
import { errorName } from '../core/error-name.js'

/** What Cognito says about an account now; undefined: there is no such account. */
export interface AccountState {
  sub: string
  enabled: boolean
  emailVerified: boolean
  /** Epoch seconds of the last POST /signout, 0 if none. */
  signedOutAt: number
  /** Only when asked for. */
  groups?: string[]
}

export type AccountLookup = (username: string, withGroups: boolean) => Promise<AccountState | undefined>

/** The claims the check reads (id and access tokens). */
export interface CheckedClaims { sub: string; iat?: number; username: string; groups: string[] }

export interface AccountCheck { emailVerified: boolean; groups: string[] }

export const SIGNED_OUT_AT_ATTRIBUTE = 'custom:signed_out_at'
const REALM = 'serverless-commerce'

export function tokenRevoked (detail: string): Problem {
  return new Problem(401, 'token_revoked', detail, {}, {
    'www-authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${detail}"`
  })
}

export class AccountLookupError extends Error {
  constructor (cause: unknown) {
    super(`the account could not be checked (${(cause as Error | null)?.name ?? 'Error'})`, { cause })
    this.name = 'AccountLookupError'
  }
}

interface Entry { at: number; state: AccountState | undefined; groupsKnown: boolean }

export interface AccountStatusOptions {
  lookup: AccountLookup
  userTtlMs: number
  groupTtlMs: number
  /** Users remembered per container; the oldest answer leaves first. */
  max?: number
  now?: () => number
}

export function createAccountStatus (opts: AccountStatusOptions) {
  const now = opts.now ?? Date.now
  const max = opts.max ?? 10_000
  const entries = new Map<string, Entry>()
  const inflight = new Map<string, Promise<Entry>>()

  async function refresh (claims: CheckedClaims, withGroups: boolean): Promise<Entry> {
    const key = `${claims.sub}${withGroups ? '+groups' : ''}`
    let pending = inflight.get(key)
    if (pending === undefined) {
      pending = opts.lookup(claims.username, withGroups).then(
        (state) => {
          const entry = { at: now(), state, groupsKnown: withGroups }
          entries.delete(claims.sub)
          if (entries.size >= max) entries.delete(entries.keys().next().value as string)
          entries.set(claims.sub, entry)
          return entry
        },
        (err: unknown) => { throw new AccountLookupError(err) }
      ).finally(() => inflight.delete(key))
      inflight.set(key, pending)
    }
    return await pending
  }

  return {
    /** Throws 401 token_revoked for a revoked token, AccountLookupError when Cognito cannot say. */
    async check (claims: CheckedClaims): Promise<AccountCheck> {
      const withGroups = claims.groups.length > 0
      const ttl = withGroups ? Math.min(opts.groupTtlMs, opts.userTtlMs) : opts.userTtlMs
      let entry = entries.get(claims.sub)
      if (entry === undefined || now() - entry.at > ttl || (withGroups && !entry.groupsKnown)) {
        entry = await refresh(claims, withGroups)
      }
      const state = entry.state
      // Another account with the same username (deleted, then signed up again) is not this one.
      if (state === undefined || state.sub !== claims.sub) throw tokenRevoked('The account no longer exists')
      if (!state.enabled) throw tokenRevoked('The account is disabled')
      // Second resolution: a token issued in the second of the sign-out counts as issued before it.
      if ((claims.iat ?? 0) <= state.signedOutAt) {
        throw tokenRevoked('The token was issued before the account signed out; sign in again')
      }
      // A token claims a group or two: no Set per request.
      return {
        emailVerified: state.emailVerified,
        groups: claims.groups.filter((g) => state.groups?.includes(g) === true)
      }
    },
    /** This container learns at once what it just changed (POST /signout). */
    forget (sub: string): void { entries.delete(sub) }
  }
}

export type AccountStatus = ReturnType<typeof createAccountStatus>

/** The lookup against the user pool: AdminGetUser, and AdminListGroupsForUser when asked. */
export function cognitoAccountLookup (
  getClient: () => Promise<CognitoIdentityProviderClient>,
  userPoolId: string
): AccountLookup {
  return async (username, withGroups) => {
    const [client, { AdminGetUserCommand, AdminListGroupsForUserCommand }] = await Promise.all([
      getClient(),
      import('@aws-sdk/client-cognito-identity-provider')
    ])
    const input = { UserPoolId: userPoolId, Username: username }
    try {
      const [user, groups] = await Promise.all([
        client.send(new AdminGetUserCommand(input)),
        withGroups ? client.send(new AdminListGroupsForUserCommand({ ...input, Limit: 60 })) : undefined
      ])
      const attr = (name: string): string | undefined => user.UserAttributes?.find((a) => a.Name === name)?.Value
      const signedOutAt = Number(attr(SIGNED_OUT_AT_ATTRIBUTE) ?? 0)
      return {
        sub: attr('sub') ?? '',
        enabled: user.Enabled !== false,
        emailVerified: attr('email_verified') === 'true',
        signedOutAt: Number.isFinite(signedOutAt) ? signedOutAt : 0,
        ...(groups !== undefined ? { groups: (groups.Groups ?? []).map((g) => g.GroupName ?? '') } : {})
      }
    } catch (err) {
      if (errorName(err) === 'UserNotFoundException') return undefined
      throw err
    }
  }
}
