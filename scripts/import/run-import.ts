// The bulk import's engine: a JSON Lines catalog, one item a line with the id it should have,
// sent through the admin API (PUT /items/{itemId}: creates or replaces), several requests at a
// time. Rerun-safe by construction: ids come from the file and PUT of the same body changes
// nothing, so running the same file again after a crash or Ctrl-C neither duplicates nor loses
// an item. A line the API refuses (or that is not an item) is reported with its number and every
// reason at once (the API names the first invalid field; the same schema, checked here, names them
// all); the others still go in. A line without `colorPreference` is an item without colours.
// scripts/import-catalog.ts is the command.
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { Value } from '@sinclair/typebox/value'
import { ITEM_SCHEMAS, PutItemBody } from '../../routes/items-schemas.js'
import { validateItemInput, type ItemInput } from '../../domain/catalog.js'
import { Problem } from '../../core/problem.js'

export interface Refusal { line: number; id?: string; status?: number; code?: string; reason: string }

export interface ImportSummary {
  /** Non-blank lines read. */
  lines: number
  created: number
  replaced: number
  refused: Refusal[]
  /** Stopped early (Ctrl-C, or the API refused the credentials); `nextLine` is the first line not sent. */
  interrupted: boolean
  nextLine?: number
  /** Why it stopped early, when the API made it stop. */
  stopReason?: string
}

export type ImportEvent =
  | { kind: 'created' | 'replaced'; line: number; id: string }
  | { kind: 'refused'; refusal: Refusal }

export interface ImportAuth {
  /** The bearer token to send. */
  token: () => Promise<string>
  /** A fresh token after a 401 (sign in again); absent when the token cannot be renewed. */
  renew?: () => Promise<string>
}

export interface ImportOptions {
  file: string
  apiUrl: string
  auth: ImportAuth
  concurrency?: number
  signal?: AbortSignal
  onEvent?: (event: ImportEvent) => void
  /** Attempts per line for answers worth retrying (429, 5xx, network errors). */
  attempts?: number
  /** Backoff before attempt n (1-based) when the answer gave no Retry-After. */
  backoffMs?: (attempt: number) => number
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504])

class StopImport extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'StopImport'
  }
}

/**
 * Everything wrong with an item's body, as `body.<path> <message>` lines: the route's schema (every
 * error, where the API stops at the first) and the domain's own checks (repeated colour codes).
 */
export function itemErrors (body: Record<string, unknown>): string[] {
  // The named shapes it refers to (ref(Color)) are resolved from the route schemas' list.
  const errors = [...Value.Errors(PutItemBody, ITEM_SCHEMAS, body)].map((e) => {
    const path = e.path.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('')
    return `body${path} ${e.message}`
  })
  if (errors.length > 0) return [...new Set(errors)]
  try {
    validateItemInput(body as unknown as ItemInput)
  } catch (err) {
    if (!(err instanceof Problem)) throw err
    return ((err.extras.errors ?? []) as Array<{ path: string; message: string }>).map((e) => `${e.path} ${e.message}`)
  }
  return []
}

/** A problem+json answer as one line: "400 validation_failed: body.price must be >= 0". */
function describeProblem (status: number, body: unknown, allErrors: string[] = []): { code?: string; reason: string } {
  const p = (body ?? {}) as { code?: unknown; detail?: unknown; errors?: Array<{ path?: unknown; message?: unknown }> }
  const code = typeof p.code === 'string' ? p.code : undefined
  const given = Array.isArray(p.errors) ? p.errors.map((e) => `${String(e.path)} ${String(e.message)}`) : []
  // The API's own words for the field it named, then the others the schema finds.
  const field = (e: string): string => e.split(' ')[0] ?? ''
  const others = allErrors.filter((e) => !given.some((g) => field(g) === field(e)))
  const errors = allErrors.length > given.length ? [...given, ...others] : given
  const detail = errors.length > 1 ? errors.join('; ') : typeof p.detail === 'string' ? p.detail : 'refused'
  return { code, reason: `${status}${code === undefined ? '' : ` ${code}`}: ${detail}` }
}

