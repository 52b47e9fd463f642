// Stack traces mapped through the bundles' source maps when formatted (core/source-mapped-stacks.ts),
// on a small bundle built here with the project's esbuild settings that matter (minified ESM, code
// splitting, linked maps without sources) and its maps' paths made root-relative as
// scripts/build.ts makes them.
import t from 'tap'
import { build } from 'esbuild'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  installSourceMappedStacks,
  sourceMappedStackFormatter,
  type PrepareStackTrace
} from '../../core/source-mapped-stacks.js'
import { rootRelativeSources } from '../../scripts/build.js'

const SOURCES: Record<string, string> = {
  'src/thrower.ts': [
    '// Makes errors two calls deep.',
    'export function boom (reason: string): Error {',
    // eslint-disable-next-line no-template-curly-in-string -- source code written to a file
    '  return new Error(`boom: ${reason}`)',
    '}'
  ].join('\n'),
  'src/lazy.ts': [
    'export class LazyError extends Error {',
    '  constructor () {',
    "    super('from a chunk')",
    "    this.name = 'LazyError'",
    '  }',
    '}',
    'export const make = (): Error => new LazyError()'
  ].join('\n'),
  'src/entry.ts': [
    "import { boom } from './thrower.js'",
    'export function run (reason: string): Error {',
    '  const err = boom(reason)',
    '  return err',
    '}',
    "export const later = async (): Promise<Error> => (await import('./lazy.js')).make()"
  ].join('\n')
}

/**
 * `file:line:column` of `needle` in a fixture source (1-based), as a pattern; a call's column is the map's choice, so
 * only its line.
 */
function where (file: string, needle: string, column = true): string {
  const lines = SOURCES[file]!.split('\n')
  const i = lines.findIndex((l) => l.includes(needle))
  return `${file}:${i + 1}:${column ? lines[i]!.indexOf(needle) + 1 : '\\d+'}`
}

/** The error `make` returns and the call sites V8 captured for it. */
function withSites (make: () => Error): { error: Error; sites: NodeJS.CallSite[] } {
  const saved = Error.prepareStackTrace
  let sites: NodeJS.CallSite[] = []
  Error.prepareStackTrace = (_error, trace) => { sites = trace; return '' }
  try {
    const error = make()
    void error.stack
    return { error, sites }
  } finally {
    Error.prepareStackTrace = saved
  }
}

const root = await mkdtemp(join(tmpdir(), 'sc-stacks-'))
t.teardown(() => rm(root, { recursive: true, force: true }))
for (const [file, text] of Object.entries(SOURCES)) {
  await mkdir(dirname(join(root, file)), { recursive: true })
  await writeFile(join(root, file), text)
}
const outdir = join(root, 'dist', 'fn')
await build({
  entryPoints: { index: join(root, 'src', 'entry.ts') },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning'
})
await rootRelativeSources(outdir, root)
const bundle = await import(pathToFileURL(join(outdir, 'index.mjs')).href) as {
  run: (reason: string) => Error
  later: () => Promise<Error>
}

