// `npm run admin -- <email>`: puts an existing user in the `admin` group (catalog writes, any
// order), or takes them out with --remove. It only needs the user to exist in the pool, however
// they signed up. Tokens carry the groups they were issued with: sign in again afterwards.
//   npm run admin -- alice@example.com            the local pool of `npm start` (cognito-local on $COGNITO_PORT)
//   npm run admin -- alice@example.com --remove
//   npm run admin -- alice@example.com --user-pool-id eu-west-1_AbC --region eu-west-1   a deployed pool (AWS
// credentials)
import { parseArgs } from 'node:util'
import {
  AdminAddUserToGroupCommand, AdminGetUserCommand, AdminListGroupsForUserCommand, AdminRemoveUserFromGroupCommand,
  CognitoIdentityProviderClient, CreateGroupCommand, ListUserPoolsCommand
} from '@aws-sdk/client-cognito-identity-provider'
import { LOCAL_POOL_NAME } from '../local/emulators/cognito.js'
import { isUnreachable, runMain } from './cli.js'
import { errorName } from '../core/error-name.js'

const ADMIN_GROUP = 'admin'
const USAGE = 'usage: npm run admin -- <email> [--remove] [--user-pool-id ID --region REGION] [--endpoint URL]'

async function localPoolId (client: CognitoIdentityProviderClient): Promise<string | undefined> {
  const pools = await client.send(new ListUserPoolsCommand({ MaxResults: 60 }))
  return pools.UserPools?.find((p) => p.Name === LOCAL_POOL_NAME)?.Id
}

async function main (): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      remove: { type: 'boolean', default: false },
      'user-pool-id': { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const email = positionals[0]?.trim().toLowerCase()
  if (email === undefined || positionals.length !== 1 || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    console.error(`give one email address\n${USAGE}`)
    return 2
  }
  // A pool id without an endpoint is a deployed pool: the SDK's normal credential chain.
  const deployed = values['user-pool-id'] !== undefined && values.endpoint === undefined &&
    process.env.COGNITO_ENDPOINT === undefined
  if (deployed && values.region === undefined && process.env.AWS_REGION === undefined) {
    console.error(`--region is required for a deployed pool (or set AWS_REGION)\n${USAGE}`)
    return 2
  }
  const region = values.region ?? process.env.AWS_REGION ?? 'us-east-1'
  const endpoint = deployed ? undefined : (values.endpoint ?? process.env.COGNITO_ENDPOINT ?? `http://127.0.0.1:${process.env.COGNITO_PORT ?? 9229}`)
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const client = new CognitoIdentityProviderClient({
    region,
    ...(endpoint === undefined
      ? {}
      : {
          endpoint,
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          maxAttempts: 1
        })
  })
  const where = endpoint === undefined
    ? `pool ${values['user-pool-id'] as string} (${region})`
    : 'the local pool ' +
    `at ${endpoint}`
  try {
    // USER_POOL_ID counts only beside COGNITO_ENDPOINT (the test stack's environment): alone it
    // may name a deployed pool, which the local endpoint does not have.
    const userPoolId = values['user-pool-id'] ??
      (process.env.COGNITO_ENDPOINT !== undefined ? process.env.USER_POOL_ID : undefined) ??
      await localPoolId(client)
    if (userPoolId === undefined) {
      console.error(
        `no user pool named ${LOCAL_POOL_NAME} at ${endpoint as string}: start the local stack with \`npm start\` ` +
          '(or give --user-pool-id)'
      )
      return 1
    }
    let status: string | undefined
    // The pool's own name for the user (an email-as-username pool calls them by their sub): the
    // group calls below use it, which both Cognito and cognito-local accept.
    let username = email
    try {
      const user = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: email }))
      status = user.UserStatus
      username = user.Username ?? email
    } catch (err) {
      if (errorName(err) !== 'UserNotFoundException') throw err
      console.error(`no user ${email} in ${where}: sign up first (POST /signup), then run this again`)
      return 1
    }
    const groups = await client.send(new AdminListGroupsForUserCommand({ UserPoolId: userPoolId, Username: username }))
    const isAdmin = groups.Groups?.some((g) => g.GroupName === ADMIN_GROUP) === true
    if (values.remove) {
      if (!isAdmin) {
        console.log(`${email} is not in the ${ADMIN_GROUP} group: nothing to do`)
        return 0
      }
      await client.send(
        new AdminRemoveUserFromGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: ADMIN_GROUP })
      )
      console.log(`${email} is no longer in the ${ADMIN_GROUP} group (tokens already issued keep it until they expire)`)
      return 0
    }
    if (isAdmin) {
      console.log(`${email} is already in the ${ADMIN_GROUP} group`)
      return 0
    }
    try {
      await client.send(
        new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: ADMIN_GROUP })
      )
    } catch (err) {
      // A local pool made before the group existed: create it (a deployed stack always has it).
      if (errorName(err) !== 'ResourceNotFoundException' || deployed) throw err
      await client.send(
        new CreateGroupCommand(
          { UserPoolId: userPoolId, GroupName: ADMIN_GROUP, Description: 'Catalog administrators' }
        )
      )
      await client.send(
        new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: username, GroupName: ADMIN_GROUP })
      )
    }
    console.log(`${email} is now in the ${ADMIN_GROUP} group of ${where}.`)
    console.log('Sign in again (POST /signin): tokens issued before do not carry the group.')
    if (status !== undefined && status !== 'CONFIRMED') {
      console.log(`Note: the account's status is ${status}; it can sign in once confirmed.`)
    }
    return 0
  } catch (err) {
    if (isUnreachable(err)) {
      console.error(
      `cannot reach Cognito at ${endpoint ??
        region}: start the local stack with \`npm start\` (COGNITO_PORT sets its port)`
      )
    } else console.error(`failed: ${errorName(err)}: ${(err as Error).message}`)
    return 1
  } finally {
    client.destroy()
  }
}

runMain(main)
