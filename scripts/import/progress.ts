// What the import shows while it runs: on a terminal, one progress bar redrawn in place (refused
// lines printed above it as they come); otherwise (a pipe, CI, a log file) plain lines: each
// refused line, and a progress line every PLAIN_EVERY lines or PLAIN_SECONDS seconds.
import type { ImportEvent, Refusal } from './run-import.js'

const BAR_WIDTH = 24
const REDRAW_MS = 100
const PLAIN_EVERY = 1000
const PLAIN_SECONDS = 5

export interface ProgressOptions {
  write: (text: string) => void
  tty: boolean
  /** Non-blank lines in the file, when known (the bar's 100 %). */
  total?: number
  now?: () => number
}

export const describeRefusal = (r: Refusal): string =>
  `line ${r.line}${r.id === undefined ? '' : ` (id ${r.id})`}: ${r.reason}`

export function createProgress (opts: ProgressOptions) {
  const now = opts.now ?? (() => Date.now())
  const started = now()
  const counts = { created: 0, replaced: 0, refused: 0 }
  let lastDraw = -Infinity
  let lastPlain = started
  let drawn = false

  const done = (): number => counts.created + counts.replaced + counts.refused
  const tally = (): string => `created ${counts.created}, replaced ${counts.replaced}, refused ${counts.refused}`
  const rate = (): string => {
    const seconds = (now() - started) / 1000
    return seconds > 0 ? `${Math.round(done() / seconds)}/s` : '-'
  }

  function bar (): string {
    const total = opts.total
    if (total === undefined || total === 0) return `${done()} lines  ${rate()}  ${tally()}`
    const share = Math.min(1, done() / total)
    const filled = Math.round(share * BAR_WIDTH)
    return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${Math.floor(share * 100)}% ` +
      `${done()}/${total} lines  ${rate()}  ${tally()}`
  }

  function draw (force = false): void {
    const t = now()
    if (!force && t - lastDraw < REDRAW_MS) return
    lastDraw = t
    opts.write(`\r\x1b[2K${bar()}`)
    drawn = true
  }

  return {
    event (e: ImportEvent): void {
      counts[e.kind]++
      if (opts.tty) {
        if (e.kind === 'refused') {
          opts.write(`${drawn ? '\r\x1b[2K' : ''}refused ${describeRefusal(e.refusal)}\n`)
          draw(true)
        } else {
          draw()
        }
        return
      }
      if (e.kind === 'refused') opts.write(`refused ${describeRefusal(e.refusal)}\n`)
      const t = now()
      if (done() % PLAIN_EVERY === 0 || t - lastPlain >= PLAIN_SECONDS * 1000) {
        lastPlain = t
        opts.write(`${done()}${opts.total === undefined ? '' : `/${opts.total}`} lines: ${tally()}\n`)
      }
    },
    /** Ends the bar's line, so what follows starts on its own. */
    finish (): void {
      if (opts.tty && drawn) {
        draw(true)
        opts.write('\n')
      }
    }
  }
}
