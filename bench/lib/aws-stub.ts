// A stand-in for the AWS services the bundles call, speaking their JSON protocols (the request's
// X-Amz-Target names the operation): DynamoDB, Cognito, EventBridge. The cold-start cases serve it
// over HTTP (startAwsStub) so the real SDK clients, signing and sockets included, do their work;
// the warm cases answer in memory (probes/in-memory-http.ts) so the numbers measure our code, not a
// socket. Every answer is fixed: the bench measures cost, not behaviour.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { marshall } from '@aws-sdk/util-dynamodb'

export const STUB_ITEM_ID = 'phone-apple-iphone-15'

export function stubItem (id: string): Record<string, unknown> {
  const now = '2024-11-25T06:00:00.000Z'
  return {
    id,
    category: 'phones',
    type: 'smartphone',
    brand: 'Apple',
    title: 'iPhone 15',
    description: 'A phone with a camera and a battery that lasts the day.',
    storage: '128 GB',
    colorPreference: [{ colorCode: 'BLK', displayValue: 'Black' }, { colorCode: 'BLU', displayValue: 'Blue' }],
    price: 79900,
    currency: 'EUR',
    stock: 100000,
    createdAt: now,
    updatedAt: now,
    typeBrandId: `smartphone#Apple#${id}`,
    searchText: 'iphone 15 apple a phone with a camera'
  }
}

/** The address every bench order is sent to (a shopper's checkout sends one). */
export const STUB_SHIPPING_ADDRESS = {
  name: 'Ada Lovelace',
  line1: '12 St James\'s Square',
  city: 'London',
  postalCode: 'SW1Y 4JH',
  country: 'GB',
  phone: '+442079460958'
}

export function stubOrder (i: number, userId: string): Record<string, unknown> {
  const at = new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString()
  return {
    id: `ord_${String(i).padStart(8, '0')}`,
    userId,
    userEmail: 'ada@example.com',
    userEmailVerified: true,
    status: 'placed',
    lines: [{ id: STUB_ITEM_ID, title: 'iPhone 15', color: 'Black', colorCode: 'BLK', count: 1, unitPrice: 79900 }],
    total: 79900,
    currency: 'EUR',
    createdAt: at,
    updatedAt: at,
    history: [{ status: 'placed', at, by: `user:${userId}` }],
    shippingAddress: STUB_SHIPPING_ADDRESS
  }
}

export interface StubAnswer { status: number; body: string; contentType: string }

const ok = (body: unknown, contentType = 'application/x-amz-json-1.0'): StubAnswer =>
  ({ status: 200, body: JSON.stringify(body), contentType })

type Key = Record<string, { S?: string }>
const keyId = (key: Key | undefined): string => key?.id?.S ?? STUB_ITEM_ID
const isItems = (table: unknown): boolean => typeof table === 'string' && table.includes('items')
const isOrders = (table: unknown): boolean => typeof table === 'string' && table.includes('orders')

/** A table the stub says does not exist: the API answers a 500 and logs the error's stack (cases/cold-start.ts). */
export const MISSING_TABLE = 'missing-items'

/** The answer to one JSON-protocol call, by its X-Amz-Target (`Service_Version.Operation`). */
export function answer (target: string, rawBody: string): StubAnswer {
  const op = target.slice(target.lastIndexOf('.') + 1)
  const input = (rawBody === '' ? {} : JSON.parse(rawBody)) as Record<string, any>
  if (input.TableName === MISSING_TABLE) {
    return {
      status: 400,
      body: JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException',
        message: 'Requested resource not found'
      }),
      contentType: 'application/x-amz-json-1.0'
    }
  }
  switch (op) {
    // DynamoDB
    case 'GetItem':
      return ok(
        isItems(input.TableName) ? { Item: marshall(stubItem(keyId(input.Key)), { removeUndefinedValues: true }) } : {}
      )
    case 'BatchGetItem': {
      const Responses: Record<string, unknown[]> = {}
      for (const [table, req] of Object.entries(input.RequestItems ?? {}) as Array<[string, { Keys: Key[] }]>) {
        Responses[table] = isItems(table) ? req.Keys.map((k) => marshall(stubItem(keyId(k)))) : []
      }
      return ok({ Responses, UnprocessedKeys: {} })
    }
    case 'Query':
    case 'Scan': {
      const limit = Math.min(Number(input.Limit ?? 20), 20)
      const userId = input.ExpressionAttributeValues?.[':userId']?.S ?? input.ExpressionAttributeValues?.[':u']?.S ??
        'user-1'
      const Items = Array.from({ length: limit }, (_, i) =>
        marshall(isOrders(input.TableName) ? stubOrder(i, userId) : stubItem(`item-${i}`)))
      return ok({ Items, Count: Items.length, ScannedCount: Items.length })
    }
    case 'UpdateItem':
      // The rate limiter's counter answers its count: always the first request of its window.
      if (String(input.TableName).includes('rate-limits')) return ok({ Attributes: { hits: { N: '1' } } })
      return ok(
        isItems(input.TableName) && input.ReturnValues !== undefined
          ? {
              Attributes: marshall(stubItem(keyId(input.Key)))
            }
          : {}
      )
    case 'PutItem':
    case 'DeleteItem':
    case 'TransactWriteItems':
    case 'BatchWriteItem':
      return ok({})
    // Cognito: the probe's one user (sub user-1), enabled, verified, never signed out.
    case 'AdminGetUser':
      return ok(
        {
          Username: input.Username,
          Enabled: true,
          UserStatus: 'CONFIRMED',
          UserAttributes: [
            { Name: 'sub', Value: 'user-1' },
            { Name: 'email', Value: 'ada@example.com' },
            { Name: 'email_verified', Value: 'true' }
          ]
        },
        'application/x-amz-json-1.1'
      )
    case 'AdminListGroupsForUser':
      return ok({ Groups: [] }, 'application/x-amz-json-1.1')
    case 'InitiateAuth':
      return ok(
        {
          AuthenticationResult: {
            IdToken: 'stub.id.token',
            AccessToken: 'stub.access.token',
            RefreshToken: 'stub-refresh',
            ExpiresIn: 3600,
            TokenType: 'Bearer'
          },
          ChallengeParameters: {}
        },
        'application/x-amz-json-1.1'
      )
    // EventBridge
    case 'PutEvents': {
      const n = Array.isArray(input.Entries) ? input.Entries.length : 0
      return ok(
        { FailedEntryCount: 0, Entries: Array.from({ length: n }, (_, i) => ({ EventId: `stub-event-${i}` })) },
        'application/x-amz-json-1.1'
      )
    }
    default:
      return {
        status: 400,
        body: JSON.stringify({
          __type: 'com.amazon.coral.validate#ValidationException',
          message: `The bench stub does not answer ${op}`
        }),
        contentType: 'application/x-amz-json-1.0'
      }
  }
}

export interface AwsStub { endpoint: string; close: () => Promise<void> }

/** The stub over HTTP on a free loopback port. */
export async function startAwsStub (): Promise<AwsStub> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const a = answer(String(req.headers['x-amz-target'] ?? ''), Buffer.concat(chunks).toString('utf8'))
      res.writeHead(
        a.status,
        { 'content-type': a.contentType, 'content-length': Buffer.byteLength(a.body), 'x-amzn-requestid': 'stub' }
      )
      res.end(a.body)
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
