// The contract check, so the OpenAPI document can't lie: every response a test app sends is checked
// against what the document says that operation answers for that status (its content type and its
// schema, Problem included). Violations are recorded and fail the test at teardown.
// The same checker serves the browser test, which sees responses from outside the app.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import Ajv2020Module from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { ValidateFunction } from 'ajv'

// CommonJS packages under NodeNext: the classes are on `.default`.
const Ajv2020 = Ajv2020Module.default
const addFormats = addFormatsModule.default

type Json = Record<string, any>

export interface ObservedResponse {
  method: string
  /** The operation's path as the document writes it (`/items/{itemId}`) or as Fastify does (`/items/:itemId`). */
  route: string
  status: number
  contentType?: string
  /** The raw body; JSON bodies are parsed here. */
  body?: string
  /** The body was a stream, not read here: only the status and content type are checked. */
  streamed?: boolean
}

/** OpenAPI path templates from Fastify's route syntax: `/items/:itemId` -> `/items/{itemId}`. */
export const openapiPath = (route: string): string => route.replace(/:([A-Za-z0-9_]+)/g, '{$1}')

const escapePointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1')
const mediaType = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]!.trim().toLowerCase()
const isJson = (type: string): boolean => type === 'application/json' || type.endsWith('+json')

export interface ContractChecker {
  /** Problems with one response, empty when it matches the document. */
  check: (res: ObservedResponse) => string[]
  /** Whether the document has this operation at all. */
  documents: (method: string, route: string) => boolean
  /** Errors of `value` against the schema at a JSON pointer into the document (examples, for instance). */
  validate: (pointer: string, value: unknown) => string[]
  /** The documented path template a concrete path matches (`/orders/abc` -> `/orders/{orderId}`). */
  routeOf: (method: string, path: string) => string | undefined
}

/** The JSON pointer of a schema in the document, from its path segments. */
export const pointer = (...segments: string[]): string => segments.map((s) => `/${escapePointer(s)}`).join('')

