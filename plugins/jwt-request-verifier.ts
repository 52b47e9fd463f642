// @fastify/jwt, loaded on the first token instead of at init: it and fast-jwt (with asn1.js and
// bn.js) weigh on the cold start (docs/ARCHITECTURE.md), and only protected routes need them. A plugin cannot be
// registered once the app is ready, so @fastify/jwt is run against a host that records the request
// decorators it adds (it adds only decorators: `jwt`, `user`, `jwtDecode`, `jwtVerify`, `jwtSign`),
// and protected routes call its `jwtVerify` on their own requests. Its decoding, key lookup,
// verification and error codes are @fastify/jwt's own, unchanged.
import fastifyJwt, { type FastifyJWTOptions } from '@fastify/jwt'
import type { FastifyInstance, FastifyRequest } from 'fastify'

type Done = (err: Error | null, claims?: unknown) => void
type RequestVerify = (this: FastifyRequest, options: undefined, done: Done) => void

export type RequestVerifier = (request: FastifyRequest) => Promise<unknown>

export async function createRequestVerifier (options: FastifyJWTOptions): Promise<RequestVerifier> {
  const requestDecorators = new Map<string, unknown>()
  const host = {
    decorate () {},
    decorateReply () {},
    decorateRequest (name: string, value: unknown) { requestDecorators.set(name, value) }
  }
  await new Promise<void>((resolve, reject) => {
    fastifyJwt(
      host as unknown as FastifyInstance,
      options,
      (err?: Error) => { err === undefined ? resolve() : reject(err) }
    )
  })
  const verify = requestDecorators.get('jwtVerify')
  if (typeof verify !== 'function') throw new Error('@fastify/jwt added no jwtVerify request decorator')
  const jwtVerify = verify as RequestVerify
  // Callback form: the promise form would call request.jwtVerify, which the app does not decorate.
  return async (request) => await new Promise((resolve, reject) => {
    jwtVerify.call(request, undefined, (err, claims) => { err === null ? resolve(claims) : reject(err) })
  })
}
