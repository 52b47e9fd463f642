// Secrets are compared in constant time, and a test over the source keeps it so: behaviour alone
// cannot tell `timingSafeEqual` from `===` (both answer the same), only the timing differs.
// - The one helper, sameKey (plugins/partner-keys.ts), hashes both sides and compares the hashes
//   with crypto.timingSafeEqual; partner keys and the edge secret go through it.
// - crypto.timingSafeEqual appears nowhere else except where a helper of the app cannot be used
//   (listed below with the reason).
// - No `===` / `!==` (nor includes / indexOf / equals) compares a value whose name says secret.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sameKey } from '../../plugins/partner-keys.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
// Every folder of code that runs with secrets, deployed or local (tests and the bench compare fixtures).
const FOLDERS = ['core', 'domain', 'plugins', 'data', 'workers', 'routes', 'app', 'local', 'scripts',
  'clients/typescript/src']
const HELPER = 'plugins/partner-keys.ts'

// Where else crypto.timingSafeEqual may be called, and why not through the helper.
const OTHER_CONSTANT_TIME: Record<string, string> = {
  'domain/cursor.ts': 'compares an HMAC\'s text form after checking lengths; the domain stays plain (no plugin import)',
  'clients/typescript/src/webhooks.ts': 'the published client package stands alone: it imports nothing of the app'
}

// Comparisons the scan flags that are not secrets, each with its reason.
const NOT_SECRETS: ReadonlyArray<{ file: string, text: string, why: string }> = [
  { file: 'local/tables.ts', text: 'keys(def.KeySchema) !== keys(live.KeySchema)', why: 'a table\'s key schema' },
  { file: 'local/tables.ts', text: 'keys(defIdx) !== keys(liveIdx)', why: 'an index\'s key schema' },
  { file: 'clients/typescript/src/commerce-client.ts', text: 'tokens === stale', why: 'object identity' },
  { file: 'clients/typescript/src/commerce-client.ts', text: 'tokens !== stale', why: 'object identity' },
  { file: 'scripts/wrap-long-lines.ts', text: 'k !== ts.SyntaxKind.EndOfFileToken', why: 'a TypeScript syntax kind' },
  { file: 'scripts/wrap-long-lines.ts', text: 'k === ts.SyntaxKind.CommaToken', why: 'a TypeScript syntax kind' }
]

const SECRETISH = /(key|secret|signature|sig|hmac|digest|mac|password|token|presented|expected|credential)s?$/i
// An operand that is a constant, a type test or a property that is never secret.
const NOT_SECRET_PROPERTY = /\.(length|size|type|name|code|status|statusCode)$/
const CONSTANT = /^(undefined|null|true|false|''|""|``|'[^']*'|"[^"]*"|-?\d[\d_.]*)$/
const HARMLESS = (operand: string): boolean =>
  CONSTANT.test(operand) || /^typeof\b/.test(operand) || NOT_SECRET_PROPERTY.test(operand)
const OPERAND = String.raw`(?:typeof\s+)?[\w$.?!\[\]'"-]+(?:\([^()]*\))?`
const COMPARISON = new RegExp(`(${OPERAND})\\s*(===|!==|==|!=)\\s*(${OPERAND})`, 'g')
const MEMBERSHIP = /\.(includes|indexOf|lastIndexOf|has|equals|startsWith|endsWith)\(([\w$.]+)\)/g

