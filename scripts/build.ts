// `npm run build`: one minified ESM bundle per Lambda function, the AWS SDK included (the bundle
// never depends on the SDK version a runtime happens to ship), with source maps, Swagger UI's
// static files beside the API bundle, and a metafile per bundle for the benchmark's top-modules
// report. `sam build` runs this through the root Makefile.
//
//   npm run build               both functions
//   npm run build -- api        one of them (api | worker)
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild'
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const DIST = join(ROOT, 'dist')

export interface FunctionBundle {
  name: 'api' | 'worker'
  entry: string
  /** Extra files the function needs at run time, copied into its folder (beside index.mjs). */
  assets?: (dir: string) => Promise<void>
  /**
   * CommonJS packages bundled apart (apart.cjs beside index.mjs) and required from there on first
   * use, so init neither reads nor compiles their code.
   */
  apart?: string[]
}

/** Where a function's bundle lands: dist/<name>/index.mjs (the Lambda handler is index.handler). */
export const bundlePath = (name: FunctionBundle['name'], dist = DIST): string => join(dist, name, 'index.mjs')

// Swagger UI reads its files from the folder beside the bundle (routes/docs.ts gives it baseDir;
// the plugin reads static/logo.svg relative to __dirname, which the banner sets to the same folder).
async function copySwaggerUiAssets (dir: string): Promise<void> {
  const require = createRequire(import.meta.url)
  const pkgDir = dirname(require.resolve('@fastify/swagger-ui/package.json'))
  await cp(join(pkgDir, 'static'), join(dir, 'static'), { recursive: true })
  // Our logo and styles for the UI (routes/docs.ts reads them from docs-theme/ beside itself).
  await cp(join(ROOT, 'routes', 'docs-theme'), join(dir, 'docs-theme'), { recursive: true })
}

// The OpenAPI document, generated once here from the route schemas, so the Lambda's init never
// builds it (app/lambda.ts serves the file). Imported lazily: building the worker needs no app.
async function writeOpenApiDocument (dir: string): Promise<void> {
  const { generateOpenApiDocument, PREBUILT_OPENAPI_FILE } = await import('../app/startup/openapi-document.js')
  await writeFile(join(dir, PREBUILT_OPENAPI_FILE), await generateOpenApiDocument(await packageVersion()))
}

// Every route's validators and serializers, compiled here (app/startup/lazy-compilers.ts loads them).
async function writeCompiledSchemas (dir: string): Promise<void> {
  const [{ writeCompiledSchemas: write }, { COMPILED_DIR }] = await Promise.all([
    import('./compile-schemas.js'),
    import('../app/startup/compiled-schemas.js')
  ])
  await write(join(dir, COMPILED_DIR))
}

export const FUNCTIONS: FunctionBundle[] = [
  {
    name: 'api',
    entry: join(ROOT, 'app', 'lambda.ts'),
    assets: async (dir) => {
      await copySwaggerUiAssets(dir)
      await writeOpenApiDocument(dir)
      await writeCompiledSchemas(dir)
    },
    // Fastify's schema compilers (Ajv, fast-json-stringify: ~250 KiB) are a fallback here: every
    // route's validators and serializers are compiled at build time (app/startup/lazy-compilers.ts).
    apart: ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler']
  },
  { name: 'worker', entry: join(ROOT, 'workers', 'handler.ts') }
]

export async function packageVersion (): Promise<string> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  return pkg.version
}

