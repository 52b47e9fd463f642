// The import's credentials: a sign-in through the API's own POST /signin (whatever the sign-up
// flow, an existing confirmed account signs in this way), and a password asked for at a terminal
// without echoing it. The password is never an argument: arguments show in `ps`.

/** Signs in and answers the id token (it carries the account's groups). */
export async function signIn (apiUrl: string, email: string, password: string): Promise<string> {
  let res: Response
  try {
    res = await fetch(`${apiUrl.replace(/\/+$/, '')}/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password })
    })
  } catch (err) {
    throw new Error(
      `cannot reach the API at ${apiUrl} (${(err as Error).message}): is \`npm start\` running? (--api sets the ` +
        'address)'
    )
  }
  const body = await res.json().catch(() => ({})) as { token?: unknown; detail?: unknown }
  if (res.status !== 200 || typeof body.token !== 'string') {
    throw new Error(
      `signing in as ${email} failed: ${res.status} ${typeof body.detail === 'string' ? body.detail : ''}`.trim()
    )
  }
  return body.token
}

/** Reads a line from the terminal without echo; undefined when stdin is not a terminal. */
export async function askHidden (prompt: string): Promise<string | undefined> {
  const input = process.stdin
  if (input.isTTY !== true) return undefined
  process.stdout.write(prompt)
  input.setRawMode(true)
  input.resume()
  input.setEncoding('utf8')
  return await new Promise((resolve) => {
    let value = ''
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          input.setRawMode(false)
          input.pause()
          input.off('data', onData)
          process.stdout.write('\n')
          resolve(value)
          return
        }
        if (ch === '\u0003') process.exit(130)
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else value += ch
      }
    }
    input.on('data', onData)
  })
}