/** The name an operand ends with: `request.headers.apiKey` -> apiKey, `keys(x)` -> keys. */
const lastName = (operand: string): string =>
  operand.replace(/\(.*\)$/, '').replace(/\?/g, '').split(/[.[\]'"]/).filter(Boolean).at(-1) ?? ''

/** Each comparison in `source` that may compare a secret with a timing-dependent operator. */
export function plainSecretComparisons (source: string): string[] {
  const found: string[] = []
  for (const line of source.split('\n')) {
    if (/^\s*(\/\/|\*)/.test(line)) continue
    for (const m of line.matchAll(COMPARISON)) {
      const [a, b] = [m[1]!, m[3]!]
      if (HARMLESS(a) || HARMLESS(b)) continue
      if (SECRETISH.test(lastName(a)) || SECRETISH.test(lastName(b))) found.push(m[0])
    }
    for (const m of line.matchAll(MEMBERSHIP)) if (SECRETISH.test(lastName(m[2]!))) found.push(m[0])
  }
  return found
}

function sourceFiles (folder: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
    const path = `${folder}/${entry.name}`
    const skipped = ['node_modules', 'dist', 'test', 'examples'].includes(entry.name)
    if (entry.isDirectory() && !skipped) out.push(...sourceFiles(path))
    else if (entry.isFile() && /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path)
  }
  return out
}
const files = FOLDERS.flatMap(sourceFiles)
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8')

t.test('the helper compares hashes of both sides with crypto.timingSafeEqual', async (t) => {
  const source = read(HELPER)
  t.match(source, /import \{[^}]*\btimingSafeEqual\b[^}]*\} from 'node:crypto'/, 'node:crypto\'s timingSafeEqual')
  const body = /export function sameKey \(presented: string, expected: string\): boolean \{\n([\s\S]*?)\n\}/
    .exec(source)?.[1]
  t.equal(body?.trim(), 'return timingSafeEqual(sha256(presented), sha256(expected))',
    'sameKey is one constant-time comparison of equal-length digests (no early return on length)')
  t.ok(sameKey('k-1', 'k-1') && !sameKey('k-1', 'k-2') && !sameKey('k', 'k-1'), 'and it answers like equality')
})

t.test('partner keys and the edge secret go through the helper', async (t) => {
  t.match(read(HELPER), /for \(const key of list\) if \(sameKey\(presented, key\)\)/,
    'every partner key, compared by sameKey')
  t.match(read('plugins/client-address.ts'), /sameKey\(\s*presented,\s*await secrets\.get\(edgeSecret\)\s*\)/,
    'the edge secret, by sameKey')
  t.match(read('app/edge-gate.ts'), /sameKey\(presented, expected\)/, 'the edge gate\'s secret header, by sameKey')
})

t.test('crypto.timingSafeEqual is used by the helper and only where the helper cannot be', async (t) => {
  const users = files.filter((file) => /\btimingSafeEqual\b/.test(read(file))).sort()
  t.same(users, [HELPER, ...Object.keys(OTHER_CONSTANT_TIME)].sort())
})

t.test('no secret is compared with ===, !==, includes, indexOf or equals', async (t) => {
  t.ok(files.length > 100, `the scan read the code (${files.length} files)`)
  const found = files.flatMap((file) => plainSecretComparisons(read(file))
    .filter((text) => !NOT_SECRETS.some((n) => n.file === file && n.text === text))
    .map((text) => `${file}: ${text}`))
  t.same(found, [])
})

t.test('the scan sees the comparisons that would leak timing', async (t) => {
  t.same(plainSecretComparisons('  return presented === expected'), ['presented === expected'])
  t.same(plainSecretComparisons('for (const key of list) if (key === presented) owners.add(p)'), ['key === presented'])
  t.same(plainSecretComparisons("if (request.headers['x-api-key'] !== apiKey) throw x"),
    ["request.headers['x-api-key'] !== apiKey"])
  t.same(plainSecretComparisons('if (presented === await secrets.get(edgeSecret)) {'), ['presented === await'])
  t.same(plainSecretComparisons('if (!keys.includes(presented)) throw x'), ['.includes(presented)'])
  t.same(plainSecretComparisons('if (!given.equals(expected)) throw invalid()'), ['.equals(expected)'])
  t.same(plainSecretComparisons('if (signature !== sign(payload, secret)) throw invalid()'),
    ['signature !== sign(payload, secret)'])
  t.same(plainSecretComparisons([
    'if (key === undefined) throw x',
    "if (typeof presented === 'string') {}",
    'if (given.length !== expected.length) throw invalid()',
    '// presented === expected, in a comment'
  ].join('\n')), [], 'constants, type tests, lengths and comments are not secret comparisons')
})
