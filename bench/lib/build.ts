// Builds everything the bench measures into bench/results/build/: the project's bundles with the
// project's own build (scripts/build.ts), the baselines with exactly the same esbuild options, and
// the probes that load them.
import { build } from 'esbuild'
import { cp, mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import {
  APART_FILE,
  COMMONJS_HTTP_PLUGIN,
  FUNCTIONS,
  ROOT,
  buildFunction,
  buildOptions,
  packageVersion,
  type BundleReport,
  type FunctionBundle
} from '../../scripts/build.js'

export const BUILD_DIR = join(ROOT, 'bench', 'results', 'build')

export const BASELINES = {
  hello: join(ROOT, 'bench', 'baselines', 'hello.ts'),
  floor: join(ROOT, 'bench', 'baselines', 'floor.ts'),
  'worker-plain': join(ROOT, 'bench', 'baselines', 'worker-plain.ts')
} as const
export type BaselineName = keyof typeof BASELINES

const PROBES = ['cold', 'warm'] as const

export interface Built {
  /** Bundle file of each variant: api, worker, the baselines, and api-live-openapi. */
  bundles: Record<string, string>
  probes: Record<typeof PROBES[number], string>
  reports: BundleReport[]
  metafiles: Record<string, string>
}

// A variant built with the API's esbuild plugins also requires Fastify's schema compilers from
// apart.cjs beside it (scripts/build.ts: FunctionBundle.apart). The eager variant replaces the
// plugins, so Ajv is bundled into it as before that optimisation.
async function copyApart (dir: string): Promise<void> {
  await Promise.all([APART_FILE, `${APART_FILE}.map`].map((f) => cp(join(BUILD_DIR, 'api', f), join(dir, f))))
}

/** What an API variant rebuilt from source needs beside it, from the API's build: openapi.json, compiled/, apart. */
async function copyApiFiles (dir: string): Promise<void> {
  await cp(join(BUILD_DIR, 'api', 'openapi.json'), join(dir, 'openapi.json'))
  await cp(join(BUILD_DIR, 'api', 'compiled'), join(dir, 'compiled'), { recursive: true })
  await copyApart(dir)
}

export async function buildAll (): Promise<Built> {
  await rm(BUILD_DIR, { recursive: true, force: true })
  await mkdir(BUILD_DIR, { recursive: true })
  const version = await packageVersion()
  const bundles: Record<string, string> = {}
  const metafiles: Record<string, string> = {}
  const reports = await Promise.all(FUNCTIONS.map(async (fn) => {
    const report = await buildFunction(fn, version, BUILD_DIR)
    bundles[fn.name] = join(BUILD_DIR, fn.name, 'index.mjs')
    metafiles[fn.name] = join(BUILD_DIR, `${fn.name}.meta.json`)
    return report
  }))
  await Promise.all(Object.entries(BASELINES).map(async ([name, entry]) => {
    const outdir = join(BUILD_DIR, 'baselines', name)
    const result = await build(buildOptions({ name: 'api', entry }, version, outdir))
    bundles[name] = join(outdir, 'index.mjs')
    metafiles[name] = join(BUILD_DIR, 'baselines', `${name}.meta.json`)
    const { writeFile } = await import('node:fs/promises')
    await writeFile(metafiles[name], JSON.stringify(result.metafile))
  }))
  // The same API bundle without its prebuilt OpenAPI document beside it: the app then builds the
  // document with @fastify/swagger at init, as before the optimisation (the "before" of the pair).
  const liveDir = join(BUILD_DIR, 'api-live-openapi')
  await cp(join(BUILD_DIR, 'api'), liveDir, { recursive: true, filter: (src) => !src.endsWith('openapi.json') })
  bundles['api-live-openapi'] = join(liveDir, 'index.mjs')
  // The same API with Fastify's eager compilers (app/startup/lazy-compilers.ts compiled out) and the
  // prebuilt document: the "before" of the lazy-compilation pair.
  const eagerDir = join(BUILD_DIR, 'api-eager-compile')
  const eager = join(eagerDir, 'index.mjs')
  await build({
    ...buildOptions(FUNCTIONS.find((f) => f.name === 'api') as FunctionBundle, version, eagerDir),
    plugins: [{
      name: 'eager-compilers',
      setup (b) {
        b.onLoad(
          { filter: /lazy-compilers\.ts$/ },
          () => ({ contents: 'export function lazySchemaController () { return undefined }', loader: 'ts' })
        )
      }
    }]
  })
  await cp(join(BUILD_DIR, 'api', 'openapi.json'), join(eagerDir, 'openapi.json'))
  bundles['api-eager-compile'] = eager
  // The same API without its build-time compiled validators and serializers (compiled/ beside
  // it): each is compiled on its first use, as before that optimisation.
  const firstUseDir = join(BUILD_DIR, 'api-first-use-compile')
  await cp(
    join(BUILD_DIR, 'api'),
    firstUseDir,
    { recursive: true, filter: (src) => !src.includes(`${join(BUILD_DIR, 'api', 'compiled')}`) }
  )
  bundles['api-first-use-compile'] = join(firstUseDir, 'index.mjs')
  // The API and the worker with node:http and node:https imported as ES modules (scripts/build.ts's
  // commonjs-http plugin left out): the "before" of that optimisation, measured on Node 22.
  await Promise.all(FUNCTIONS.map(async (fn) => {
    const outdir = join(BUILD_DIR, `${fn.name}-esm-http`)
    const options = buildOptions(fn, version, outdir)
    await build({ ...options, plugins: (options.plugins ?? []).filter((p) => p.name !== COMMONJS_HTTP_PLUGIN) })
    if (fn.name === 'api') await copyApiFiles(outdir)
    bundles[`${fn.name}-esm-http`] = join(outdir, 'index.mjs')
  }))
  // The API and the floor with DynamoDBDocumentClient's send stubbed in memory (probes/sdk-client-stub.ts,
  // injected): the warm case's "AWS stubbed at the client" rows.
  const inject = [join(ROOT, 'bench', 'probes', 'sdk-client-stub.ts')]
  const apiFn = FUNCTIONS.find((f) => f.name === 'api') as FunctionBundle
  await Promise.all([
    { name: 'api-sdk-stubbed', fn: apiFn },
    { name: 'floor-sdk-stubbed', fn: { name: 'api' as const, entry: BASELINES.floor } }
  ].map(async ({ name, fn }) => {
    const outdir = join(BUILD_DIR, name)
    await build({ ...buildOptions(fn, version, outdir), inject })
    if (fn === apiFn) await copyApiFiles(outdir)
    bundles[name] = join(outdir, 'index.mjs')
  }))
  // The same stubbed API without the revocation step (plugins/auth.ts: its one call compiled out;
  // the order route then trusts the id token's email_verified): the "before" of what revocation
  // costs a warm request.
  const noRevocationDir = join(BUILD_DIR, 'api-sdk-stubbed-no-revocation')
  await build({
    ...buildOptions(apiFn, version, noRevocationDir),
    inject,
    plugins: [
      ...(buildOptions(apiFn, version, noRevocationDir).plugins ?? []),
      {
        name: 'no-revocation-step',
        setup (b) {
          b.onLoad({ filter: /plugins[\\/]auth\.ts$/ }, async (args) => {
            const source = await readFile(args.path, 'utf8')
            const step = 'await checkRevocation(request, user, claims)'
            if (!source.includes(step)) {
              throw new Error(`plugins/auth.ts no longer has "${step}": update bench/lib/build.ts`)
            }
            return { contents: source.replace(step, '// (revocation step compiled out)'), loader: 'ts' }
          })
        }
      }
    ]
  })
  await copyApiFiles(noRevocationDir)
  bundles['api-sdk-stubbed-no-revocation'] = join(noRevocationDir, 'index.mjs')
  const probes = {} as Built['probes']
  await Promise.all(PROBES.map(async (name) => {
    const outdir = join(BUILD_DIR, 'probes', name)
    await build({
      ...buildOptions({ name: 'api', entry: join(ROOT, 'bench', 'probes', `${name}.ts`) }, version, outdir),
      minify: false,
      sourcemap: false,
      metafile: false
    })
    probes[name] = join(outdir, 'index.mjs')
  }))
  return { bundles, probes, reports, metafiles }
}
