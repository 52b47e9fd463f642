// `npm run start:cli`: the API under fastify-cli (`fastify start -o`: its flags, its --watch), served
// as `npm start` serves it: the same server options (our request ids, one log line per request, the
// error handlers), on 127.0.0.1 (the script passes -a), against the running `npm start` stack,
// whose endpoints and ids it reads from that stack's data folder (running.json; LOCAL_DATA_DIR if
// the stack was given one). Give it a port of its own: PORT=3001 npm run start:cli.
import type { FastifyInstance } from 'fastify'
import { loadConfig } from '../core/config.js'
import { appPlugin, serverOptions } from '../app/app.js'
import { runningStackOrExit } from './data-lock.js'

const running = runningStackOrExit()
// The stack's endpoints and ids win over the shell's; the rest (LOG_LEVEL, keys, ...) from the shell.
const config = loadConfig({ ...process.env, ...running.env, STAGE: 'local' })

export const options = serverOptions(config)

// fastify-cli insists on the (instance, options) signature.
export default async function app (fastify: FastifyInstance, _opts: object): Promise<void> {
  await fastify.register(appPlugin, { config })
}