/** Parses one line; a string is the reason it is refused. */
function parseLine (text: string): { id: string; body: Record<string, unknown> } | string {
  let value: unknown
  try {
    // A byte order mark (files saved by some editors) is not part of the first line's JSON.
    value = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (err) {
    return `not JSON: ${(err as Error).message}`
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object'
  const { id, ...body } = value as Record<string, unknown>
  if (typeof id !== 'string') return 'no "id" (each line carries the id its item should have)'
  if (!ID_PATTERN.test(id)) return `id "${id.slice(0, 80)}" is not 1 to 64 letters, digits, _ or -`
  // The API's PUT replaces every field, so it asks for the list; in a catalog file none is none.
  if (!('colorPreference' in body)) body.colorPreference = []
  return { id, body }
}

export async function runImport (opts: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = { lines: 0, created: 0, replaced: 0, refused: [], interrupted: false }
  const attempts = opts.attempts ?? 6
  const backoff = opts.backoffMs ?? ((n: number) => Math.min(200 * 2 ** (n - 1), 5000) * (0.5 + Math.random() / 2))
  const base = opts.apiUrl.replace(/\/+$/, '')
  const seen = new Map<string, number>()
  let stop: string | undefined
  let token = await opts.auth.token()

  const refuse = (refusal: Refusal): void => {
    summary.refused.push(refusal)
    opts.onEvent?.({ kind: 'refused', refusal })
  }

  async function send (line: number, id: string, body: Record<string, unknown>): Promise<void> {
    let renewed = false
    for (let attempt = 1; ; attempt++) {
      let res: Response
      try {
        res = await fetch(`${base}/items/${encodeURIComponent(id)}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body)
        })
      } catch (err) {
        if (attempt >= attempts) {
          return refuse({
            line,
            id,
            reason: `the API did not answer after ${attempts} attempts: ${(err as Error).message}`
          })
        }
        await sleep(backoff(attempt))
        continue
      }
      const answer: unknown = await res.json().catch(() => undefined)
      if (res.status === 200 || res.status === 201) {
        const kind = res.status === 201 ? 'created' : 'replaced'
        summary[kind]++
        opts.onEvent?.({ kind, line, id })
        return
      }
      if (res.status === 401 && !renewed && opts.auth.renew !== undefined) {
        renewed = true
        token = await opts.auth.renew()
        attempt--
        continue
      }
      if (res.status === 401 || res.status === 403) {
        // Every other line would be refused the same way: stop, and say what to do.
        throw new StopImport(res.status === 403
          ? 'the API refused the token: the account is not in the admin group (npm run admin -- <email>, then sign ' +
            'in again)'
          : 'the API refused the token (expired or invalid): sign in again and rerun')
      }
      if (RETRY_STATUSES.has(res.status) && attempt < attempts) {
        const retryAfter = Number(res.headers.get('retry-after'))
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 30) * 1000 : backoff(attempt))
        continue
      }
      const invalid = res.status === 400 && (answer as { code?: unknown } | undefined)?.code === 'validation_failed'
      const { code, reason } = describeProblem(res.status, answer, invalid ? itemErrors(body) : [])
      return refuse({ line, id, status: res.status, ...(code === undefined ? {} : { code }), reason })
    }
  }

  const inFlight = new Set<Promise<void>>()
  const limit = Math.max(1, opts.concurrency ?? 8)
  const track = (p: Promise<void>): void => {
    const tracked = p.catch((err: unknown) => {
      if (err instanceof StopImport) stop ??= err.message
      else stop ??= `unexpected error: ${(err as Error).message}`
    }).finally(() => inFlight.delete(tracked))
    inFlight.add(tracked)
  }

  const lines = createInterface({ input: createReadStream(opts.file, 'utf8'), crlfDelay: Infinity })
  let number = 0
  try {
    for await (const text of lines) {
      number++
      if (opts.signal?.aborted === true || stop !== undefined) {
        summary.interrupted = true
        summary.nextLine = number
        break
      }
      if (text.trim() === '') continue
      summary.lines++
      const parsed = parseLine(text)
      if (typeof parsed === 'string') {
        refuse({ line: number, reason: parsed })
        continue
      }
      const first = seen.get(parsed.id)
      if (first !== undefined) {
        // Two lines for one id would race each other: the first one stands.
        refuse({ line: number, id: parsed.id, reason: `id ${parsed.id} was already on line ${first}` })
        continue
      }
      seen.set(parsed.id, number)
      track(send(number, parsed.id, parsed.body))
      while (inFlight.size >= limit) await Promise.race(inFlight)
    }
  } finally {
    lines.close()
    // Requests in flight finish: their outcome is known and counted, never half-reported.
    await Promise.all(inFlight)
  }
  if (stop !== undefined) {
    summary.interrupted = true
    summary.stopReason = stop
  }
  return summary
}

/** Non-blank lines of a file, for a progress bar's total (a fast pass; the import streams the file again). */
export async function countLines (file: string): Promise<number> {
  let n = 0
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })
  for await (const text of lines) if (text.trim() !== '') n++
  return n
}
