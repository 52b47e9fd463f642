// `npm run import -- <file.jsonl>`: imports a catalog through the admin API (PUT /items/{itemId},
// which creates or replaces), several requests at a time. One JSON object a line, with the id the
// item should have and the fields of PUT /items/{itemId} (`stock` is the initial stock of an item
// the import creates). Prints a progress bar on a terminal (plain lines otherwise) and a summary;
// exits 1 when any line was refused, 130 when interrupted. After a crash or Ctrl-C, run the same
// command again: items already imported are replaced by the same content, nothing is duplicated.
//
// Credentials (an account in the `admin` group, see `npm run admin`):
//   --email alice@example.com   signs in through the API; the password from ADMIN_PASSWORD, or asked for
//   ADMIN_TOKEN=<id token>      a token you already have (POST /signin answers one)
//
//   npm run import -- catalog.jsonl --email alice@example.com
//   npm run import -- catalog.jsonl --api https://abc.execute-api.eu-west-1.amazonaws.com --concurrency 16
import { existsSync } from 'node:fs'
import { basename } from 'node:path'
import { parseArgs } from 'node:util'
import { countLines, runImport, type ImportAuth, type ImportSummary } from './import/run-import.js'
import { createProgress, describeRefusal } from './import/progress.js'
import { askHidden, signIn } from './import/sign-in.js'
import { runMain } from './cli.js'

const USAGE = 'usage: npm run import -- <file.jsonl> [--api URL] [--email EMAIL] [--concurrency N]\n' +
  '  credentials: --email (password from ADMIN_PASSWORD or asked for) or ADMIN_TOKEN=<token>'

function report (file: string, s: ImportSummary, seconds: number): string[] {
  const out = [`${s.interrupted ? 'stopped' : 'imported'} ${basename(file)} in ${seconds.toFixed(1)} s: ` +
    `${s.lines} lines, ` +
    `${s.created} items created, ${s.replaced} replaced, ${s.refused.length} refused`]
  if (s.refused.length > 0) {
    out.push('refused lines (fix them and run the same command again):')
    for (const r of [...s.refused].sort((a, b) => a.line - b.line)) out.push(`  ${describeRefusal(r)}`)
  }
  if (s.interrupted) {
    out.push(`${s.stopReason ?? 'interrupted'}${s.nextLine === undefined ? '' : ` before line ${s.nextLine}`}.`)
    out.push(
      'Run the same command again to finish: lines already imported are replaced by the same content, none is ' +
        'duplicated.'
    )
  }
  return out
}

async function main (): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        api: { type: 'string' },
        email: { type: 'string' },
        concurrency: { type: 'string' },
        help: { type: 'boolean', default: false }
      }
    })
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const file = positionals[0]
  if (file === undefined || positionals.length !== 1) {
    console.error(`give one catalog file\n${USAGE}`)
    return 2
  }
  if (!existsSync(file)) {
    console.error(`no file ${file}`)
    return 2
  }
  const concurrency = values.concurrency === undefined ? 8 : Number(values.concurrency)
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    console.error(`--concurrency must be an integer from 1 to 64\n${USAGE}`)
    return 2
  }
  const apiUrl = values.api ?? `http://localhost:${process.env.PORT ?? 3000}`

  let auth: ImportAuth
  const given = process.env.ADMIN_TOKEN
  if (given !== undefined && given !== '') {
    auth = { token: async () => given }
  } else if (values.email !== undefined) {
    const email = values.email
    const password = process.env.ADMIN_PASSWORD ?? await askHidden(`password for ${email}: `)
    if (password === undefined) {
      console.error('no password: set ADMIN_PASSWORD, or run at a terminal to be asked for it')
      return 2
    }
    const login = async (): Promise<string> => signIn(apiUrl, email, password)
    auth = { token: login, renew: login }
  } else {
    console.error(`no credentials: --email (an admin account) or ADMIN_TOKEN\n${USAGE}`)
    return 2
  }

  const tty = process.stdout.isTTY === true
  const abort = new AbortController()
  process.on('SIGINT', () => {
    if (abort.signal.aborted) process.exit(130)
    process.stdout.write(
      `${tty ? '\n' : ''}stopping: waiting for the requests in flight (Ctrl-C again to quit at once) ...\n`
    )
    abort.abort()
  })
  const started = Date.now()
  const progress = createProgress({
    write: (t) => process.stdout.write(t),
    tty,
    total: tty ? await countLines(file) : undefined
  })
  console.log(`importing ${file} into ${apiUrl}, ${concurrency} requests at a time`)
  let summary: ImportSummary
  try {
    summary = await runImport({ file, apiUrl, auth, concurrency, signal: abort.signal, onEvent: progress.event })
  } catch (err) {
    progress.finish()
    console.error(`import failed: ${(err as Error).message}`)
    return 2
  }
  progress.finish()
  for (const line of report(file, summary, (Date.now() - started) / 1000)) console.log(line)
  if (summary.interrupted) return summary.stopReason === undefined ? 130 : 1
  return summary.refused.length > 0 ? 1 : 0
}

runMain(main)
