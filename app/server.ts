// The local HTTP server: the same app the Lambda runs, listening on a port.
import type { FastifyInstance } from 'fastify'
import { pathToFileURL } from 'node:url'
import { ConfigError, loadConfig, type Config } from '../core/config.js'
import { buildApp, type AppDeps } from './app.js'

export interface ListenOptions { port: number; host?: string }

export class PortInUseError extends Error {
  constructor (readonly port: number) {
    super(`Port ${port} is already in use. Stop whatever is using it, or choose another port with PORT=<n>.`)
    this.name = 'PortInUseError'
  }
}

export async function startServer (
  config: Config,
  listen: ListenOptions,
  deps: AppDeps = {}
): Promise<FastifyInstance> {
  const app = buildApp(config, deps)
  try {
    await app.listen({ port: listen.port, host: listen.host ?? '127.0.0.1' })
  } catch (err) {
    await app.close().catch(() => {})
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(listen.port)
    throw err
  }
  return app
}

// `node --import tsx app/server.ts`: the API alone, against whatever the environment points at.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const app = await startServer(loadConfig(), { port: Number(process.env.PORT ?? 3000), host: process.env.HOST })
    const stop = (): void => { app.close().then(() => process.exit(0), () => process.exit(1)) }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  } catch (err) {
    console.error(err instanceof ConfigError || err instanceof PortInUseError ? err.message : err)
    process.exit(1)
  }
}
