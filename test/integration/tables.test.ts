// The tables the local stack and the tests run on are the template's: created through
// local/tables.ts, then described by DynamoDB Local and compared with infra/template.yaml.
import t from 'tap'
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb'
import { loadTemplate } from '../../infra/template.js'
import { TABLE_IDS } from '../../local/tables.js'
import { createTables, localDynamoClient } from '../helpers/stack.js'

t.test('live local tables have the template keys, indexes, stream and TTL', async (t) => {
  const names = await createTables(t)
  const byKey = {
    items: names.ITEMS_TABLE,
    orders: names.ORDERS_TABLE,
    idempotency: names.IDEMPOTENCY_TABLE,
    suppressions: names.SUPPRESSIONS_TABLE,
    catalogIndex: names.CATALOG_INDEX_TABLE,
    rateLimits: names.RATE_LIMIT_TABLE
  }
  const client = localDynamoClient()
  t.teardown(() => client.destroy())
  const template = loadTemplate()
  for (const [logicalId, key] of Object.entries(TABLE_IDS)) {
    const p = template.Resources[logicalId]!.Properties!
    const TableName = byKey[key]
    const live = (await client.send(new DescribeTableCommand({ TableName }))).Table!
    t.same(live.KeySchema, p.KeySchema, `${logicalId}: key schema`)
    t.same(new Set(live.AttributeDefinitions), new Set(p.AttributeDefinitions), `${logicalId}: attribute types`)
    const indexes = (gs: any[] | undefined): string[] =>
      (gs ?? []).map((g) => `${g.IndexName} ${JSON.stringify(g.KeySchema)} ${g.Projection.ProjectionType}`).sort()
    t.same(indexes(live.GlobalSecondaryIndexes), indexes(p.GlobalSecondaryIndexes), `${logicalId}: indexes`)
    t.equal(live.StreamSpecification?.StreamEnabled === true ? live.StreamSpecification.StreamViewType : undefined,
      p.StreamSpecification?.StreamViewType, `${logicalId}: stream`)
    const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName }))).TimeToLiveDescription
    const liveTtl = ttl?.TimeToLiveStatus === 'ENABLED' ||
      ttl?.TimeToLiveStatus === 'ENABLING'
      ? ttl.AttributeName
      : undefined
    t.equal(
      liveTtl,
      p.TimeToLiveSpecification?.Enabled === true ? p.TimeToLiveSpecification.AttributeName : undefined,
      `${logicalId}: TTL`
    )
  }
})
