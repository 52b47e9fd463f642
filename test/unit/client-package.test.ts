// The TypeScript client as it ships: built with its own strict settings into a package folder
// (dist/ and package.json, as `npm pack` has them), then used by a consumer project with strict
// TypeScript (a call of each kind, misuse refused, and the package's examples, all checked against
// the published declarations) and run by plain Node, no tsx. Also: the main entry type-checks with
// browser types only (no Node API outside verifyWebhook). `npm run typecheck` checks the package's
// tests too.
import t from 'tap'
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PACKAGE = join(ROOT, 'clients', 'typescript')
const require = createRequire(import.meta.url)
const TSC = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc')

async function run (file: string, args: string[], cwd = ROOT): Promise<{ code: number, output: string }> {
  return await new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { cwd, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, output: `${stdout}${stderr}` })
    })
  })
}

const CONSUMER = `
import {
  createCommerceClient, createPartnerClient, CommerceProblem, isCommerceProblem, type Order, type Tokens
} from '@serverless-commerce/client'
import { verifyWebhook } from '@serverless-commerce/client/webhooks'

const order = {
  id: 'ord-1', userId: 'u', userEmail: 'a@example.com', status: 'placed', lines: [], total: 0, currency: 'USD',
  createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', history: [] }
const seen: Request[] = []
const fetch = async (request: Request): Promise<Response> => {
  seen.push(request)
  if (request.url.endsWith('/orders/ord-2')) {
    const body = {
      type: 'x', title: 'Not Found', status: 404, code: 'order_not_found', detail: 'No order', requestId: 'r-1'
    }
    return new Response(JSON.stringify(body), { status: 404, headers: { 'content-type': 'application/problem+json' } })
  }
  return new Response(JSON.stringify(order), { status: 201, headers: { 'content-type': 'application/json' } })
}
const tokens: Tokens = { idToken: 'i', accessToken: 'a', refreshToken: 'r' }
const shop = createCommerceClient({ baseUrl: 'http://api.test', fetch, tokens })
const placed: Order = await shop.placeOrder({ items: [{ id: 'phone-1', count: 1, color: '#000000' }] })
const status: 'placed' | 'packed' | 'delivered' | 'cancelled' = placed.status
const key = seen[0]?.headers.get('idempotency-key') ?? ''
let problem = ''
try {
  await shop.getOrder('ord-2')
} catch (err) {
  if (isCommerceProblem(err, 'order_not_found') && err instanceof CommerceProblem) {
    problem = \`\${err.status} \${err.code} \${err.requestId ?? ''}\`
  }
}
const partner = createPartnerClient({ baseUrl: 'http://api.test', apiKey: 'k', fetch })
await partner.markPacked('ord-1')
await partner.markDelivered('ord-1', { carrier: 'UPS' })
const { data } = await shop.api.GET('/items/{itemId}', { params: { path: { itemId: 'phone-1' } } })
void data?.inStock
// @ts-expect-error count is a number
void shop.placeOrder({ items: [{ id: 'phone-1', count: '1' }] })
// @ts-expect-error an unknown property of the body
void partner.markPacked('ord-1', { packageID: 'x' })
// @ts-expect-error no such path
void shop.api.GET('/nowhere')
console.log(JSON.stringify({
  status, key, problem, packedBody: seen[2]?.body === null, webhook: verifyWebhook('k', '{}', 't=1,v1=00') ?? 'refused'
}))
`

t.test('a strict consumer project type-checks against the built package and runs it with plain Node', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'client-package-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const installed = join(dir, 'node_modules', '@serverless-commerce', 'client')
  const build = await run(TSC, ['-p', join(PACKAGE, 'tsconfig.build.json'), '--outDir', join(installed, 'dist')])
  t.equal(
    build.code,
    0,
    `the package builds with its strict settings${build.output === '' ? '' : `:\n${build.output}`}`
  )
  cpSync(join(PACKAGE, 'package.json'), join(installed, 'package.json'))
  symlinkSync(dirname(require.resolve('openapi-fetch/package.json')), join(dir, 'node_modules', 'openapi-fetch'), 'dir')
  const shipped = readdirSync(join(installed, 'dist')).filter((f) => f.endsWith('.js'))
  t.ok(
    shipped.includes('index.js') && shipped.includes('webhooks.js') && readdirSync(join(installed, 'dist')).includes(
      'index.d.ts'
    ),
    'ESM with declarations'
  )
  for (const file of shipped.filter((f) => f !== 'webhooks.js')) {
    const code = readFileSync(join(installed, 'dist', file), 'utf8')
    t.notMatch(code, /from ['"](node:|crypto|fs|http|buffer)/, `dist/${file} imports no Node module`)
    t.notMatch(code, /\bBuffer\b|\bprocess\./, `dist/${file} uses no Node global`)
  }
  t.same(
    Object.keys(
      (JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { dependencies: object }).dependencies
    ),
    ['openapi-fetch'],
    'openapi-fetch is the only runtime dependency'
  )

  mkdirSync(join(dir, 'src'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  writeFileSync(join(dir, 'src', 'consumer.ts'), CONSUMER)
  cpSync(join(PACKAGE, 'examples'), join(dir, 'src', 'examples'), { recursive: true })
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: true,
      outDir: 'out',
      rootDir: 'src',
      lib: ['ES2022', 'DOM'],
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules', '@types')]
    },
    include: ['src']
  }))
  const checked = await run(TSC, ['-p', dir])
  t.equal(
    checked.code,
    0,
    'the consumer and the examples type-check under strict settings (misuse refused: every @ts-expect-error ' +
      `used)${checked.output === '' ? '' : `:\n${checked.output}`}`
  )
  const ran = await run(join(dir, 'out', 'consumer.js'), [], dir)
  t.equal(ran.code, 0, `runs with plain Node${ran.code === 0 ? '' : `:\n${ran.output}`}`)
  const result = ran.code === 0 ? JSON.parse(ran.output) as Record<string, unknown> : {}
  t.match(result, {
    status: 'placed', key: /^[0-9a-f-]{36}$/, problem: '404 order_not_found r-1', packedBody: true, webhook: 'refused'
  })
})

t.test('the main entry needs no Node types (it runs in browsers)', async (t) => {
  const browser = await run(TSC, ['-p', join(PACKAGE, 'tsconfig.browser.json')])
  t.equal(
    browser.code,
    0,
    'tsconfig.browser.json (src/index.ts with the DOM\'s types and no ' +
      `Node's)${browser.output === '' ? '' : `:\n${browser.output}`}`
  )
})
