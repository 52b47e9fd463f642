// The SES emulator aws-ses-v2-local, in process: its page at / lists the mail the worker sent,
// and GET /store answers it as JSON.
import type { Server } from 'node:http'

export interface SesLocal { endpoint: string; stop: () => Promise<void> }

export async function startSesLocal (opts: { port: number; host?: string }): Promise<SesLocal> {
  const host = opts.host ?? '127.0.0.1'
  const { default: sesServer } = await import('aws-ses-v2-local') as unknown as {
    default: (o: { host: string; port: number }) => Promise<Server>
  }
  const server = await sesServer({ host, port: opts.port })
  return {
    endpoint: `http://${host}:${opts.port}`,
    stop: async () => {
      server.closeAllConnections?.()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