export function createContractChecker (document: unknown): ContractChecker {
  const doc = structuredClone(document) as Json
  // OpenAPI 3.1 schemas are JSON Schema 2020-12; `example` and OpenAPI's own keywords are not
  // validation keywords, so strict mode is off. The whole document is one schema, so
  // `#/components/schemas/Problem` refs resolve inside it.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true })
  addFormats(ajv)
  ajv.addSchema(doc, 'openapi')
  const compiled = new Map<string, ValidateFunction>()
  const validator = (pointer: string): ValidateFunction => {
    let fn = compiled.get(pointer)
    if (fn === undefined) {
      fn = ajv.compile({ $ref: `openapi#${pointer}` })
      compiled.set(pointer, fn)
    }
    return fn
  }

  const operation = (method: string, route: string): Json | undefined =>
    doc.paths?.[openapiPath(route)]?.[method.toLowerCase()]

  // Literal paths first, so `/orders/{orderId}` never claims a literal sibling.
  const templates = Object.keys(doc.paths ?? {})
    .sort((x, y) => x.split('{').length - y.split('{').length)
    .map((template) => ({
      template,
      pattern: new RegExp(
        `^${template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]+')}/?$`
      )
    }))

  return {
    documents: (method, route) => operation(method, route) !== undefined,
    routeOf: (method, path) => templates.find(({ template, pattern }) =>
      pattern.test(path) && doc.paths[template][method.toLowerCase()] !== undefined)?.template,
    validate (at, value) {
      const validate = validator(at)
      return validate(value)
        ? []
        : (validate.errors ?? []).map((e) =>
        `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
    },
    check (res) {
      const path = openapiPath(res.route)
      const where = `${res.method} ${path} -> ${res.status}`
      // HEAD is GET without the body (Fastify adds it to every GET route): only its status is checked.
      if (res.method === 'HEAD') return this.check({ ...res, method: 'GET', body: undefined, streamed: true })
      const op = operation(res.method, res.route)
      if (op === undefined) return [`${where}: the operation is not in the OpenAPI document`]
      const statusKey = String(res.status) in op.responses
        ? String(res.status)
        : ('default' in op.responses ? 'default' : undefined)
      if (statusKey === undefined) {
        return [
          `${where}: status ${res.status} is not documented (documented: ${Object.keys(op.responses).join(', ')})`
        ]
      }
      const content = op.responses[statusKey].content as Json | undefined
      const type = mediaType(res.contentType)
      if (res.streamed === true) {
        return content === undefined || type in content
          ? []
          : [
          `${where}: answered ${type}, the document declares ${Object.keys(content).join(', ')}`
            ]
      }
      // Fastify drops the body of a 204 or 304 after onSend, so nothing reaches the client.
      const hasBody = res.body !== undefined && res.body.length > 0 && res.status !== 204 && res.status !== 304
      if (content === undefined) {
        return hasBody ? [`${where}: answered a ${type || 'untyped'} body, the document declares none`] : []
      }
      if (!hasBody) return [`${where}: answered no body, the document declares ${Object.keys(content).join(', ')}`]
      if (!(type in content)) {
        return [
          `${where}: answered ${type || 'no content type'}, the document declares ${Object.keys(content).join(', ')}`
        ]
      }
      if (!isJson(type) || content[type].schema === undefined) return []
      let body: unknown
      try {
        body = JSON.parse(res.body!)
      } catch {
        return [`${where}: the ${type} body is not JSON`]
      }
      const validate = validator(
        pointer('paths', path, res.method.toLowerCase(), 'responses', statusKey, 'content', type, 'schema')
      )
      if (validate(body)) return []
      return (validate.errors ?? []).map((e) =>
        `${where}: body${e.instancePath} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`)
    }
  }
}

/** The part of a tap test the check needs: `fail` reports at once, else violations fail teardown. */
export interface ContractTest {
  teardown: (fn: () => unknown) => void
  fail?: (message: string) => unknown
}

function payloadText (payload: unknown): { body?: string; streamed?: boolean } {
  if (payload === undefined || payload === null) return {}
  if (typeof payload === 'string') return { body: payload }
  if (Buffer.isBuffer(payload)) return { body: payload.toString('utf8') }
  return { streamed: true }
}

/**
 * Checks every response of a test app against its OpenAPI document; call before `app.ready()`.
 * Routes hidden from the document (Swagger UI, CORS preflights) and the not-found handler are
 * not operations, so they are not checked. Each violation fails the test where the response was
 * sent (`t.fail`), so a failing test names the request; anything recorded later fails teardown.
 */
export function installContractCheck (app: FastifyInstance, t: ContractTest): { violations: string[] } {
  const violations: string[] = []
  let reported = 0
  const report = (found: string[]): void => {
    violations.push(...found)
    if (t.fail === undefined) return
    for (const v of found) t.fail(`the response contradicts the OpenAPI document: ${v}`)
    reported = violations.length
  }
  let checker: ContractChecker | undefined
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const route = request.routeOptions.url
    if (route === undefined || request.routeOptions.schema?.hide === true || request.is404) return payload
    try {
      checker ??= createContractChecker(app.swagger())
      report(checker.check({
        method: request.method,
        route,
        status: reply.statusCode,
        contentType: String(reply.getHeader('content-type') ?? ''),
        ...payloadText(payload)
      }))
    } catch (err) {
      report([`${request.method} ${route}: the contract check failed: ${(err as Error).message}`])
    }
    return payload
  })
  // Only for what `fail` could not report: a throw in a teardown skips the teardowns after it.
  t.teardown(() => {
    const unreported = violations.slice(reported)
    if (unreported.length > 0) {
      throw new Error(`responses that contradict the OpenAPI document:\n  ${[...new Set(unreported)].join('\n  ')}`)
    }
  })
  return { violations }
}
