// The cognito-local child process (local/emulators/cognito.ts starts it with the folder it keeps
// its data in as its working directory). cognito-local's own server, assembled as its
// createDefaultServer does, with three parts of ours:
// - the store writes one whole file at a time through a rename (cognito-store.ts), and a store it
//   cannot read stops the start with what to do (exit code 78 and the message, no stack trace);
// - codes go to the SES emulator's mailbox (cognito-mail.ts);
// - the operations cognito-local lacks behave as AWS does (cognito-targets.ts).
// No Lambda triggers and no KMS locally: so neither the v2 AWS SDK nor its crypto is loaded.
// Environment: HOST, PORT (cognito-local's own), SES_ENDPOINT, MAIL_FROM, CODE (a fixed code).
import { join } from 'node:path'
import { loadConfig } from 'cognito-local/lib/server/config.js'
import { createServer } from 'cognito-local/lib/server/server.js'
import {
  DateClock,
  LambdaService,
  MessagesService,
  TriggersService,
  type Services
} from 'cognito-local/lib/services/index.js'
import { CognitoServiceFactoryImpl } from 'cognito-local/lib/services/cognitoService.js'
import { UserPoolServiceFactoryImpl } from 'cognito-local/lib/services/userPoolService.js'
import { MessageDeliveryService } from 'cognito-local/lib/services/messageDelivery/messageDelivery.js'
import { JwtTokenGenerator } from 'cognito-local/lib/services/tokenGenerator.js'
import { otp } from 'cognito-local/lib/services/otp.js'
import {
  AtomicDataStoreFactory,
  COGNITO_CONFIG_DIR,
  COGNITO_DB_DIR,
  CognitoStoreError,
  STORE_UNREADABLE_EXIT,
  checkCognitoStore,
  requireFromCognitoLocal
} from './cognito-store.js'
import { MailboxSender } from './cognito-mail.js'
import { withAwsTargets } from './cognito-targets.js'

type CognitoLogger = Parameters<typeof createServer>[1]
const pino = requireFromCognitoLocal('pino') as (options: object) => CognitoLogger

async function main (): Promise<void> {
  const dataDir = process.cwd()
  checkCognitoStore(dataDir)
  const logger = pino({ level: process.env.DEBUG !== undefined ? 'debug' : 'info', base: null })
  const ctx = { logger }
  const config = await loadConfig(ctx, new AtomicDataStoreFactory(join(dataDir, COGNITO_CONFIG_DIR)))
  const clock = new DateClock()
  const dbDir = join(dataDir, COGNITO_DB_DIR)
  const stores = new AtomicDataStoreFactory(dbDir)
  const cognito = await new CognitoServiceFactoryImpl(
    dbDir,
    stores,
    new UserPoolServiceFactoryImpl(clock, stores)
  ).create(ctx, config.UserPoolDefaults)
  const triggers = new TriggersService(clock, cognito, new LambdaService({}, undefined as never), undefined as never)
  const sender = new MailboxSender(process.env.SES_ENDPOINT ?? 'http://127.0.0.1:8005', process.env.MAIL_FROM ?? 'orders@serverless-commerce.local')
  const services: Services = {
    clock,
    cognito,
    config,
    messages: new MessagesService(triggers, new MessageDeliveryService(sender)),
    otp,
    tokenGenerator: new JwtTokenGenerator(clock, triggers, config.TokenConfig),
    triggers
  }
  const server = await createServer(withAwsTargets(services), logger, config.ServerConfig, services).start()
  const address = server.address()
  logger.info(`Cognito Local running on ${typeof address === 'object' && address !== null ? `http://${address.address}:${address.port}` : String(address)}`)
}

main().catch((err: unknown) => {
  if (err instanceof CognitoStoreError) {
    process.stderr.write(`${err.message}\n`)
    process.exit(STORE_UNREADABLE_EXIT)
  }
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
