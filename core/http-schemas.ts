// Schema helpers shared by the routes: error responses in the one problem format, and common shapes.
import { Type, type SchemaOptions, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox'
import { PROBLEM_CODES, PROBLEM_CONTENT_TYPE, type ProblemCode } from './problem.js'

/** The problem body, also used as the documented response schema of every 4xx and 5xx. */
export const ProblemSchema = Type.Object({
  type: Type.String({
    description: 'A URI naming the kind of problem',
    examples: ['urn:serverless-commerce:problem:not_found']
  }),
  title: Type.String({ description: 'The HTTP status text' }),
  status: Type.Integer({ minimum: 400, maximum: 599 }),
  // A string with an enum (not a union of literals): the serializer writes it as a plain string.
  code: Type.Unsafe<ProblemCode>({
    type: 'string',
    enum: [...PROBLEM_CODES],
    description: 'Stable machine-readable error code',
    examples: ['validation_failed']
  }),
  detail: Type.String({ description: 'What went wrong, for a person' }),
  instance: Type.Optional(Type.String({ description: 'The request path' })),
  requestId: Type.String({ description: 'The request id, also in the x-request-id header and the logs' }),
  errors: Type.Optional(
    Type.Array(
      Type.Object({ path: Type.String(), message: Type.String() }),
      { description: 'Each invalid field and why' }
    )
  )
}, { $id: 'Problem', additionalProperties: true, title: 'Problem' })

export type ProblemBody = Static<typeof ProblemSchema>

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid (problem details name the field and the reason)',
  401: 'Missing, invalid or revoked credentials',
  403: 'The credentials do not grant this operation',
  404: 'Not found',
  409: 'Conflicts with the current state',
  413: 'The request body is too large',
  415: 'The request body is not JSON',
  422: 'The request cannot be processed as sent',
  429: 'Too many requests (code rate_limited): wait Retry-After seconds before sending this again; ' +
    'RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset describe the budget',
  500: 'Unexpected server error',
  503: 'A dependency is busy or unavailable; retry after the Retry-After header'
}

const seconds = (description: string): Record<string, unknown> => ({ type: 'integer', minimum: 0, description })

/** The headers of a 429 (RateLimit-*: draft-ietf-httpapi-ratelimit-headers). */
const TOO_MANY_REQUESTS_HEADERS = {
  'retry-after': seconds('Seconds to wait before sending the request again'),
  'ratelimit-limit': { type: 'integer', minimum: 1, description: 'Requests allowed in the window' },
  'ratelimit-remaining': { type: 'integer', minimum: 0, description: 'Requests left in the window (0)' },
  'ratelimit-reset': seconds('Seconds until the window ends')
}

/**
 * A shared schema by reference (`$ref` to its `$id`), typed as the schema itself. Every shape a
 * client sees has an `$id`, is registered once with `app.addSchema` (app/registry.ts) and is used
 * only through ref(): the document names it under components.schemas, so generated clients get a
 * named type. `options` (a description) sit beside the `$ref`.
 */
export function ref<T extends TSchema> (schema: T, options: SchemaOptions = {}): TUnsafe<Static<T>> {
  if (schema.$id === undefined) throw new Error('ref() takes a schema with an $id')
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id, options))
}

/** Problem-details responses for the given statuses, for a route's `response` schema. */
export function problems (...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {}
  for (const status of statuses) {
    out[status] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'Error',
      ...(status === 429 ? { headers: TOO_MANY_REQUESTS_HEADERS } : {}),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: Type.Ref(ProblemSchema) } }
    } as unknown as TSchema
  }
  return out
}

/** The 304 of a conditional GET (If-None-Match naming the current ETag): no body. */
export function notModified (): Record<number, TSchema> {
  return {
    304: {
      type: 'null',
      description: 'Not modified: the ETag sent in If-None-Match is still current'
    } as unknown as TSchema
  }
}

/** The route-schema key @fastify/swagger copies onto the operation (an `x-` key), read by plugins/openapi.ts. */
export const OPTIONAL_BODY_KEY = 'x-optional-body'

/**
 * Spread into a route's schema when the route accepts no body at all (its body schema then only
 * checks a body that is sent): the document says `requestBody.required: false`, so clients
 * generated from it may omit the body.
 */
export const optionalBody = (): { [OPTIONAL_BODY_KEY]: true } => ({ [OPTIONAL_BODY_KEY]: true })

/** A JSON success response with a description (OpenAPI requires one per status). */
export function json<T extends TSchema> (schema: T, description: string): T {
  return { ...schema, description } as T
}
