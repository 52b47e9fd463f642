// Compiles every route's validators (Ajv standalone code) and response serializers
// (fast-json-stringify standalone code) at build time, for the Lambda bundle: Fastify's own
// standalone compilers, run over the real app with the app's own options. app/lambda.ts finds them
// beside the bundle and loads each on its route's first use (app/startup/lazy-compilers.ts).
import { StandaloneValidator } from '@fastify/ajv-compiler'
import { StandaloneSerializer } from '@fastify/fast-json-stringify-compiler'
import { build } from 'esbuild'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../app/app.js'
import { loadConfig } from '../core/config.js'
import { schemaKey, type SchemaRoute } from '../app/startup/lazy-compilers.js'
import { COMPILED_INDEX, type CompiledIndex } from '../app/startup/compiled-schemas.js'

const NODE_MODULES = fileURLToPath(new URL('../node_modules', import.meta.url))

/** Settings that let the app build without AWS (schemas do not depend on them). */
const BUILD_ENV = { STAGE: 'local', LOG_LEVEL: 'silent', USER_POOL_ID: 'us-east-1_build', USER_POOL_CLIENT_ID: 'build' }

export interface CompiledSchemasReport { validators: number; serializers: number; skipped: number; bytes: number }

/**
 * Writes the compiled schemas into `dir`: one self-contained CommonJS file per function (esbuild
 * bundles the few runtime helpers each requires) and index.json. Serializers whose code builds an
 * Ajv instance when loaded (fast-json-stringify does for anyOf/if) are left to the runtime compiler:
 * bundling Ajv into each would cost more than it saves.
 */
export async function writeCompiledSchemas (dir: string): Promise<CompiledSchemasReport> {
  const src = join(dir, '..', `${basename(dir)}.src`)
  await Promise.all([rm(dir, { recursive: true, force: true }), rm(src, { recursive: true, force: true })])
  await mkdir(src, { recursive: true })
  const files: Array<{ kind: 'validators' | 'serializers'; key: string; code: string }> = []
  const store = (kind: 'validators' | 'serializers') => (route: SchemaRoute, code: string): void => {
    files.push({ kind, key: schemaKey(route), code })
  }
  const app = buildApp(loadConfig(BUILD_ENV), {
    // Fastify's eager compilers in write mode: every schema is compiled (and stored) at ready().
    schemaController: {
      compilersFactory: {
        buildValidator: StandaloneValidator({ readMode: false, storeFunction: store('validators') as never }),
        buildSerializer: StandaloneSerializer({ readMode: false, storeFunction: store('serializers') as never })
      }
    }
  })
  await app.ready()
  await app.close()
  const index: CompiledIndex = { validators: {}, serializers: {} }
  const entryPoints: Record<string, string> = {}
  let skipped = 0
  for (const f of files) {
    if (index[f.kind][f.key] !== undefined) continue
    if (f.code.includes('fast-json-stringify/lib/validator')) { skipped++; continue }
    const name = `${f.kind === 'validators' ? 'v' : 's'}${Object.keys(entryPoints).length}`
    await writeFile(join(src, `${name}.cjs`), f.code)
    entryPoints[name] = join(src, `${name}.cjs`)
    index[f.kind][f.key] = `${name}.cjs`
  }
  const result = await build({
    entryPoints,
    outdir: dir,
    // The sources may sit outside the project (tests write them to a temporary folder).
    nodePaths: [NODE_MODULES],
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true
  })
  await writeFile(join(dir, COMPILED_INDEX), JSON.stringify(index))
  await rm(src, { recursive: true, force: true })
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
  return {
    validators: Object.keys(index.validators).length,
    serializers: Object.keys(index.serializers).length,
    skipped,
    bytes
  }
}
