// Fastify's own schema compilers (Ajv, fast-json-stringify), loaded on their first use rather than
// at import: with the build-time compiled schemas (app/startup/compiled-schemas.ts) a Lambda container
// may never need them, and loading them slows a cold start. The bundle build
// (scripts/build.ts) swaps this file's createRequire for esbuild's bundled require and bundles
// both packages apart (apart.cjs beside index.mjs), so there they are read, compiled and
// evaluated only when loadSchemaCompilers() first runs.
import { createRequire } from 'node:module'

export interface SchemaCompilers {
  AjvCompiler: typeof import('@fastify/ajv-compiler')
  SerializerSelector: typeof import('@fastify/fast-json-stringify-compiler').SerializerSelector
}

const load = createRequire(import.meta.url)

export function loadSchemaCompilers (): SchemaCompilers {
  return {
    AjvCompiler: load('@fastify/ajv-compiler') as SchemaCompilers['AjvCompiler'],
    SerializerSelector: (load('@fastify/fast-json-stringify-compiler') as
      typeof import('@fastify/fast-json-stringify-compiler')).SerializerSelector
  }
}
