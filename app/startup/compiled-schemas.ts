// Loads the validators and serializers compiled at build time (scripts/compile-schemas.ts writes
// them into compiled/ beside the Lambda bundle): index.json maps each schemaKey() to a file, and a
// file is required only when its route first needs it. Run from source there is no such folder and
// the app compiles each schema on first use instead.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { CompiledSchemas } from './lazy-compilers.js'

export const COMPILED_DIR = 'compiled'
export const COMPILED_INDEX = 'index.json'
export type CompiledIndex = Record<keyof CompiledSchemas, Record<string, string>>

export function loadCompiledSchemas (dir: string): CompiledSchemas | undefined {
  const indexFile = join(dir, COMPILED_INDEX)
  if (!existsSync(indexFile)) return undefined
  const index = JSON.parse(readFileSync(indexFile, 'utf8')) as CompiledIndex
  const load = createRequire(indexFile)
  const table = (files: Record<string, string>): CompiledSchemas['validators'] =>
    Object.fromEntries(
      Object.entries(files).map(([key, file]) => [key, () => load(join(dir, file)) as (...args: any[]) => any])
    )
  return { validators: table(index.validators), serializers: table(index.serializers) }
}
