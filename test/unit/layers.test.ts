// The layers of docs/ARCHITECTURE.md, kept by a test over the import graph: no file imports a
// folder above its own layer, and the domain stays plain (no Fastify, no AWS SDK, no TypeBox).
// clients/ holds published packages that stand alone: they import nothing of the app, only their
// own files and the few packages they list; only the tools (layer 5) may import them.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Bottom up. A folder may import its own layer and the layers below it, never one above. */
export const LAYERS: ReadonlyArray<readonly string[]> = [
  ['core', 'infra'], // config, AWS clients, the problem type, the template's loader
  ['domain', 'plugins'],
  ['data', 'workers'],
  ['routes'],
  ['app'], // the API's composition and entry points (app/startup/: its start-up machinery)
  ['local', 'scripts', 'bench', 'test'] // bench borrows test's token issuer
]
const PLAIN = ['domain'] // plain modules: what tests call without HTTP or AWS
// What a plain module may not load (types alone are fine; @aws-sdk/util-dynamodb is pure data conversion).
const NOT_IN_PLAIN = /^(fastify|fastify-plugin|@fastify\/|@aws-sdk\/(?!util-dynamodb$)|@aws-lambda-powertools\/|@sinclair\/typebox)/

const layerOf = (folder: string): number => LAYERS.findIndex((layer) => layer.includes(folder))

