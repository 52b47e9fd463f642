// A test file left out of `npm test` (package.json's tap.exclude) is still run by CI: through an
// npm script that names it, which .ci/run calls. Otherwise excluding a slow file would drop it.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { dirname, resolve, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>
  tap: { exclude?: string[] }
}
const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8')

t.test('each test file kept out of npm test runs in CI through a script of its own', async (t) => {
  const excludedTests = (pkg.tap.exclude ?? []).filter((pattern) => pattern.endsWith('.test.ts'))
  t.same(excludedTests, ['test/integration/bench-smoke.test.ts'], 'only the bench smoke test is left out')
  for (const file of excludedTests) {
    const scripts = Object.entries(pkg.scripts).filter(([, cmd]) => cmd.includes('test/run.ts') && cmd.includes(file))
    t.equal(scripts.length, 1, `one npm script runs ${file} with the emulators (test/run.ts)`)
    const [name] = scripts[0] ?? ['(none)']
    t.match(ci, new RegExp(`^npm run ${name}\\b`, 'm'), `.ci/run calls npm run ${name}`)
    t.ok(ci.indexOf(`npm run ${name}`) > ci.search(/^npm test$/m), 'after npm test')
  }
})
