// Bundle sizes: bytes of each function's JS (index.mjs and its chunks, Swagger UI's assets apart)
// against the floor bundle, the entry file's share (what init reads), and the five packages that
// weigh most in it (esbuild's metafile: bytes in the output).
import { readFile, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { jsBytes } from '../../scripts/build.js'
import type { Metafile } from 'esbuild'
import { compare, type BenchCase, type Row } from '../lib/types.js'

/** node_modules/@scope/name/... -> @scope/name; our own files -> (project). */
export function packageOf (input: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input.replace(/\\/g, '/'))
  return m?.[1] ?? '(project)'
}

export async function topPackages (metafile: string, n = 5): Promise<Array<{ name: string; bytes: number }>> {
  const meta = JSON.parse(await readFile(metafile, 'utf8')) as Metafile
  const sizes = new Map<string, number>()
  for (const [file, output] of Object.entries(meta.outputs)) {
    if (!file.endsWith('.mjs')) continue
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      sizes.set(packageOf(input), (sizes.get(packageOf(input)) ?? 0) + bytesInOutput)
    }
  }
  return [...sizes.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, n)
}

const kib = (b: number): number => b / 1024
const one = (v: number) => ({ median: v, min: v, max: v, n: 1 })

export const bundleSizes: BenchCase = {
  name: 'bundle',
  async run (ctx) {
    const floor = kib(await jsBytes(dirname(ctx.built.bundles.floor as string)))
    const rows: Row[] = []
    for (const name of ['api', 'worker', 'floor', 'hello', 'worker-plain']) {
      const file = ctx.built.bundles[name] as string
      const size = kib(await jsBytes(dirname(file)))
      const entry = kib((await stat(file)).size)
      const meta = ctx.built.metafiles[name]
      const top = meta === undefined ? [] : await topPackages(meta)
      rows.push(compare({
        case: 'bundle',
        measured: `${name} JS`,
        unit: 'KiB',
        summary: one(size),
        ...(name === 'floor' ? {} : { baseline: { name: 'floor', summary: one(floor) } }),
        better: 'lower',
        note: `entry index.mjs ${entry.toFixed(0)} KiB (the rest in chunks/, loaded on first use); top: ${top.map(
          (t) => `${t.name} ${kib(t.bytes).toFixed(0)} KiB`
        ).join(', ')}`
      }))
    }
    return rows
  }
}
