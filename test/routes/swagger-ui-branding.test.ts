// Swagger UI as partners see it: our title and logo (not Fastify's), no "Explore" box to load another
// document, a padlock only on operations that need credentials, deprecated aliases listed last.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { build } from '../helpers/app.js'

type Json = Record<string, any>

const THEME = new URL('../../routes/docs-theme/', import.meta.url).pathname
const SWAGGER_UI = dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui/package.json'))
const FASTIFY_LOGO = join(SWAGGER_UI, 'static', 'logo.svg')
const METHODS = ['get', 'put', 'post', 'delete', 'patch']

t.test('the page carries our title, logo and theme', async (t) => {
  const app = await build(t)
  const doc: Json = (await app.inject({ url: '/openapi.json' })).json()
  const page = await app.inject({ url: '/docs/' })
  t.equal(page.statusCode, 200)
  t.match(page.body, `<title>${doc.info.title}: documentation</title>`, "the document's title, not Swagger UI's")
  t.match(page.body, 'href="./static/theme/logo.svg"', 'our logo is the favicon')
  t.match(page.body, 'href="./static/theme/theme.css"')

  const logo = await app.inject({ url: '/docs/static/theme/logo.svg' })
  t.equal(logo.headers['content-type'], 'image/svg+xml')
  t.ok(logo.rawPayload.equals(readFileSync(join(THEME, 'logo.svg'))), 'served from routes/docs-theme/')

  const init = (await app.inject({ url: '/docs/static/swagger-initializer.js' })).body
  const ours = readFileSync(join(THEME, 'logo.svg')).toString('base64')
  t.ok(init.includes(`data:image/svg+xml;base64,${ours}`), 'the top bar shows our logo')
  t.notOk(init.includes(readFileSync(FASTIFY_LOGO).toString('base64')), "and not Fastify's")

  const css = await app.inject({ url: '/docs/static/theme/theme.css' })
  t.match(css.headers['content-type'], /text\/css/)
  t.match(css.body, /\.download-url-wrapper\s*\{\s*display:\s*none/, 'no "Explore" box')
  t.ok(css.body.includes(`content: ${JSON.stringify(doc.info.title)}`), 'the title beside the logo')
})

t.test('a padlock only where credentials are required; deprecated operations last in their tag', async (t) => {
  const app = await build(t)
  const doc: Json = (await app.inject({ url: '/openapi.json' })).json()
  const seen: Record<string, boolean[]> = {}
  for (const [path, item] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(item)) {
      if (!METHODS.includes(method)) continue
      const key = `${method.toUpperCase()} ${path}`
      // Swagger UI draws a padlock for any requirement list but [] and [{}]: an optional one ([{}, ...]) gets one.
      t.ok(Array.isArray(op.security), `${key} declares its security`)
      const optional = op.security.some((req: Json) => Object.keys(req).length === 0)
      t.notOk(optional, `${key}: required or none, never optional`)
      for (const tag of op.tags) (seen[tag] ??= []).push(op.deprecated === true)
    }
  }
  t.same(doc.paths['/items'].get.security, [], 'browsing the catalog needs nothing')
  t.same(doc.paths['/items/{itemId}'].get.security, [])
  t.ok(seen.orders?.includes(true), 'the orders tag has deprecated aliases')
  for (const [tag, flags] of Object.entries(seen)) {
    t.same(flags, [...flags].sort((a, b) => Number(a) - Number(b)), `${tag}: deprecated operations come last`)
  }
})
