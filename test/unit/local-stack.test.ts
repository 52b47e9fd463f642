import t from 'tap'
import { createServer } from 'node:net'
import { PortBusyError, reservePort } from '../../local/emulators/process.js'
import { tableDefinitions, tableDrift } from '../../local/tables.js'
import { loadTemplate } from '../../infra/template.js'

t.test('a busy port is a clear error naming the service and the way out', async (t) => {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  t.teardown(() => server.close())
  const port = (server.address() as { port: number }).port
  await t.rejects(reservePort('DynamoDB Local', port, '127.0.0.1', 'choose another with DYNAMODB_PORT=<n>'),
    new PortBusyError('DynamoDB Local', port, 'choose another with DYNAMODB_PORT=<n>'))
  await t.rejects(
    reservePort('DynamoDB Local', port),
    { message: new RegExp(`Port ${port} \\(for DynamoDB Local\\) is already in use`) }
  )
  t.ok(await reservePort('any') > 0, 'port 0 picks a free port')
})

t.test('local tables are made from the template definitions', async (t) => {
  const defs = tableDefinitions({
    items: 'i',
    orders: 'o',
    idempotency: 'x',
    suppressions: 's',
    catalogIndex: 'c',
    rateLimits: 'r'
  })
  const byName = Object.fromEntries(defs.map((d) => [d.input.TableName, d]))
  t.same(byName.i.input.GlobalSecondaryIndexes?.map((g: { IndexName?: string }) => g.IndexName), ['byCategory'])
  t.same(byName.o.input.StreamSpecification, { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' })
  t.equal(byName.x.ttlAttribute, 'expiration')
  t.equal(byName.r.ttlAttribute, 'expiration', 'rate-limit counters expire')
  t.same(
    byName.c.input.KeySchema,
    [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]
  )

  // A change in the template changes the local definition: no second source of truth.
  const template = loadTemplate()
  template.Resources.OrdersTable.Properties!.StreamSpecification.StreamViewType = 'KEYS_ONLY'
  const changed = tableDefinitions(
    { items: 'i', orders: 'o', idempotency: 'x', suppressions: 's', catalogIndex: 'c', rateLimits: 'r' },
    template
  ).find((d) => d.input.TableName === 'o')!
  t.equal(changed.input.StreamSpecification?.StreamViewType, 'KEYS_ONLY')
  t.same(
    tableDrift(
      changed.input,
      {
        KeySchema: changed.input.KeySchema,
        GlobalSecondaryIndexes: changed.input.GlobalSecondaryIndexes as never,
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' }
      }
    ),
    ['stream']
  )
})
