// Child processes of the bench: every one is tracked and killed on every exit path (a normal end,
// an error, Ctrl-C), so no probe or server outlives the run.
import { spawn, type ChildProcess } from 'node:child_process'

const children = new Set<ChildProcess>()
const cleanups = new Set<() => Promise<void> | void>()

/** Registers work to do when the bench ends, however it ends; returns a function that unregisters it. */
export function onExit (fn: () => Promise<void> | void): () => void {
  cleanups.add(fn)
  return () => { cleanups.delete(fn) }
}

export async function cleanUp (): Promise<void> {
  for (const child of children) child.kill('SIGKILL')
  children.clear()
  const fns = [...cleanups]
  cleanups.clear()
  await Promise.allSettled(fns.map(async (fn) => fn()))
}

export interface ProbeRun<T> { result: T; wallMs: number }

/**
 * Runs `node <script> ...args` and reads the one JSON line it writes on fd 3. The wall time is from
 * spawn to exit: the process start, the import and the answer. `node` is this process's Node unless
 * given (the cold-start case also runs Node 22, the Lambda runtime's version).
 */
export async function runProbe<T> (
  script: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
  node = process.execPath
): Promise<ProbeRun<T>> {
  const started = performance.now()
  const child = spawn(node, [script, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'pipe']
  })
  children.add(child)
  let out = ''
  let err = ''
  child.stdio[3]?.on('data', (c: Buffer) => { out += c.toString('utf8') })
  child.stderr?.on('data', (c: Buffer) => { err += c.toString('utf8') })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)))
  const wallMs = performance.now() - started
  clearTimeout(timer)
  children.delete(child)
  const line = out.trim().split('\n').pop() ?? ''
  let parsed: (T & { error?: string }) | undefined
  try { parsed = JSON.parse(line) as T & { error?: string } } catch { parsed = undefined }
  if (code !== 0 || parsed === undefined || parsed.error !== undefined) {
    throw new Error(
      `probe ${args[0] ?? script} failed (exit ${code}): ${parsed?.error ??
        err.trim().split('\n').slice(-5).join(' | ')}`
    )
  }
  return { result: parsed, wallMs }
}
