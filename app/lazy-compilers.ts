// Fastify compiles every route's validators (Ajv) and response serializers (fast-json-stringify) at
// ready(), which is the Lambda's init: dozens of routes and their problem responses, of which a
// container may serve one. These factories wrap Fastify's own compilers (the very same ones, with
// the same options) so each validator and serializer is compiled on its first use and kept. A
// broken schema then fails its route's first request rather than start-up; the route tests compile
// every route's schemas. Header schemas must use lower-case names (Fastify lower-cases them only for
// its default compiler).
import AjvCompiler from '@fastify/ajv-compiler'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { FastifyServerOptions } from 'fastify'

type AnyFn = (...args: any[]) => any

/** A function that compiles `compile()` on its first call, then behaves as the compiled function. */
function lazy<F extends AnyFn> (compile: () => F, copyErrors: boolean): F {
  let fn: F | undefined
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    fn ??= compile()
    const out = fn.apply(this, args) as unknown
    // Fastify reads a failed validation's errors from the function itself.
    if (copyErrors) (wrapper as unknown as { errors: unknown }).errors = (fn as unknown as { errors: unknown }).errors
    return out
  } as F
  // Fastify passes the root's parent (Ajv mutates roots through it) only when it sees schemaEnv.
  if (copyErrors) Object.assign(wrapper, { schemaEnv: true, errors: null })
  return wrapper
}

export function lazySchemaController (): NonNullable<FastifyServerOptions['schemaController']> {
  const buildValidator = AjvCompiler()
  const buildSerializer = SerializerSelector()
  return {
    compilersFactory: {
      buildValidator: ((externalSchemas: unknown, options: unknown) => {
        const compiler = (buildValidator as AnyFn)(externalSchemas, options) as AnyFn
        return (route: unknown) => lazy(() => compiler(route) as AnyFn, true)
      }) as never,
      buildSerializer: ((externalSchemas: unknown, options: unknown) => {
        const compiler = (buildSerializer as AnyFn)(externalSchemas, options) as AnyFn
        return (route: unknown) => lazy(() => compiler(route) as AnyFn, false)
      }) as never
    }
  }
}