/** A formatter as the Lambda has it (Node not mapping), counting the files it reads. */
function formatter (opts: { readFile?: (path: string) => string } = {}): {
  format: PrepareStackTrace
  reads: string[]
} {
  const reads: string[] = []
  const format = sourceMappedStackFormatter({
    nodeMapsStacks: () => false,
    readFile: (path) => { reads.push(path); return (opts.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(path) }
  })
  return { format, reads }
}

t.test('the built maps name their sources from the root, and lead back to it', async (t) => {
  const map = JSON.parse(readFileSync(join(outdir, 'index.mjs.map'), 'utf8')) as {
    sources: string[]
    sourceRoot: string
  }
  t.same([...map.sources].sort(), ['src/entry.ts', 'src/thrower.ts'])
  for (const source of map.sources) {
    t.ok(
      existsSync(resolve(outdir, map.sourceRoot, source)),
    `${source} resolves through sourceRoot`
    )
  }
})

t.test('a stack from the bundle names the TypeScript file, line and column of each frame', async (t) => {
  const { format } = formatter()
  const { error, sites } = withSites(() => bundle.run('disk full'))
  const stack = String(format(error, sites))
  const lines = stack.split('\n')
  t.equal(lines[0], 'Error: boom: disk full', "the header is Node's: name and message")
  t.match(
    lines[1],
    new RegExp(`^ {4}at .*\\(${where('src/thrower.ts', 'new Error')}\\)$`),
    'the frame that made the error'
  )
  t.match(lines[2], new RegExp(`^ {4}at .*\\(${where('src/entry.ts', 'boom(reason)', false)}\\)$`), 'its caller')
  t.notMatch(stack, /index\.mjs/, 'no frame left in the bundle')
  t.match(stack, /source-mapped-stacks\.test\.ts:\d+:\d+/, 'frames outside the bundle are left as V8 wrote them')
})

t.test('maps are read only when a stack is formatted, once per file, chunks included', async (t) => {
  const { format, reads } = formatter()
  const first = withSites(() => bundle.run('a'))
  const lazy = await bundle.later()
  t.same(reads, [], 'making errors reads nothing')
  format(first.error, first.sites)
  // (Frames in tap's own files read their maps too: only the bundle's count here.)
  const maps = (): string[] => reads.filter((r) => r.endsWith('.map') && r.startsWith(outdir))
  t.same(maps(), [join(outdir, 'index.mjs.map')], 'the entry file\'s map, on the first stack')
  const second = withSites(() => bundle.run('b'))
  format(second.error, second.sites)
  t.equal(maps().length, 1, 'kept: the next stack reads nothing')
  // The chunk's error was made outside withSites: get its sites by formatting it now.
  const saved = Error.prepareStackTrace
  let stack = ''
  Error.prepareStackTrace = (e, sites) => { stack = String(format(e, sites)); return stack }
  try { void lazy.stack } finally { Error.prepareStackTrace = saved }
  // (V8 starts an Error subclass's stack at the code that called `new`.)
  t.match(stack, new RegExp(
    `^LazyError: from a chunk\\n {4}at .*\\(${where('src/lazy.ts', 'new LazyError', false)}\\)\\n {4}at .*\\(${where(
      'src/entry.ts',
      'make()',
      false
    )}\\)`
  ),
  'frames in a chunk map through the chunk\'s own map')
  t.equal(maps().length, 2)
  t.match(maps()[1], /chunks[/\\]lazy-\w+\.mjs\.map$/)
})

t.test('an unreadable map leaves the frames as they were, and never throws', async (t) => {
  const { format } = formatter(
    { readFile: (path) => path.endsWith('.map') ? '{ not json' : readFileSync(path, 'utf8') }
  )
  const { error, sites } = withSites(() => bundle.run('c'))
  const stack = String(format(error, sites))
  t.match(stack.split('\n')[1], /index\.mjs:\d+:\d+\)?$/, 'the bundle position')
  t.notMatch(stack, /thrower\.ts/)
})

t.test('when Node maps stacks itself (tsx, --enable-source-maps), the frames go to it untouched', async (t) => {
  let given: NodeJS.CallSite[] | undefined
  const format = sourceMappedStackFormatter({
    nodeMapsStacks: () => true,
    nodeFormat: (_e, trace) => { given = trace; return 'node' },
    readFile: () => t.fail('read') as never
  })
  const { error, sites } = withSites(() => bundle.run('d'))
  t.equal(format(error, sites), 'node')
  t.equal(given, sites)
})

t.test('installed, stacks keep Node\'s layout and this file\'s own positions (tsx maps them)', async (t) => {
  installSourceMappedStacks()
  const installed = Error.prepareStackTrace
  installSourceMappedStacks()
  t.equal(Error.prepareStackTrace, installed, 'installed once')
  const err = new TypeError('typed'); const line = new Error().stack!.split('\n')[1]!.match(/:(\d+):\d+\)?$/)?.[1]
  t.match(err.stack, new RegExp(`^TypeError: typed\\n {4}at .*source-mapped-stacks\\.test\\.ts:${line}:`))
})