// app/startup/schema-compilers.ts loads Fastify's compilers with createRequire, which esbuild cannot
// follow; in the bundle the same function uses a bare require(), which esbuild bundles and
// evaluates only when called.
const bundledRequire: Plugin = {
  name: 'bundled-require',
  setup (b) {
    b.onLoad({ filter: /startup[\\/]schema-compilers\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8')
      const contents = source.replace(/^import \{ createRequire \} from 'node:module'$/m, '')
        .replace(/^const load = createRequire\(import\.meta\.url\)$/m, '')
        .replace(/\bload\('/g, "require('")
      if (/createRequire\(|\bload\(/.test(contents)) {
        throw new Error(`${args.path}: the createRequire lines changed; update bundledRequire in scripts/build.ts`)
      }
      return { contents, loader: 'ts' }
    })
  }
}

// Node 22's ES-module view of node:http reads every export once, its WebSocket, CloseEvent and
// MessageEvent getters included, and they load Node's bundled undici: ~15 ms of a cold start for an
// `import` of node:http, against ~3.5 ms for require() (nodejs/node#57649; Node 20 has no such getters).
// The SDK's HTTP handler imports node:http and node:https (statically, and dynamically on its
// first request), so every such import in the bundle gets Node's CommonJS module through a one-line
// CommonJS stub instead. Same module object, same code; only the loading differs.
const HTTP_BUILTINS = /^(node:)?https?$/
/** The plugin's name (the bench builds a variant without it: its "before"). */
export const COMMONJS_HTTP_PLUGIN = 'commonjs-http'
const commonJsHttp: Plugin = {
  name: COMMONJS_HTTP_PLUGIN,
  setup (b) {
    b.onResolve({ filter: HTTP_BUILTINS }, (args) => args.namespace === COMMONJS_HTTP_PLUGIN
      ? { path: args.path, external: true }
      : { path: args.path.replace(/^node:/, ''), namespace: COMMONJS_HTTP_PLUGIN })
    b.onLoad({ filter: /.*/, namespace: COMMONJS_HTTP_PLUGIN }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)})`,
      loader: 'js'
    }))
  }
}

export const APART_FILE = 'apart.cjs'

// Resolves each of fn.apart, whoever imports it (Fastify's schema controller, app/startup/schema-compilers.ts),
// to a stub that requires it from apart.cjs beside the bundle (writeApart() builds that file). The
// stub is CommonJS, so esbuild evaluates it, and only then is apart.cjs read, on its first require.
function apartPlugin (packages: string[]): Plugin {
  const filter = new RegExp(`^(${packages.map((p) => p.replace(/[/.]/g, (c) => `\\${c}`)).join('|')})$`)
  return {
    name: 'apart',
    setup (b) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'apart' }))
      b.onLoad({ filter: /.*/, namespace: 'apart' }, (args) => ({
        contents: 'module.exports = require(require(\'node:path\').join(__dirname, ' +
          `${JSON.stringify(APART_FILE)}))[${JSON.stringify(args.path)}]`,
        loader: 'js'
      }))
    }
  }
}

/** Builds fn.apart into <dir>/apart.cjs with the bundle's own options, each package evaluated on first access. */
async function writeApart (fn: FunctionBundle, version: string, dir: string): Promise<void> {
  if (fn.apart === undefined) return
  const { platform, target, minify, sourcemap, sourcesContent, legalComments, logLevel } = buildOptions(
    fn,
    version,
    dir
  )
  const getters = fn.apart.map((pkg) => `  get ${JSON.stringify(pkg)} () { return require(${JSON.stringify(pkg)}) }`)
  await build({
    stdin: {
      contents: `module.exports = {\n${getters.join(',\n')}\n}\n`,
      resolveDir: ROOT,
      sourcefile: 'apart.cjs',
      loader: 'js'
    },
    outfile: join(dir, APART_FILE),
    bundle: true,
    format: 'cjs',
    platform,
    target,
    minify,
    sourcemap,
    sourcesContent,
    legalComments,
    logLevel
  })
}

/** esbuild options for one function, written into `outdir` (index.mjs plus its chunks/). */
export function buildOptions (fn: FunctionBundle, version: string, outdir = join(DIST, fn.name)): BuildOptions {
  return {
    entryPoints: { index: fn.entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    // Code splitting: what the app imports dynamically (Swagger UI, the Cognito, SES, EventBridge
    // and Secrets Manager clients) lands in chunks/ and is neither read nor parsed at init. In one
    // file esbuild wraps those modules in lazy initialisers, but V8 still reads and pre-parses
    // their code on import (bench: cold start 1.50x -> 1.16x the floor, same run).
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    // Prefer packages' ESM builds: the AWS SDK and Smithy ship both, and only ESM lets esbuild
    // split the dynamic imports away from the entry chunk (CommonJS gets inlined whole).
    mainFields: ['module', 'main'],
    platform: 'node',
    // node20 output runs on the nodejs22.x runtime and on a developer's Node 20 alike.
    target: 'node20',
    format: 'esm',
    minify: true,
    // Maps carry only the mappings (the sources are in git): half the bytes to read when a stack
    // is first mapped (core/source-mapped-stacks.ts). rootRelativeSources() rewrites their paths.
    sourcemap: true,
    sourcesContent: false,
    // No keepNames: its helper runs for every function and class the code creates, on every
    // request too (bench: warm invocations). Error classes set their own names
    // (err.name checks and logs rely on those, never on constructor names); stack traces get
    // names from the source maps.
    keepNames: false,
    metafile: true,
    legalComments: 'none',
    // CommonJS packages (Fastify, pino, ...) call require() and read __dirname: an ESM bundle has
    // neither, so the banner makes them. core/config.ts reads APP_VERSION from the environment
    // map, which `define` cannot reach, so the banner sets a default there too.
    banner: {
      js: [
        'import { createRequire as __scCreateRequire } from "node:module";',
        'import { fileURLToPath as __scFileURLToPath } from "node:url";',
        'import { dirname as __scDirname } from "node:path";',
        'const require = __scCreateRequire(import.meta.url);',
        'const __filename = __scFileURLToPath(import.meta.url);',
        // Every chunk gets the banner; __dirname is the function's folder for them all, so a
        // package read from a chunk (Swagger UI's logo) finds its files beside index.mjs.
        'const __dirname = __scDirname(__filename).replace(/[\\\\/]chunks$/, "");',
        `process.env.APP_VERSION ??= ${JSON.stringify(version)};`
      ].join(' ')
    },
    define: { 'process.env.APP_VERSION': JSON.stringify(version) },
    // Pretty logs are for terminals; in Lambda pino writes JSON and never loads pino-pretty.
    external: ['pino-pretty'],
    plugins: [bundledRequire, commonJsHttp, ...(fn.apart === undefined ? [] : [apartPlugin(fn.apart)])],
    logLevel: 'warning'
  }
}

export interface BundleReport {
  name: string
  file: string
  /** The entry file's bytes (what init reads) and all JS, chunks included (what is deployed). */
  bytes: number
  totalBytes: number
  gzipBytes: number
}

/** Sum of the sizes of the JS files in a function's folder (index.mjs, chunks/, compiled/). */
export async function jsBytes (dir: string): Promise<number> {
  const files = await readdir(dir, { recursive: true })
  const sizes = await Promise.all(
    files.filter((f) => f.endsWith('.mjs') || f.endsWith('.cjs')).map(async (f) => (await stat(join(dir, f))).size)
  )
  return sizes.reduce((a, b) => a + b, 0)
}

/**
 * Makes every map in `dir` name its sources from the repository's root (`data/items-repository.ts`,
 * `node_modules/fastify/fastify.js`), wherever the bundle was built, so a mapped stack trace reads
 * the same in Lambda, in dist/ and in a test's temporary folder. `sourceRoot` leads from the map
 * back to the root, so tools that resolve sources (Node's --enable-source-maps, debuggers) still
 * find the files when the bundle is in dist/.
 */
export async function rootRelativeSources (dir: string, root = ROOT): Promise<void> {
  const maps = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.map'))
  await Promise.all(maps.map(async (f) => {
    const file = join(dir, f)
    const map = JSON.parse(await readFile(file, 'utf8')) as { sources?: string[]; sourceRoot?: string }
    const posix = (p: string): string => p.split(sep).join('/')
    map.sources = (map.sources ?? []).map((s) => posix(relative(root, resolve(dirname(file), map.sourceRoot ?? '', s))))
    map.sourceRoot = `${posix(relative(dirname(file), root))}/`
    await writeFile(file, JSON.stringify(map))
  }))
}

/** Builds one function into <dist>/<name>/ (the tests build into a folder of their own). */
export async function buildFunction (fn: FunctionBundle, version: string, dist = DIST): Promise<BundleReport> {
  const dir = join(dist, fn.name)
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const result = await build(buildOptions(fn, version, dir))
  // Kept outside the function's folder, so it is not deployed.
  await writeFile(join(dist, `${fn.name}.meta.json`), JSON.stringify(result.metafile as Metafile))
  await writeApart(fn, version, dir)
  await rootRelativeSources(dir)
  await fn.assets?.(dir)
  const file = bundlePath(fn.name, dist)
  const code = await readFile(file)
  return {
    name: fn.name,
    file: relative(ROOT, file),
    bytes: (await stat(file)).size,
    totalBytes: await jsBytes(dir),
    gzipBytes: gzipSync(code).length
  }
}

function kb (bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`
}

async function main (args: string[]): Promise<void> {
  const unknown = args.filter((a) => !FUNCTIONS.some((f) => f.name === a))
  if (unknown.length > 0) {
    console.error(`Unknown function ${unknown.join(', ')}: expected ${FUNCTIONS.map((f) => f.name).join(' or ')}`)
    process.exit(2)
  }
  const selected = args.length === 0 ? FUNCTIONS : FUNCTIONS.filter((f) => args.includes(f.name))
  const version = await packageVersion()
  const reports = await Promise.all(selected.map((fn) => buildFunction(fn, version)))
  for (const r of reports) {
    console.log(`${r.file}: ${kb(r.bytes)} (${kb(r.gzipBytes)} gzip); with its chunks ${kb(r.totalBytes)}`)
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  })
}
