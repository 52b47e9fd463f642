// Builds the real app, exactly as production builds it, from loadConfig() over a test
// environment, and closes it when the test ends.
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppDeps } from '../../app/app.js'
import { loadConfig } from '../../core/config.js'
import { installContractCheck } from './contract.js'

interface Teardown { teardown: (fn: () => unknown) => void; fail?: (message: string) => unknown }

/** Settings every test app gets; route tests without emulators point nowhere reachable. */
export const BASE_TEST_ENV: Record<string, string> = {
  STAGE: 'test',
  LOG_LEVEL: 'silent',
  AWS_REGION: 'us-east-1',
  USER_POOL_ID: 'us-east-1_testpool',
  USER_POOL_CLIENT_ID: 'test-client',
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
  COGNITO_ENDPOINT: 'http://127.0.0.1:9',
  // Tests of other things run unlimited; test/integration/rate-limits.test.ts (and the tests of
  // abuse resistance) turn the limits on with RATE_LIMITS: 'on'.
  RATE_LIMITS: 'off'
}

export async function build (
  t: Teardown,
  opts: { env?: Record<string, string | undefined>; deps?: AppDeps } = {}
): Promise<FastifyInstance> {
  const app = buildApp(loadConfig({ ...BASE_TEST_ENV, ...opts.env }), opts.deps)
  t.teardown(() => app.close())
  // Every response must match the OpenAPI document (test/helpers/contract.ts); fails at teardown.
  installContractCheck(app, t)
  await app.ready()
  return app
}
