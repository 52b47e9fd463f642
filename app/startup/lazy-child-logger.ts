// Fastify gives every request a child logger (pino's child(): the request id bound, the bindings
// run through redaction), a measurable share of a warm GET, and most requests never log a line (the deployed API
// leaves the access line to API Gateway). This factory hands out a stand-in that creates the real
// child the first time a line at an enabled level is written: the same line, the same bindings.
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1]
/** Fastify's logger is pino when the app configures one. */
type PinoLike = FastifyBaseLogger & { isLevelEnabled: (level: string) => boolean; bindings: () => Bindings }

class LazyChildLogger {
  #real: PinoLike | undefined
  readonly #parent: PinoLike
  readonly #bindings: Bindings
  readonly #options: ChildOptions

  constructor (parent: PinoLike, bindings: Bindings, options: ChildOptions) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
  }

  /** The pino child this stands in for, made on first use. */
  get real (): PinoLike {
    this.#real ??= this.#parent.child(this.#bindings, this.#options) as PinoLike
    return this.#real
  }

  get level (): string { return (this.#real ?? this.#parent).level }
  set level (level: string) { this.real.level = level }

  #write (level: Level, args: unknown[]): void {
    // A disabled level writes nothing: no child needed for it.
    if (this.#real === undefined && !this.#parent.isLevelEnabled(level)) return
    ;(this.real[level] as (...a: unknown[]) => void)(...args)
  }

  fatal (...args: unknown[]): void { this.#write('fatal', args) }
  error (...args: unknown[]): void { this.#write('error', args) }
  warn (...args: unknown[]): void { this.#write('warn', args) }
  info (...args: unknown[]): void { this.#write('info', args) }
  debug (...args: unknown[]): void { this.#write('debug', args) }
  trace (...args: unknown[]): void { this.#write('trace', args) }
  silent (): void {}
  child (bindings: Bindings, options?: ChildOptions): FastifyBaseLogger { return this.real.child(bindings, options) }
  isLevelEnabled (level: string): boolean { return (this.#real ?? this.#parent).isLevelEnabled(level) }
  bindings (): Bindings { return this.real.bindings() }
}

export const lazyChildLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']> = function (
  logger,
  bindings,
  options
) {
  // A route with its own log level or serializers gets its child at once (none of ours does).
  if (options !== undefined && Object.keys(options).length > 0) return logger.child(bindings, options)
  return new LazyChildLogger(logger as PinoLike, bindings, options) as unknown as FastifyBaseLogger
}
