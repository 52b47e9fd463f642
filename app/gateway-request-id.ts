// The request id behind API Gateway is API Gateway's own (requestContext.requestId: the id its
// access log carries, with the caller's IP), never one the caller sends. The Lambda handler copies
// it into a header of ours on every event, after removing any copy the caller sent in any letter
// case, and the app reads it only when built by that handler (AppDeps.requestIdFromGateway). A
// caller's own x-request-id is kept apart: logged as clientRequestId, echoed as x-client-request-id.
export const GATEWAY_REQUEST_ID_HEADER = 'x-gateway-request-id'

interface GatewayEvent {
  headers?: Record<string, string | undefined> | null
  multiValueHeaders?: Record<string, string[] | undefined> | null
  requestContext?: { requestId?: unknown }
}

const dropCallerCopies = (headers: Record<string, unknown> | null | undefined): void => {
  if (headers == null) return
  for (const name of Object.keys(headers)) {
    if (name.length === GATEWAY_REQUEST_ID_HEADER.length && name.toLowerCase() === GATEWAY_REQUEST_ID_HEADER) delete headers[name]
  }
}

/** Puts API Gateway's request id in GATEWAY_REQUEST_ID_HEADER (HTTP API 2.0 and REST API 1.0 events). */
export function markGatewayRequestId<E> (event: E): E {
  const e = event as GatewayEvent
  dropCallerCopies(e.headers)
  dropCallerCopies(e.multiValueHeaders)
  const id = e.requestContext?.requestId
  if (typeof id === 'string' && id !== '') (e.headers ??= {})[GATEWAY_REQUEST_ID_HEADER] = id
  return event
}
