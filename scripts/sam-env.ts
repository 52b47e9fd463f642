// `npm run sam:env`: writes env.json (git-ignored) for `sam local invoke --env-vars env.json` and
// `sam local start-api --env-vars env.json`, pointing the built functions at the running `npm start`
// stack: its emulators' endpoints, pool ids, table names, queues and webhook URLs, read from its
// data folder (running.json; LOCAL_DATA_DIR if the stack was given one). SAM passes a container only
// the variables the template declares for the function, so each function's entry holds only those;
// what the stack sets beyond them is named on the way out. The emulators listen on 127.0.0.1 only:
// the endpoints stay 127.0.0.1, reachable from a container run with `--docker-network host`.
// Options: --out <file> (default env.json in the repository).
import { writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { loadConfig } from '../core/config.js'
import { loadTemplate, type CfnTemplate } from '../infra/template.js'
import { runningStackOrExit, type RunningStack } from '../local/data-lock.js'

export const SAM_FUNCTIONS = ['ApiFunction', 'WorkerFunction'] as const

/** The variables the template gives a function (its Globals' and its own): all SAM passes it. */
export function declaredVariables (template: CfnTemplate, logicalId: string): string[] {
  const globals = (template.Globals as any)?.Function?.Environment?.Variables ?? {}
  const own = template.Resources[logicalId]?.Properties?.Environment?.Variables ?? {}
  return Object.keys({ ...globals, ...own })
}

export interface SamEnv {
  /** env.json's content: each function's variables, by logical id. */
  env: Record<string, Record<string, string>>
  /** Variables the running stack sets that no function declares (SAM could not pass them). */
  notPassed: string[]
}

/** env.json for `sam local` from a running stack's record (running.json). */
export function samEnv (running: RunningStack, template: CfnTemplate = loadTemplate()): SamEnv {
  const stackEnv = running.env ?? {}
  const config = loadConfig({ ...stackEnv, STAGE: 'local' })
  const values: Record<string, string> = {
    ...stackEnv,
    STAGE: 'local',
    LOG_LEVEL: 'info',
    TRACING: 'PassThrough',
    CORS_ORIGINS: '*',
    // No API Gateway CORS or access log in front of `sam local start-api`: the app does both, as locally.
    CORS_HANDLED_BY: 'app',
    ACCESS_LOG: 'on',
    ITEMS_TABLE: config.tables.items,
    ORDERS_TABLE: config.tables.orders,
    IDEMPOTENCY_TABLE: config.tables.idempotency,
    SUPPRESSIONS_TABLE: config.tables.suppressions,
    CATALOG_INDEX_TABLE: config.tables.catalogIndex,
    RATE_LIMIT_TABLE: config.tables.rateLimits,
    EVENT_BUS_NAME: config.eventBusName,
    SES_FROM: config.email.from,
    // The local SES knows no configuration set; the local stack sends without one.
    SES_CONFIGURATION_SET: ''
  }
  const env: SamEnv['env'] = {}
  const passed = new Set<string>()
  for (const id of SAM_FUNCTIONS) {
    const vars: Record<string, string> = {}
    for (const name of declaredVariables(template, id)) {
      // Empty secret ARNs: the local stage then uses the development values `npm start` prints.
      if (name.endsWith('_SECRET_ARN')) vars[name] = ''
      else if (values[name] !== undefined) vars[name] = values[name]
      else continue
      passed.add(name)
    }
    env[id] = vars
  }
  // SAM sets the AWS_ variables itself; with an endpoint set the config uses fixed local credentials,
  // and DynamoDB Local shares one database across regions.
  const notPassed = Object.keys(stackEnv).filter((name) => !passed.has(name) && !name.startsWith('AWS_')).sort()
  return { env, notPassed }
}

function main (): void {
  const { values: flags } = parseArgs({ options: { out: { type: 'string' } } })
  const root = fileURLToPath(new URL('..', import.meta.url))
  const out = flags.out ?? join(root, 'env.json')
  const running = runningStackOrExit()
  const { env, notPassed } = samEnv(running)
  writeFileSync(out, `${JSON.stringify(env, null, 2)}\n`)
  const file = relative(process.cwd(), out) || out
  console.log(`Wrote ${file} for the stack of pid ${running.pid} (${Object.keys(env).join(', ')}).`)
  console.log('The emulators listen on 127.0.0.1 only: run the containers on the host network, e.g.\n' +
    `  sam build && sam local invoke ApiFunction -e events/http-get-items.json --env-vars ${file} ` +
    '--docker-network host\n' +
    `  sam local start-api --env-vars ${file} --docker-network host --port <a free port>`)
  if (notPassed.length > 0) {
    console.log(`Not passed (the template does not declare them, so SAM would drop them): ${notPassed.join(', ')}.` +
      (notPassed.includes('USER_POOL_CLIENT_SECRET')
        ? '\nWithout the client secret the local Cognito refuses the API\'s account calls (sign-up, sign-in, ' +
          'refresh): sign in through `npm start`\'s API and send its token.'
        : ''))
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main()
