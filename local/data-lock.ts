// One `npm start` per data folder. Two stacks on one `.local-data/` would run two DynamoDB Local
// processes on one database file, two Cognito emulators on one store and two workers on one
// stream (an order on one stack got its webhook and email from the other). The first start writes
// `running.json` there (its pid and ports, later its endpoints and ids, which `npm run start:cli`
// reads); a second start is refused while that pid lives. A file left by a
// stack that died without cleaning up (kill -9, a power cut) names a dead pid and is taken over.
// --in-memory stacks keep nothing on disk, share nothing, and take no lock.
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const LOCK_FILE = 'running.json'

/** The data folder of `npm start`: LOCAL_DATA_DIR, or `.local-data/` in the repository. */
export function localDataDir (env: Record<string, string | undefined> = process.env): string {
  const given = env.LOCAL_DATA_DIR
  if (given !== undefined && given !== '') return resolve(given)
  return join(dirname(dirname(fileURLToPath(import.meta.url))), '.local-data')
}

export interface RunningStack {
  pid: number
  startedAt: string
  /** The ports the stack was asked for (API, emulators, bus, partner simulator). */
  ports: Record<string, number>
  /** Filled in once the stack is up: endpoints and ids other commands need. */
  endpoints?: Record<string, string>
  env?: Record<string, string>
}

export class DataFolderLockedError extends Error {
  constructor (readonly dir: string, readonly holder: RunningStack) {
    const ports = Object.entries(holder.ports).map(([name, port]) => `${name} ${port}`).join(', ')
    super(`Another npm start (pid ${holder.pid}, since ${holder.startedAt}; ports: ${ports}) is using ` +
      `the data folder ${dir}.\nTwo stacks on one folder would share its tables, user pool, queues and stream. ` +
      'Stop that one ' +
      `(Ctrl-C in its terminal, or kill ${holder.pid}), or start this one with its own folder ` +
      '(LOCAL_DATA_DIR=<another folder>) or with --in-memory.')
    this.name = 'DataFolderLockedError'
  }
}

/** Whether a process with this pid exists (EPERM: it does, but is someone else's). */
export function pidAlive (pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The stack recorded in `dir`, if its process still runs. */
export function readRunningStack (dir: string): RunningStack | undefined {
  let holder: RunningStack
  try {
    holder = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as RunningStack
  } catch {
    return undefined
  }
  return pidAlive(holder.pid) ? holder : undefined
}

/**
 * The stack running on the data folder, with the endpoints and ids it recorded once up; otherwise
 * says how to start one and exits 1 (the commands that work against a running stack).
 */
export function runningStackOrExit (): RunningStack & { env: Record<string, string> } {
  const dir = localDataDir()
  const running = readRunningStack(dir)
  if (running?.env === undefined) {
    console.error(`No running local stack found in ${dir}: start one with \`npm start\` in another terminal first ` +
      '(an --in-memory stack writes nothing there, so it cannot be found; LOCAL_DATA_DIR names another folder).')
    process.exit(1)
  }
  return { ...running, env: running.env }
}

export interface DataLock {
  /** Records what the stack serves (endpoints, ids) beside its pid and ports. */
  update: (more: Pick<RunningStack, 'endpoints' | 'env'>) => void
  /** Removes the lock if it is still ours; safe to call more than once, and from an exit handler. */
  release: () => void
}

/** Takes `dir`'s lock for this process or throws DataFolderLockedError naming the holder. */
export function acquireDataLock (dir: string, ports: Record<string, number>, pid = process.pid): DataLock {
  const file = join(dir, LOCK_FILE)
  let record: RunningStack = { pid, startedAt: new Date().toISOString(), ports }
  // Written whole to a file of our own, then linked into place: link fails if the lock exists, so
  // of two starts only one wins, and no reader ever sees half a file.
  const write = (): string => {
    const tmp = `${file}.${pid}.tmp`
    writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`)
    return tmp
  }
  for (let attempt = 0; ; attempt++) {
    const tmp = write()
    try {
      linkSync(tmp, file)
      rmSync(tmp, { force: true })
      break
    } catch (err) {
      rmSync(tmp, { force: true })
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    let holder: RunningStack | undefined
    try {
      holder = JSON.parse(readFileSync(file, 'utf8')) as RunningStack
    } catch {
      holder = undefined
    }
    if (holder !== undefined && pidAlive(holder.pid) && holder.pid !== pid) throw new DataFolderLockedError(dir, holder)
    // A dead holder's (or an unreadable) lock: taken over once; a second failure means a race lost.
    if (attempt > 0) throw new DataFolderLockedError(dir, holder ?? { pid: 0, startedAt: '?', ports: {} })
    rmSync(file, { force: true })
  }
  let released = false
  const ours = (): boolean => {
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as RunningStack).pid === pid
    } catch {
      return false
    }
  }
  return {
    update: (more) => {
      if (released) return
      record = { ...record, ...more }
      renameSync(write(), file)
    },
    release: () => {
      if (released) return
      released = true
      if (ours()) rmSync(file, { force: true })
    }
  }
}
