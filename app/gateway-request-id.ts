// The request id behind API Gateway is API Gateway's own (requestContext.requestId: the id its
// access log carries, with the caller's IP), never one the caller sends. @fastify/aws-lambda passes
// it as x-request-id, but only when the caller sent none; so the Lambda handler first moves the
// caller's x-request-id (in any letter case) to x-client-request-id, replacing any the caller sent
// under that name. The app, built by that handler with AppDeps.requestIdFromGateway, then takes
// x-request-id as the request id and x-client-request-id as the caller's own: logged as
// clientRequestId and echoed in the x-client-request-id response header, never the request id.
export const CLIENT_REQUEST_ID_HEADER = 'x-client-request-id'
const REQUEST_ID_HEADER = 'x-request-id'

interface GatewayEvent {
  headers?: Record<string, string | undefined> | null
  multiValueHeaders?: Record<string, string[] | undefined> | null
}

/** Removes the named headers (any letter case); answers the first value of the first one found. */
function take (headers: Record<string, unknown> | null | undefined, name: string): string | undefined {
  if (headers == null) return undefined
  let found: string | undefined
  for (const key of Object.keys(headers)) {
    if (key.length !== name.length || key.toLowerCase() !== name) continue
    const value = headers[key]
    found ??= Array.isArray(value) ? (value[0] as string | undefined) : (value as string | undefined)
    delete headers[key]
  }
  return found
}

/** Moves the caller's x-request-id to x-client-request-id (HTTP API 2.0 and REST API 1.0 events). */
export function keepClientRequestIdApart<E> (event: E): E {
  const e = event as GatewayEvent
  take(e.headers, CLIENT_REQUEST_ID_HEADER)
  take(e.multiValueHeaders, CLIENT_REQUEST_ID_HEADER)
  const sent = take(e.headers, REQUEST_ID_HEADER) ?? take(e.multiValueHeaders, REQUEST_ID_HEADER)
  take(e.multiValueHeaders, REQUEST_ID_HEADER)
  if (sent !== undefined) (e.headers ??= {})[CLIENT_REQUEST_ID_HEADER] = sent
  return event
}
