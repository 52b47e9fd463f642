// The path prefix a browser sees in front of the app's own paths: a REST API stage (`/dev`), a
// custom domain's base path (`/shop`), or nothing (HTTP API `$default` stage, local server). The
// Swagger UI needs it for its redirects and for the `servers` that "Try it out" calls.

interface LambdaEventLike {
  httpMethod?: unknown
  requestContext?: { path?: unknown; stage?: unknown; http?: { path?: unknown } }
}

// Only plain path segments: the prefix is written into a Location header and the document.
const SAFE_PREFIX = /^(?:\/[A-Za-z0-9._~-]+)+$/

/**
 * The prefix of `appPath` in the path the client requested, from the API Gateway event that
 * @fastify/aws-lambda decorates the request with (`request.awsLambda.event`); '' without one.
 */
export function externalBasePath (event: unknown, appPath: string): string {
  if (event === null || typeof event !== 'object') return ''
  const { httpMethod, requestContext: rc } = event as LambdaEventLike
  // REST API (1.0): requestContext.path is what the client asked for, stage or base path
  // included; HTTP API (2.0): requestContext.http.path.
  const clientPath = typeof rc?.path === 'string' ? rc.path : rc?.http?.path
  let prefix = ''
  if (typeof clientPath === 'string' && clientPath !== appPath && clientPath.endsWith(appPath)) {
    prefix = clientPath.slice(0, clientPath.length - appPath.length)
  } else if (clientPath === undefined && httpMethod !== undefined && typeof rc?.stage === 'string' &&
    rc.stage !== '$default') {
    prefix = `/${rc.stage}`
  }
  prefix = prefix.replace(/\/+$/, '')
  return SAFE_PREFIX.test(prefix) ? prefix : ''
}

/** The document with the one server "Try it out" should call: the prefix, or `/`. */
export function withServers<T extends object> (document: T, basePath: string): T & {
  servers: Array<{ url: string; description: string }>
} {
  return {
    ...document,
    servers: [{ url: basePath === '' ? '/' : basePath, description: 'This API, where this document was served' }]
  }
}
