// The local worker as a process of its own, for the crash test (test/integration/worker-crash.test.ts):
// started from the environment the test gives it (the emulators, the tables, the worker's ports),
// keeping its queues and stream positions in WORKER_DATA_DIR, with short pauses. Prints "ready"
// once it polls; the test kills it with SIGKILL and starts it again.
import { loadConfig } from '../../core/config.js'
import { startLocalWorker } from '../../local/worker.js'
import type { WorkerLog } from '../../workers/runtime.js'

const dataDir = process.env.WORKER_DATA_DIR
if (dataDir === undefined) throw new Error('WORKER_DATA_DIR is required')
const quiet: WorkerLog = {
  debug () {},
  info () {},
  warn () {},
  error: (message, extra) => { console.error(`[worker] ${message} ${JSON.stringify(extra ?? {})}`) }
}
const worker = await startLocalWorker({
  config: loadConfig(process.env),
  log: quiet,
  partnerSimulator: false,
  freshTablesSince: new Date(process.env.FRESH_TABLES_SINCE ?? Date.now()),
  dataDir,
  pollIntervalMs: 50,
  runtime: { effectRetryDelaysS: [1], webhookRetryDelaysMs: [0, 0], webhookMaxPauseMs: 0 }
})
process.once('SIGTERM', () => { void worker.stop().then(() => process.exit(0)) })
console.log('ready')
