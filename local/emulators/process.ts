// Child processes of the local stack: tied to their parent (setpriv --pdeathsig KILL, so a crashed
// or killed parent leaves no emulator behind), logged on failure, and stopped with a bounded wait.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import type { Server } from 'node:http'

const HAS_SETPRIV = spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0

export interface Child {
  name: string
  process: ChildProcess
  /** The last lines it printed, for error messages. */
  output: () => string
  stop: () => Promise<void>
}

export function startChild (
  name: string,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}
): Child {
  const [cmd, argv] = HAS_SETPRIV ? ['setpriv', ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, args]
  const child = spawn(
    cmd,
    argv,
    { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] }
  )
  const lines: string[] = []
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split('\n').filter(Boolean))
    if (lines.length > 40) lines.splice(0, lines.length - 40)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let exited = child.exitCode !== null
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve() }))
  child.once('error', () => { exited = true })
  return {
    name,
    process: child,
    output: () => lines.join('\n'),
    stop: async () => {
      if (exited) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exitedPromise
      clearTimeout(timer)
    }
  }
}

export class PortBusyError extends Error {
  constructor (readonly service: string, readonly port: number, hint?: string) {
    super(`Port ${port} (for ${service}) is already in use. Stop what uses it${hint ? `, or ${hint}` : ''}.`)
    this.name = 'PortBusyError'
  }
}

/** A free port from the OS (port 0), or a check that the given one is free. */
export async function reservePort (service: string, port = 0, host = '127.0.0.1', hint?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new PortBusyError(service, port, hint) : err)
    })
    server.listen(port, host, () => {
      const address = server.address()
      const chosen = typeof address === 'object' && address !== null ? address.port : port
      server.close(() => resolve(chosen))
    })
  })
}

/** Polls `probe` until it resolves, failing after `timeoutMs` with the child's output. */
export async function waitUntilReady (
  child: Child | undefined,
  probe: () => Promise<unknown>,
  timeoutMs: number
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    if (child && child.process.exitCode !== null) {
      throw new Error(`${child.name} exited with code ${child.process.exitCode}:\n${child.output()}`)
    }
    try {
      await probe()
      return
    } catch (err) {
      lastError = err
      await new Promise((resolve) => setTimeout(resolve, 150))
    }
  }
  throw new Error(
    `${child?.name ??
      'service'} was not ready after ${timeoutMs} ms (${String(lastError)})${child ? `:\n${child.output()}` : ''}`
  )
}

/** Starts `server` listening on host:port (0: a free port) and gives its URL; rejects if the port is taken. */
export async function listen (server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  return `http://${host}:${(server.address() as AddressInfo).port}`
}
