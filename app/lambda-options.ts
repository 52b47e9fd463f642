// How @fastify/aws-lambda turns API Gateway events into requests and answers back (app/lambda.ts;
// tests that wrap the app themselves use the same options). API Gateway sends a body as UTF-8 text
// unless the answer says isBase64Encoded, and the adapter encodes only the types it is told are
// binary: Swagger UI's favicons (PNG) went out as text and arrived corrupted. So every answer that
// is not text is encoded: images, fonts, archives, octet streams, compressed bodies. (The HTTP API
// in infra/template.yaml decodes such a body by itself; behind a REST API, the API's
// binaryMediaTypes must also list the type, or `*/*`.)

const TEXT_TYPES = /^(?:text\/|application\/(?:[\w.-]+\+)?(?:json|xml)$|application\/(?:javascript|ecmascript|x-www-form-urlencoded|x-yaml|yaml)$|image\/svg\+xml$)/

/** Whether a media type (its parameters ignored) is text that survives the trip as UTF-8. */
export const isTextMediaType = (contentType: string): boolean => TEXT_TYPES.test(
  contentType.split(';', 1)[0]!.trim().toLowerCase()
)

interface ResponseLike { headers: Record<string, unknown> }

/**
 * @fastify/aws-lambda's `enforceBase64`: true for a body that is not text. It replaces the
 * adapter's default check (a content-encoding other than identity), which stays part of it.
 */
export function isBinaryResponse (res: ResponseLike): boolean {
  const encoding = res.headers['content-encoding']
  if (typeof encoding === 'string' && encoding !== '' && encoding !== 'identity') return true
  const type = res.headers['content-type']
  return typeof type === 'string' && type !== '' && !isTextMediaType(type)
}

/** The adapter's options, less `decorateRequest`, which app/lambda.ts sets per route family. */
export const PROXY_OPTIONS = {
  // `?q=a,b` is a search for "a,b", not a list.
  parseCommaSeparatedQueryParams: false,
  enforceBase64: isBinaryResponse
}
