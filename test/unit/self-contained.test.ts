// The project reads nothing outside its own folder: a clone anywhere (a laptop, a fork's CI) has
// no sibling folders, so a path that climbs above the root (`../shared/...`, one `../` too many)
// or an absolute path into this machine's workplace would pass here and fail there.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, posix, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

// What is not the project's own text: installed packages, build output, caches, the vendored schema.
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', '.aws-sam', '.tap', 'results', 'coverage', '.local-data',
  '.cache', 'test-output', 'schemas'])
// Code, tests, scripts and the files that configure them (the docs may name other places).
const SCANNED = /\.(ts|mts|cts|js|mjs|cjs|json|ya?ml|toml|sh)$|^(Makefile|run)$/
// This file's own examples of ways out are checked below, by the second test.
const SKIP_FILES = new Set(['package-lock.json', 'self-contained.test.ts'])

// Strings that look like a climb but are data, each with its reason.
const ALLOWED: ReadonlyArray<{ file: string, text: string, why: string }> = [
  {
    file: 'test/unit/layers.test.ts',
    text: '../../../core/problem.js',
    why: 'an import spec of clients/typescript/src/, data for the layer check'
  }
]

function projectFiles (folder = ''): string[] {
  const out: string[] = []
  for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
    const path = folder === '' ? entry.name : `${folder}/${entry.name}`
    if (entry.isDirectory() && !SKIP_DIRS.has(entry.name)) out.push(...projectFiles(path))
    else if (entry.isFile() && SCANNED.test(entry.name) && !SKIP_FILES.has(entry.name)) out.push(path)
  }
  return out
}

/** Each place in `text` (the file at `file`, relative to the root) that reads outside the root. */
export function escapes (file: string, text: string): string[] {
  const found: string[] = []
  // `join(x, '..', '..')` climbs as far as '../../' does.
  const normalised = text.replace(/(['"`])\.\.\1(\s*,\s*)?/g, '../')
  // Code and the template resolve paths from their own folder; scripts, the Makefile and package
  // files from the root (the working directory they run in).
  const base = /\.(ts|mts|cts|js|mjs|cjs|ya?ml)$/.test(file) ? posix.dirname(file) : '.'
  for (const match of normalised.matchAll(/(?:\.\.\/)+[^\s'"`,)]*/g)) {
    const climbed = posix.normalize(posix.join(base, match[0]))
    if (climbed === '..' || climbed.startsWith('../')) found.push(match[0])
  }
  // The root itself is the top: nothing above it.
  for (const match of normalised.matchAll(/\bROOT\s*,\s*\.\.\/[^\s'"`,)]*/gi)) found.push(match[0])
  // Absolute paths into the workplace this project was written in.
  for (const match of text.matchAll(/\/work\/[^\s'"`,)]*/g)) found.push(match[0])
  return found.filter((hit) => !ALLOWED.some((a) => a.file === file && hit.startsWith(a.text)))
}

t.test('no file of the project reads a path outside its root', async (t) => {
  const files = projectFiles()
  t.ok(files.length > 200, `the scan saw the project (${files.length} files)`)
  for (const expected of ['.ci/run', 'Makefile', 'package.json', 'infra/template.yaml', 'test/unit/template.test.ts']) {
    t.ok(files.includes(expected), `the scan includes ${expected}`)
  }
  const broken = files.flatMap((file) =>
    escapes(file, readFileSync(join(ROOT, file), 'utf8')).map((hit) => `${file}: ${hit}`))
  t.same(broken, [], 'every relative path stays inside the repository; no absolute path into the workplace')
})

t.test('the check names each way out of the root', async (t) => {
  t.same(escapes('test/unit/template.test.ts', "new URL('../../../shared/schemas/sam.schema.json', import.meta.url)"),
    ['../../../shared/schemas/sam.schema.json'])
  t.same(escapes('scripts/x.ts', "readFileSync('../../other/file')"), ['../../other/file'])
  t.same(escapes('scripts/x.ts', "resolve(here, '..', '..', 'shared')"), ['../../'])
  t.same(escapes('scripts/x.ts', "join(ROOT, '..', 'shared', 'x.json')"), ['ROOT, ../'])
  t.same(escapes('.ci/run', 'cp ../shared/x .'), ['../shared/x'])
  t.same(escapes('test/run.ts', "readFileSync('/work/shared/schemas/sam.schema.json')"),
    ['/work/shared/schemas/sam.schema.json'])
  t.same(escapes('test/unit/template.test.ts', "new URL('../../infra/schemas/sam.schema.json', import.meta.url)"), [],
    'a path that climbs to the root and back down is fine')
  t.same(escapes('infra/template.yaml', 'CodeUri: ../'), [], 'the template\'s CodeUri is the root')
  t.same(escapes('test/unit/layers.test.ts', "spec: '../../../core/problem.js'"), [], 'an allowed fixture')
})
