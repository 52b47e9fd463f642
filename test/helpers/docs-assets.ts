// What API Gateway hands the browser for each of Swagger UI's files, checked byte for byte against
// the file itself. API Gateway sends a Lambda answer's body as UTF-8 text unless the answer says
// isBase64Encoded: a PNG sent as text arrives corrupted.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { APIGatewayProxyResult } from 'aws-lambda'
import type { Test } from 'tap'

/** The bytes a client receives for a Lambda proxy answer, as API Gateway decodes its body. */
export const receivedBytes = (res: APIGatewayProxyResult): Buffer =>
  Buffer.from(res.body ?? '', res.isBase64Encoded === true ? 'base64' : 'utf8')

/**
 * Every file of Swagger UI's static folder, requested through `get` (a Lambda handler), arrives
 * with status 200 and exactly the file's bytes; the page links only files among them, the
 * initializer the plugin writes itself, or our theme (theme/: the logo arrives as the file in
 * `themeDir`). Returns the files checked.
 */
export async function checkDocsAssets (
  t: Test, get: (path: string) => Promise<APIGatewayProxyResult>, staticDir: string, themeDir: string
): Promise<string[]> {
  const page = await get('/docs/')
  t.equal(page.statusCode, 200, 'the docs page')
  // /docs/static/index.html redirects to the page
  const files = readdirSync(staticDir).filter((f) => f !== 'index.html')
  const linked = [...receivedBytes(page).toString('utf8').matchAll(/(?:href|src)="\.\/static\/([^"]+)"/g)].map((m) =>
    m[1]!)
  t.ok(linked.includes('theme/logo.svg'), 'the page links our logo as its favicon')
  const logo = await get('/docs/static/theme/logo.svg')
  t.equal(logo.headers?.['content-type'], 'image/svg+xml')
  t.ok(receivedBytes(logo).equals(readFileSync(join(themeDir, 'logo.svg'))), 'our logo arrives intact')
  t.same(linked.filter((f) => !files.includes(f) && f !== 'swagger-initializer.js' && !f.startsWith('theme/')), [],
    'every asset the page links is a file of the folder')
  for (const file of files) {
    const res = await get(`/docs/static/${file}`)
    t.equal(res.statusCode, 200, `${file} is served`)
    const wanted = readFileSync(join(staticDir, file))
    const got = receivedBytes(res)
    t.ok(
      got.equals(wanted),
      `${file} arrives intact (${got.length} of ${wanted.length} bytes, ${res.headers?.['content-type'] ??
        'no type'}, base64: ${res.isBase64Encoded === true})`
    )
  }
  const init = await get('/docs/static/swagger-initializer.js')
  t.equal(init.statusCode, 200, 'the initializer the plugin writes')
  return files
}
