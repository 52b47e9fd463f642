// Fastify compiles every route's validators (Ajv) and response serializers (fast-json-stringify) at
// ready(), which is the Lambda's init: dozens of routes and their problem responses, of which a
// container may serve one. These factories wrap Fastify's own compilers (the very same ones, with
// the same options) so each validator and serializer is compiled on its first use and kept. A
// broken schema would then fail its route's first request rather than start-up, so
// test/unit/route-schemas.test.ts compiles every route's schemas. Header schemas must use
// lower-case names (Fastify lower-cases them only for its default compiler).
//
// The Lambda bundle goes further: scripts/compile-schemas.ts generates every validator and
// serializer at build time (Ajv's and fast-json-stringify's standalone code), and the bundle looks
// them up here by route and schema hash, so neither Ajv nor fast-json-stringify compiles anything
// in Lambda. A schema that differs from the one compiled at build time has another hash and is
// compiled on first use as above.
import { createHash } from 'node:crypto'
import type { FastifyServerOptions } from 'fastify'
import { loadSchemaCompilers } from './schema-compilers.js'

type AnyFn = (...args: any[]) => any

/** Build-time compiled validators and serializers, by schemaKey(); each made on its first call. */
export interface CompiledSchemas {
  validators: Record<string, () => AnyFn>
  serializers: Record<string, () => AnyFn>
}

export interface SchemaRoute {
  schema: unknown
  method: string | string[]
  url: string
  httpPart?: string
  httpStatus?: string
  contentType?: string
}

/** Where a compiled schema is filed: the route, the part or status, and a hash of the schema. */
export function schemaKey (route: SchemaRoute): string {
  const part = route.httpPart ?? `${route.httpStatus ?? ''} ${route.contentType ?? ''}`
  const hash = createHash('sha256').update(JSON.stringify(route.schema)).digest('base64url').slice(0, 16)
  return `${String(route.method)} ${route.url} ${part} ${hash}`
}

/**
 * The first value of a validated (coerced) object that is a number but not a finite one. Ajv turns
 * `?limit=1e999` (or 400 digits) into Infinity and then skips `minimum`/`maximum`, which it checks
 * only on finite numbers: such a value must fail validation, not reach DynamoDB.
 */
export function nonFiniteField (data: unknown): string | undefined {
  if (data === null || typeof data !== 'object') return undefined
  for (const key in data) {
    const value = (data as Record<string, unknown>)[key]
    if (typeof value === 'number' && !Number.isFinite(value)) return key
  }
  return undefined
}

/**
 * Whether a schema may coerce a string to a number: it names a numeric type, or a $ref that could
 * (a cautious yes). One that cannot (an item id's params) has no number to check on each request.
 */
function mayCoerceToNumber (schema: unknown): boolean {
  return /"(?:number|integer)"|"\$ref"/.test(JSON.stringify(schema) ?? '')
}

/**
 * A function that compiles `compile()` on its first call, then behaves as the compiled function.
 * A validator of the parts Ajv coerces from strings (querystring, params, headers) also refuses
 * non-finite numbers when its schema can coerce to one (`finiteOnly`, asked once, at that first call).
 */
function lazy<F extends AnyFn> (compile: () => F, copyErrors: boolean, finiteOnly: () => boolean = () => false): F {
  let fn: F | undefined
  let checkFinite = false
  // Fastify calls validators with (data, context) and serializers with (data): fixed arguments,
  // no rest array per call.
  const wrapper = function (this: unknown, data: unknown, context?: unknown): unknown {
    if (fn === undefined) {
      fn = compile()
      checkFinite = finiteOnly()
    }
    const out = fn.call(this, data, context) as unknown
    // Fastify reads a failed validation's errors from the function itself.
    if (copyErrors) (wrapper as unknown as { errors: unknown }).errors = (fn as unknown as { errors: unknown }).errors
    if (checkFinite && out === true) {
      const key = nonFiniteField(data)
      if (key !== undefined) {
        (wrapper as unknown as { errors: unknown }).errors = [{
          instancePath: `/${key}`,
          keyword: 'type',
          params: { type: 'number' },
          message: 'must be a finite number'
        }]
        return false
      }
    }
    return out
  } as F
  // Fastify passes the root's parent (Ajv mutates roots through it) only when it sees schemaEnv.
  if (copyErrors) Object.assign(wrapper, { schemaEnv: true, errors: null })
  return wrapper
}

/** Fastify's compiler, made on first need (loading and making it costs milliseconds of init). */
function deferred (
  factory: (compilers: ReturnType<typeof loadSchemaCompilers>) => AnyFn,
  externalSchemas: unknown,
  options: unknown
): () => AnyFn {
  let compiler: AnyFn | undefined
  return () => (compiler ??= factory(loadSchemaCompilers())(externalSchemas, options) as AnyFn)
}

type SchemaController = NonNullable<FastifyServerOptions['schemaController']>

export function lazySchemaController (compiled?: CompiledSchemas): SchemaController {
  const buildValidator = (c: ReturnType<typeof loadSchemaCompilers>): AnyFn => c.AjvCompiler() as AnyFn
  const buildSerializer = (c: ReturnType<typeof loadSchemaCompilers>): AnyFn => c.SerializerSelector() as AnyFn
  const prebuilt = (table: Record<string, () => AnyFn> | undefined, route: SchemaRoute): AnyFn | undefined =>
    table === undefined ? undefined : table[schemaKey(route)]?.()
  return {
    compilersFactory: {
      buildValidator: ((externalSchemas: unknown, options: unknown) => {
        const compiler = deferred(buildValidator, externalSchemas, options)
        return (route: SchemaRoute) => lazy(() => prebuilt(compiled?.validators, route) ??
          compiler()(route) as AnyFn, true,
        () =>
          (route.httpPart === 'querystring' || route.httpPart === 'params' || route.httpPart === 'headers') &&
              mayCoerceToNumber(route.schema))
      }) as never,
      buildSerializer: ((externalSchemas: unknown, options: unknown) => {
        const compiler = deferred(buildSerializer, externalSchemas, options)
        return (route: SchemaRoute) => lazy(
          () => prebuilt(compiled?.serializers, route) ?? compiler()(route) as AnyFn,
          false
        )
      }) as never
    }
  }
}