/** Folders of standalone packages (clients/<name>/), outside the layers. */
const STANDALONE = 'clients'
// What each part of a package may import besides its own files: [file pattern, import pattern].
const PACKAGE_IMPORTS: ReadonlyArray<readonly [RegExp, RegExp, string]> = [
  [/^clients\/typescript\/src\/webhooks\.ts$/, /^node:crypto$/, 'node:crypto (verifyWebhook is Node-only)'],
  [
    /^clients\/typescript\/src\//,
    /^openapi-fetch$/,
    'openapi-fetch, its one runtime dependency (Node-only APIs only in src/webhooks.ts)'
  ],
  [
    /^clients\/typescript\/examples\//,
    /^(@serverless-commerce\/client(\/webhooks)?|node:[a-z/]+)$/,
    'the package by its name, and Node'
  ],
  [/^clients\/typescript\/test\//, /^(tap|node:[a-z/]+)$/, 'tap and Node']
]
const packageRoot = (file: string): string => file.split('/').slice(0, 2).join('/')

function standaloneViolation (from: string, spec: string, target: string | undefined): string | undefined {
  if (target === undefined) {
    if (PACKAGE_IMPORTS.some(([file, allowed]) => file.test(from) && allowed.test(spec))) return undefined
    const allowed = PACKAGE_IMPORTS.filter(([file]) => file.test(from)).map(([, , what]) => what)
    return `${from} imports ${spec}: ${packageRoot(from)}/ stands alone and may import ` +
      `${allowed.length > 0 ? allowed.join('; ') : 'nothing outside itself'}`
  }
  return target.startsWith(`${packageRoot(from)}/`)
    ? undefined
    : `${from} imports ${target}: ${packageRoot(from)}/ ` +
    'stands alone (a published package), it may not import the app\'s code'
}

export interface Import { from: string, spec: string, typeOnly?: boolean }

/** Every module a source file names: static, re-exported and literal dynamic imports. */
export function importsOf (source: string): Array<{ spec: string, typeOnly: boolean }> {
  const specs: Array<{ spec: string, typeOnly: boolean }> = []
  const re = /(?:^|[\s;])((?:import|export)\s[^'"`;]*?)from\s*['"]([^'"]+)['"]|(?:^|[\s;(=])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm
  for (const m of source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '').matchAll(re)) {
    specs.push({ spec: (m[2] ?? m[3] ?? m[4]) as string, typeOnly: /^(import|export)\s+type\s/.test(m[1] ?? '') })
  }
  return specs
}

/** The broken rules among `imports` (paths relative to the repository's root), one readable line each. */
export function layerViolations (imports: Import[]): string[] {
  const broken: string[] = []
  for (const { from, spec, typeOnly = false } of imports) {
    const fromFolder = from.split('/')[0] as string
    if (fromFolder === STANDALONE) {
      const target = spec.startsWith('.')
        ? relative(
          ROOT,
          resolve(ROOT, dirname(from), spec)
        ).split(sep).join('/')
        : undefined
      const violation = standaloneViolation(from, spec, target)
      if (violation !== undefined) broken.push(violation)
      continue
    }
    const fromLayer = layerOf(fromFolder)
    if (fromLayer < 0) continue
    if (!spec.startsWith('.')) {
      if (PLAIN.includes(fromFolder) && !typeOnly && NOT_IN_PLAIN.test(spec)) {
        broken.push(`${from} imports ${spec}: ${fromFolder}/ holds plain modules (no Fastify, AWS SDK or TypeBox)`)
      }
      continue
    }
    const target = relative(ROOT, resolve(ROOT, dirname(from), spec)).split(sep).join('/')
    const toFolder = target.split('/')[0] as string
    const toLayer = layerOf(toFolder)
    if (toFolder === STANDALONE) {
      if (fromLayer !== LAYERS.length - 1) {
        broken.push(
          `${from} imports ${target}: only the tools (${LAYERS.at(-1)!.join(', ')}) may use a package of clients/, ` +
            'never the deployed code'
        )
      }
    } else if (toLayer < 0) {
      broken.push(`${from} imports ${target}: ${toFolder}/ is in no layer of test/unit/layers.test.ts`)
    } else if (toLayer > fromLayer) {
      broken.push(
        `${from} imports ${target}: ${fromFolder}/ (layer ${fromLayer}) may not import ${toFolder}/ (layer ` +
          `${toLayer}, above it)`
      )
    }
  }
  return broken
}

function sourceFiles (folder: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
    const path = `${folder}/${entry.name}`
    if (entry.isDirectory() && !['node_modules', 'results', 'dist'].includes(entry.name)) out.push(...sourceFiles(path))
    else if (entry.isFile() && /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

t.test('no file imports a folder above its own layer', async (t) => {
  const imports: Import[] = []
  for (const folder of [...LAYERS.flat(), STANDALONE]) {
    for (const file of sourceFiles(folder)) {
      for (const i of importsOf(readFileSync(join(ROOT, file), 'utf8'))) imports.push({ from: file, ...i })
    }
  }
  t.ok(imports.length > 200, `the scan found the code base's imports (${imports.length})`)
  t.ok(imports.some((i) => i.from === 'routes/items.ts' && i.spec.includes('core/')), 'the scan sees relative imports')
  t.ok(
    imports.some((i) => i.from === 'clients/typescript/src/commerce-client.ts' && i.spec === 'openapi-fetch'),
    'the scan sees clients/'
  )
  t.same(layerViolations(imports), [], 'every import points to its own layer or one below')
})

t.test('clients/ stands alone: no import of the app, only the packages it lists', async (t) => {
  t.same(layerViolations([
    { from: 'clients/typescript/src/commerce-client.ts', spec: './transport.js' },
    { from: 'clients/typescript/src/commerce-client.ts', spec: 'openapi-fetch' },
    { from: 'clients/typescript/src/webhooks.ts', spec: 'node:crypto' },
    { from: 'clients/typescript/examples/shopper.ts', spec: '@serverless-commerce/client' },
    { from: 'clients/typescript/examples/partner-webhook-receiver.ts', spec: 'node:http' },
    { from: 'clients/typescript/test/transport.test.ts', spec: '../src/transport.js' },
    { from: 'test/unit/webhook-signature.test.ts', spec: '../../clients/typescript/src/webhooks.js' }
  ]), [], 'its own files, openapi-fetch, node:crypto in webhooks.ts, the package name in examples; the tests may use ' +
    'it')
  t.same(layerViolations([{ from: 'clients/typescript/src/problem.ts', spec: '../../../core/problem.js' }]),
    [
      'clients/typescript/src/problem.ts imports core/problem.js: clients/typescript/ stands alone (a published ' +
        'package), it may not import the app\'s code'
    ])
  t.equal(
    layerViolations([{ from: 'clients/typescript/src/transport.ts', spec: 'node:crypto' }]).length,
    1,
    'no Node API outside webhooks.ts'
  )
  t.equal(
    layerViolations([{ from: 'clients/typescript/src/transport.ts', spec: 'ky' }]).length,
    1,
    'no other dependency'
  )
  t.equal(layerViolations([{ from: 'clients/typescript/examples/shopper.ts', spec: 'fastify' }]).length, 1)
  t.equal(
    layerViolations([{ from: 'routes/orders.ts', spec: '../clients/typescript/src/index.js' }]).length,
    1,
    'the deployed code does not use the client'
  )
})

t.test('the check would catch an upward import, naming it', async (t) => {
  t.same(layerViolations([{ from: 'data/orders-repository.ts', spec: '../app/app.js' }]),
    ['data/orders-repository.ts imports app/app.js: data/ (layer 2) may not import app/ (layer 4, above it)'])
  t.same(layerViolations([{ from: 'core/config.ts', spec: '../plugins/auth.js' }]).length, 1)
  t.same(layerViolations([{ from: 'domain/orders.ts', spec: '@aws-sdk/client-dynamodb' }]).length, 1)
  t.same(layerViolations([{ from: 'domain/orders.ts', spec: 'fastify' }]).length, 1)
  t.same(
    layerViolations([{ from: 'domain/events.ts', spec: '@aws-sdk/client-dynamodb', typeOnly: true }]),
    [],
    'types alone are fine'
  )
  t.same(
    layerViolations([{ from: 'app/app.ts', spec: '../elsewhere/x.js' }]).length,
    1,
    'a folder in no layer is named'
  )
  t.same(layerViolations([
    { from: 'routes/items.ts', spec: '../data/items-repository.js' },
    { from: 'app/startup/openapi-document.ts', spec: '../app.js' },
    { from: 'local/start.ts', spec: '../app/server.js' }
  ]), [], 'downward and same-folder imports pass')
})

t.test('importsOf reads every kind of import and skips comments', async (t) => {
  t.same(importsOf([
    "import a from './a.js'",
    "import { b, type C } from '../b.js'",
    "export { d } from './d.js'",
    "import type { E } from './e.js'",
    "const f = await import('./f.js')",
    "import './side-effect.js'",
    "// import x from '../app/app.js'",
    "/* import y from '../app/app.js' */"
  ].join('\n')).map((i) => `${i.spec}${i.typeOnly ? ' (type)' : ''}`),
  ['./a.js', '../b.js', './d.js', './e.js (type)', './f.js', './side-effect.js'])
})
