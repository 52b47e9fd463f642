// For developers who use fastify-cli: `NODE_OPTIONS=--import=tsx fastify start -o app/cli.ts`
// (-o: with our server options). It loads the same app plugin with the configuration read from the
// environment; `npm run start:cli` (local/cli.ts) reads it from the running local stack instead.
import type { FastifyInstance } from 'fastify'
import { loadConfig } from '../core/config.js'
import { appPlugin, serverOptions } from './app.js'

const config = loadConfig()

export const options = serverOptions(config)

// fastify-cli insists on the (instance, options) signature.
export default async function app (fastify: FastifyInstance, _opts: object): Promise<void> {
  await fastify.register(appPlugin, { config })
}
