// The repository and the client package are MIT-licensed, and say so where npm and people look.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8')
const pkg = (file: string): { license?: string, files?: string[] } => JSON.parse(read(file))

t.test('the repository and the client package carry the MIT licence', async (t) => {
  t.match(read('LICENSE'), /^MIT License\n\nCopyright \(c\) \d{4} /, 'LICENSE is the MIT text')
  t.equal(read('clients/typescript/LICENSE'), read('LICENSE'), 'the client package ships the same text')
  t.equal(pkg('package.json').license, 'MIT')
  t.equal(pkg('clients/typescript/package.json').license, 'MIT')
  t.ok(pkg('clients/typescript/package.json').files?.includes('LICENSE'), 'the package lists its LICENSE')
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { license?: string }> }
  t.equal(lock.packages['']?.license, 'MIT', 'the lockfile agrees')
  t.equal(lock.packages['clients/typescript']?.license, 'MIT')
})

t.test('CHANGELOG and CONTRIBUTING exist and CONTRIBUTING names the commands', async (t) => {
  t.match(read('CHANGELOG.md'), /## \[Unreleased\]/)
  const contributing = read('CONTRIBUTING.md')
  for (const command of ['npm ci', 'npm start', 'npm test', 'npm run typecheck', 'npm run bench']) {
    t.ok(contributing.includes(command), `CONTRIBUTING names ${command}`)
  }
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts
  for (const [, name] of contributing.matchAll(/npm run ([a-z:-]+)/g)) t.ok(name in scripts, `npm run ${name} exists`)
})
