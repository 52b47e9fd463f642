// Cold-start probe, run in a fresh `node` process per sample: import a bundle, hand its handler one
// event, report the in-process time from import() to the response and the peak RSS.
//   node cold.mjs <bundle.mjs> <event.json>
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { fail, lambdaContext, report } from './result.js'

const [bundle, eventFile] = process.argv.slice(2) as [string, string]
try {
  const event = JSON.parse(readFileSync(eventFile, 'utf8')) as unknown
  const started = performance.now()
  const mod = await import(pathToFileURL(bundle).href) as {
    handler: (e: unknown, c: unknown) => Promise<{ statusCode?: number; batchItemFailures?: unknown[] }>
  }
  const imported = performance.now()
  const res = await mod.handler(event, lambdaContext)
  const answered = performance.now()
  report({
    importMs: imported - started,
    firstMs: answered - imported,
    totalMs: answered - started,
    status: res?.statusCode ?? (Array.isArray(res?.batchItemFailures) &&
      res.batchItemFailures.length === 0
      ? 200
      : 500),
    maxRssMiB: process.resourceUsage().maxRSS / 1024
  })
} catch (err) { fail(err) }
