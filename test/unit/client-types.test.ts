// No drift between the API and its TypeScript client: clients/typescript/src/schema.ts must be what
// openapi-typescript makes of the document the app serves today. When a route's schema changes,
// this fails and names the one command that regenerates the file.
import t from 'tap'
import {
  CLIENT_TYPES_FILE,
  GENERATE_COMMAND,
  clientTypes,
  readClientTypes,
  servedDocument
} from '../../scripts/generate-client.js'

/** Where two texts first differ, as a line number and both lines (shortened), or undefined. */
export function firstDifference (found: string, wanted: string): string | undefined {
  if (found === wanted) return undefined
  const a = found.split('\n')
  const b = wanted.split('\n')
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  const show = (line: string | undefined): string => (line === undefined
    ? '(end of file)'
    : JSON.stringify(
      line.trim().slice(0, 120)
    ))
  return `line ${i + 1}: the file has ${show(a[i])}, the document gives ${show(b[i])}`
}

export const staleMessage = (difference: string): string =>
  `${CLIENT_TYPES_FILE} is out of date with the routes' schemas (${difference}). ` +
  `Run \`${GENERATE_COMMAND}\` and commit the regenerated file (and extend clients/typescript/src if an operation ` +
    'was added).'

t.test("the client's generated types are those of the document the app serves", async (t) => {
  const document = await servedDocument()
  const [found, wanted] = await Promise.all([readClientTypes(), clientTypes(document)])
  t.ok(found !== undefined, `${CLIENT_TYPES_FILE} exists (\`${GENERATE_COMMAND}\` writes it)`)
  const difference = firstDifference(found ?? '', wanted)
  t.ok(
    difference === undefined,
    difference === undefined ? `${CLIENT_TYPES_FILE} is up to date` : staleMessage(difference)
  )

  // The check is sensitive to a schema change: a new optional property of a response shows.
  const changed = structuredClone(document) as any
  changed.components.schemas.Me.properties.nickname = { type: 'string' }
  const drift = firstDifference(found ?? '', await clientTypes(changed))
  t.match(drift, /^line \d+: .*nickname/s, 'a changed schema is reported, with the first differing line')
  t.match(staleMessage(drift ?? ''), /Run `npm run client:generate`/, 'and the message names the command')
})
