// What `npm start` prints once the stack is up: its URLs, the local keys and secrets, and the
// commands to run against it. A command runs in another terminal, where this stack's ports are not
// set: each carries the ports it reads (COMMAND_PORTS), else it would reach another stack, or none.
import type { Config, SecretSource } from '../core/config.js'
import { LOCAL_DEFAULTS } from '../core/config.js'
import { LOCAL_WORKER_PORTS } from './worker.js'

/** The variables naming the stack's ports, with npm start's defaults. */
export const DEFAULT_PORTS = {
  PORT: 3000,
  DYNAMODB_PORT: 8000,
  COGNITO_PORT: 9229,
  SES_PORT: 8005,
  EVENTBUS_PORT: LOCAL_WORKER_PORTS.eventBus,
  PARTNER_PORT: LOCAL_WORKER_PORTS.partner
} as const
export type PortName = keyof typeof DEFAULT_PORTS

/** The port variables each `npm run <command>` reads to find the local stack. */
export const COMMAND_PORTS: Record<string, PortName[]> = {
  admin: ['COGNITO_PORT'],
  import: ['PORT'],
  redrive: ['EVENTBUS_PORT', 'DYNAMODB_PORT'],
  replay: ['EVENTBUS_PORT', 'DYNAMODB_PORT'],
  seed: ['DYNAMODB_PORT'],
  'backfill-index': ['DYNAMODB_PORT']
}

/** `npm run <command> -- <args>`, prefixed with the ports it needs where they differ from the defaults. */
export function command (name: string, args: string, ports: Partial<Record<PortName, number>>): string {
  const needed = COMMAND_PORTS[name]
  if (needed === undefined) throw new Error(`COMMAND_PORTS has no ${name}`)
  const prefix = needed.filter((p) => ports[p] !== undefined && ports[p] !== DEFAULT_PORTS[p])
    .map((p) => `${p}=${ports[p]} `).join('')
  return `${prefix}npm run ${name}${args === '' ? '' : ` -- ${args}`}`
}

export interface BannerInfo {
  config: Config
  readySeconds: number
  ports: Record<PortName, number>
  api: string
  endpoints: { dynamodb: string; cognito: string; ses: string }
  eventBusUrl: string
  partnerUrl: string | undefined
  deadLetters: string
  autoAdvance: boolean
  dataDir: string | undefined
}

const local = (source: SecretSource, fallback: string): string => ('value' in source ? source.value : fallback)

export function banner (b: BannerInfo): string {
  const { config, api, ports } = b
  const run = (name: string, args = ''): string => command(name, args, ports)
  return [
    '',
    `serverless-commerce is running (ready in ${b.readySeconds.toFixed(1)} s)`,
    `  API            ${api}`,
    `  Health         ${api}/health`,
    `  Swagger UI     ${api}/docs`,
    `  OpenAPI        ${api}/openapi.json`,
    `  Mailbox (SES)  ${b.endpoints.ses}`,
    `  Event bus, SQS ${b.eventBusUrl}  (PutEvents, SQS and S3; routes, queues, buckets from infra/template.yaml)`,
    `  Redrive        ${run('redrive', 'events | orders-stream')}   (dead letters now: ${b.deadLetters})`,
    `  Replay         ${run('replay', '<orderId>')}`,
    `  Partners       ${b.partnerUrl ?? '(external)'}  webhooks: ${config.webhookUrls.warehouse ?? '-'} , ` +
      `${config.webhookUrls.delivery ?? '-'}${b.partnerUrl === undefined ? '' : `  (received: ${b.partnerUrl}/)`}`,
    `  Auto-advance   ${b.autoAdvance
      ? 'on: the simulated partners pack, then deliver, each order'
      : 'off (npm start -- --auto-advance to turn on)'}`,
    `  DynamoDB Local ${b.endpoints.dynamodb}`,
    `  cognito-local  ${b.endpoints.cognito}  (pool ${config.cognito.userPoolId}, client ${config.cognito.clientId})`,
    `  Data           ${b.dataDir === undefined
      ? 'in memory (gone at exit)'
      : `${b.dataDir} (npm start -- --reset to wipe)`}`,
    '  Partner API keys (development defaults; set WAREHOUSE_API_KEY / DELIVERY_API_KEY to change):',
    `    warehouse    ${local(config.partnerKeys.warehouse, LOCAL_DEFAULTS.WAREHOUSE_API_KEY)}`,
    `    delivery     ${local(config.partnerKeys.delivery, LOCAL_DEFAULTS.DELIVERY_API_KEY)}`,
    '  Webhook signing secrets (verify our webhooks with them; set WAREHOUSE_WEBHOOK_SECRET /',
    '  DELIVERY_WEBHOOK_SECRET to change):',
    `    warehouse    ${local(config.webhookKeys.warehouse, LOCAL_DEFAULTS.WAREHOUSE_WEBHOOK_SECRET)}`,
    `    delivery     ${local(config.webhookKeys.delivery, LOCAL_DEFAULTS.DELIVERY_WEBHOOK_SECRET)}`,
    '  Become an admin (catalog writes, every order): sign up and confirm (POST /signup, /signup/confirm),',
    '  then in another terminal',
    `    ${run('admin', '<your email>')}   and sign in again (POST /signin)`,
    `  Import a catalog  ${run('import', '<file.jsonl> --email <admin email>')}   (README, "Catalog")`,
    'Press Ctrl-C to stop everything.',
    ''
  ].join('\n')
}
