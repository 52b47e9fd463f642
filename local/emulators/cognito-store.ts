// cognito-local's store, made safe: it keeps each user pool (and its app clients, and its config)
// as one JSON file, rewritten whole by StormDB after every change. StormDB's own file engine calls
// fs.writeFile for each save without waiting for the previous one, so concurrent requests (20
// signups at once) interleave their writes and leave invalid JSON, and a kill -9 mid-write leaves
// a truncated file; either way the next start fails and every local account is lost.
//
// This engine writes one save at a time, each to a temporary file renamed over the store (rename is
// atomic): the file always holds one complete state, the newest written. The in-memory state is
// cognito-local's own, so no change is lost either. A store that cannot be read (an older version's
// leftovers, a hand edit) stops the start with what to do, never a stack trace.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, renameSync } from 'node:fs'
import { open, rename } from 'node:fs/promises'
import { basename, join, relative } from 'node:path'
import { createRequire } from 'node:module'
import type { DataStore } from 'cognito-local/lib/services/dataStore/dataStore.js'
import type { DataStoreFactory } from 'cognito-local/lib/services/dataStore/factory.js'
import type { Context } from 'cognito-local/lib/services/context.js'
import { StormDBDataStore } from 'cognito-local/lib/services/dataStore/stormDb.js'

/** Requires a package the way cognito-local does (its own dependencies, such as stormdb and pino). */
export const requireFromCognitoLocal = createRequire(
  createRequire(import.meta.url).resolve('cognito-local/package.json')
)

interface StormDb { default: (defaults: object) => unknown; save: () => Promise<void> | null }
const StormDB = requireFromCognitoLocal('stormdb') as new (engine: AtomicFileEngine) => StormDb

/** Where cognito-local keeps its files, under the folder it runs in. */
export const COGNITO_CONFIG_DIR = '.cognito'
export const COGNITO_DB_DIR = join(COGNITO_CONFIG_DIR, 'db')
const TMP_SUFFIX = '.tmp'
/** cognito-server.ts exits with this (sysexits' EX_CONFIG) when the kept store cannot be read. */
export const STORE_UNREADABLE_EXIT = 78

export class CognitoStoreError extends Error {
  /** `message` replaces the standard text (the child process's own report of it). */
  constructor (readonly file: string, reason: string, message?: string) {
    super(message ?? [
      `The local Cognito store ${file} cannot be read (${reason}).`,
      '  It holds the local accounts (cognito-local). It was probably left by an older version of this',
      '  project, whose concurrent writes could corrupt it.',
      '  To start again without the local accounts: npm start -- --reset (wipes all local data),',
      `  or move that file aside (mv ${file} ${file}.broken) to keep the rest.`
    ].join('\n'))
    this.name = 'CognitoStoreError'
  }
}

// The serialisation cognito-local's StormDB instances use: its *Date fields are Date objects in
// memory and ISO strings on disk.
function replaceDates (this: Record<string, unknown>, key: string, value: unknown): unknown {
  if (!key.endsWith('Date')) return value
  const v = this[key]
  return v instanceof Date ? v.toISOString() : value
}
const reviveDates = (key: string, value: unknown): unknown =>
  key.endsWith('Date') && (typeof value === 'string' || typeof value === 'number') ? new Date(value) : value

const serialize = (state: unknown): string => JSON.stringify(state, replaceDates, 2)

function parse (path: string, shownAs: string): unknown {
  const text = readFileSync(path, 'utf8')
  try {
    return text === '' ? {} : JSON.parse(text, reviveDates)
  } catch (err) {
    throw new CognitoStoreError(shownAs, (err as Error).message)
  }
}

/** A StormDB engine: reads once, then writes each save whole, one at a time, through a rename. */
class AtomicFileEngine {
  #queue: Promise<void> = Promise.resolve()

  constructor (readonly path: string, readonly shownAs: string) {}

  init (): unknown {
    if (!existsSync(this.path)) {
      this.#writeSync({})
      return {}
    }
    return this.read()
  }

  read (): unknown {
    return parse(this.path, this.shownAs)
  }

  write (state: unknown): Promise<void> {
    // Serialised when its turn comes, so a queued save writes the newest state.
    const next = this.#queue.then(async () => { await this.#writeAsync(state) })
    this.#queue = next.catch(() => {})
    return next
  }

  #writeSync (state: unknown): void {
    const tmp = `${this.path}.${process.pid}${TMP_SUFFIX}`
    writeFileSync(tmp, serialize(state))
    renameSync(tmp, this.path)
  }

  async #writeAsync (state: unknown): Promise<void> {
    const tmp = `${this.path}.${process.pid}${TMP_SUFFIX}`
    const file = await open(tmp, 'w')
    try {
      await file.writeFile(serialize(state))
      // On disk before it replaces the store: a crash of the machine, too, leaves one whole state.
      await file.datasync()
    } finally {
      await file.close()
    }
    await rename(tmp, this.path)
  }
}

/** cognito-local's DataStoreFactory over AtomicFileEngine. */
export class AtomicDataStoreFactory implements DataStoreFactory {
  constructor (readonly directory: string) {}

  async create (ctx: Context, id: string, defaults: object): Promise<DataStore> {
    mkdirSync(this.directory, { recursive: true })
    const path = join(this.directory, `${id}.json`)
    const db = new StormDB(new AtomicFileEngine(path, relative(process.cwd(), path) || path))
    db.default(defaults)
    ctx.logger.debug({ id }, 'data store ready')
    await db.save()
    return new StormDBDataStore(db as unknown as ConstructorParameters<typeof StormDBDataStore>[0])
  }
}

/**
 * Checks every file of a kept store before cognito-local starts on it, and removes the temporary
 * files a kill -9 may have left. Throws CognitoStoreError naming the first unreadable file.
 */
export function checkCognitoStore (dataDir: string): void {
  for (const dir of [join(dataDir, COGNITO_CONFIG_DIR), join(dataDir, COGNITO_DB_DIR)]) {
    if (!existsSync(dir)) continue
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (name.endsWith(TMP_SUFFIX)) rmSync(path, { force: true })
      else if (name.endsWith('.json')) parse(path, relative(process.cwd(), path) || basename(path))
    }
  }
}
