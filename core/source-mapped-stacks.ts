// Stack traces that name the TypeScript sources, without `NODE_OPTIONS=--enable-source-maps`. With
// that flag Node 22 (the Lambda runtime's version) reads and parses the map of every module as it
// loads it, on the API's cold start, paid by every container that never logs a stack (bench:
// "cold start, Node 22"). Here nothing is read until a stack is formatted, which V8 does when
// something first reads `err.stack` (a logged error, the Lambda runtime's report of a thrown one):
// then each frame in a bundle file is looked up in that file's map (`//# sourceMappingURL=`), read
// and parsed on its first use with Node's own parser (`module.SourceMap`) and kept for the
// container's life. The bundles' maps name the sources from the repository's root
// (scripts/build.ts), so a frame reads `at async r (data/items-repository.ts:61:14)`; function
// names stay the bundle's (minified), as with Node's own mapping. The Lambda entry points
// (app/lambda.ts, workers/handler.ts) install it first thing.
import { SourceMap } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export type PrepareStackTrace = (error: Error, trace: NodeJS.CallSite[]) => unknown

export interface StackFormatterOptions {
  /** Node's formatting, given the frames to print (strings or call sites): Error.prepareStackTrace as Node sets it. */
  nodeFormat?: PrepareStackTrace
  /** Whether Node maps stacks itself (tsx, --enable-source-maps): then the frames go to it unchanged. */
  nodeMapsStacks?: () => boolean
  /** How files are read (tests count the reads). */
  readFile?: (path: string) => string
}

/** Node's own layout: the error's `name: message`, then one `    at ...` line per frame. */
const plainFormat: PrepareStackTrace = (error, trace) =>
  [Error.prototype.toString.call(error), ...trace.map(String)].join('\n    at ')

const MAPPING_URL = /\/\/[#@] sourceMappingURL=([^\s'"]+)\s*$/

/** The `Error.prepareStackTrace` that maps frames through the bundles' source maps, read on first need. */
export function sourceMappedStackFormatter (opts: StackFormatterOptions = {}): PrepareStackTrace {
  const nodeFormat = opts.nodeFormat ?? plainFormat
  const nodeMapsStacks = opts.nodeMapsStacks ?? (() => process.sourceMapsEnabled === true)
  const readFile = opts.readFile ?? ((path: string) => readFileSync(path, 'utf8'))
  // By the file name V8 gives a frame (a file: URL for ES modules, a path for CommonJS); null: no map.
  const maps = new Map<string, SourceMap | null>()

  const mapOf = (file: string): SourceMap | null => {
    let map = maps.get(file)
    if (map !== undefined) return map
    map = null
    try {
      const path = file.startsWith('file:') ? fileURLToPath(file) : file
      if (isAbsolute(path)) {
        // The comment ends the file: esbuild writes it last.
        const url = MAPPING_URL.exec(readFile(path).slice(-1024))?.[1]
        if (url !== undefined && !url.startsWith('data:')) {
          map = new SourceMap(JSON.parse(readFile(join(dirname(path), decodeURIComponent(url)))))
        }
      }
    } catch {
      map = null
    }
    maps.set(file, map)
    return map
  }

  /** The frame as V8 writes it, its place replaced by the source's; undefined: left as it is. */
  const mapFrame = (site: NodeJS.CallSite): string | undefined => {
    const file = site.getFileName()
    const line = site.getLineNumber()
    const column = site.getColumnNumber()
    if (file === undefined || file === null || line === null || column === null || file.startsWith('node:') ||
      site.isEval()) {
      return undefined
    }
    const map = mapOf(file)
    if (map === null) return undefined
    const entry = map.findEntry(line - 1, column - 1) as Partial<{
      originalSource: string
      originalLine: number
      originalColumn: number
    }>
    if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) {
      return undefined
    }
    const text = String(site)
    const from = `${file}:${line}:${column}`
    if (!text.endsWith(from) && !text.endsWith(`(${from})`)) return undefined
    const to = `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`
    return text.endsWith(')') ? `${text.slice(0, -from.length - 1)}${to})` : `${text.slice(0, -from.length)}${to}`
  }

  return (error, trace) => {
    if (nodeMapsStacks()) return nodeFormat(error, trace)
    try {
      // Node joins what it is given with '\n    at ', so a mapped frame can go as its text.
      return nodeFormat(error, trace.map((site) => mapFrame(site) ?? site) as NodeJS.CallSite[])
    } catch {
      // Reading err.stack must never throw: the stack as it would have been.
      return nodeFormat(error, trace)
    }
  }
}

let installed = false

/**
 * Maps every stack formatted from now on (once per process). Node's own `Error.prepareStackTrace`
 * (Node 20 and 22 set one) still lays the stack out; without one, plainFormat does the same.
 */
export function installSourceMappedStacks (): void {
  if (installed) return
  installed = true
  const current = Error.prepareStackTrace as PrepareStackTrace | undefined
  Error.prepareStackTrace = sourceMappedStackFormatter(current !== undefined ? { nodeFormat: current } : {})
}
