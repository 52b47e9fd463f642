// Local tables made from infra/template.yaml's AWS::DynamoDB::Table resources, so the template is
// the one source of truth: a key, index, stream or TTL changed there is changed locally too.
import {
  CreateTableCommand, DescribeTableCommand, DeleteTableCommand, UpdateTimeToLiveCommand, waitUntilTableExists,
  type CreateTableCommandInput, type DynamoDBClient, type TableDescription
} from '@aws-sdk/client-dynamodb'
import { loadTemplate, type CfnTemplate } from '../infra/template.js'

/** Template logical id -> the config's name for the table. */
export const TABLE_IDS = {
  ItemsTable: 'items',
  OrdersTable: 'orders',
  IdempotencyTable: 'idempotency',
  MailSuppressionsTable: 'suppressions',
  CatalogIndexTable: 'catalogIndex',
  RateLimitTable: 'rateLimits'
} as const
export type TableKey = typeof TABLE_IDS[keyof typeof TABLE_IDS]

/** Every table's name under one prefix (`<prefix>-items`, `<prefix>-catalog-index`, ...): tests and the bench. */
export function prefixedTableNames (prefix: string): Record<TableKey, string> {
  return {
    items: `${prefix}-items`,
    orders: `${prefix}-orders`,
    idempotency: `${prefix}-idempotency`,
    suppressions: `${prefix}-suppressions`,
    catalogIndex: `${prefix}-catalog-index`,
    rateLimits: `${prefix}-rate-limits`
  }
}

export interface TableDefinition { input: CreateTableCommandInput; ttlAttribute?: string }

export function tableDefinitions (
  names: Record<TableKey, string>,
  template: CfnTemplate = loadTemplate()
): TableDefinition[] {
  return Object.entries(TABLE_IDS).map(([logicalId, key]) => {
    const resource = template.Resources[logicalId]
    if (resource?.Type !== 'AWS::DynamoDB::Table') {
      throw new Error(`infra/template.yaml has no AWS::DynamoDB::Table named ${logicalId}`)
    }
    const p = resource.Properties ?? {}
    const input: CreateTableCommandInput = {
      TableName: names[key],
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: p.AttributeDefinitions,
      KeySchema: p.KeySchema,
      ...(p.GlobalSecondaryIndexes
        ? {
            GlobalSecondaryIndexes: p.GlobalSecondaryIndexes.map((g: any) =>
              ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection }))
          }
        : {}),
      ...(p.StreamSpecification
        ? { StreamSpecification: { StreamEnabled: true, StreamViewType: p.StreamSpecification.StreamViewType } }
        : {})
    }
    const ttl = p.TimeToLiveSpecification
    return { input, ttlAttribute: ttl?.Enabled === true ? ttl.AttributeName : undefined }
  })
}

/** Differences between a live table and its definition: keys, indexes, stream view type. */
export function tableDrift (def: CreateTableCommandInput, live: TableDescription): string[] {
  const out: string[] = []
  const keys = (k: unknown): string => JSON.stringify(k)
  if (keys(def.KeySchema) !== keys(live.KeySchema)) out.push('key schema')
  const defIdx = (def.GlobalSecondaryIndexes ?? []).map((g) => `${g.IndexName}:${keys(g.KeySchema)}`).sort()
  const liveIdx = (live.GlobalSecondaryIndexes ?? []).map((g) => `${g.IndexName}:${keys(g.KeySchema)}`).sort()
  if (keys(defIdx) !== keys(liveIdx)) out.push('global secondary indexes')
  const defStream = def.StreamSpecification?.StreamViewType
  const liveStream = live.StreamSpecification?.StreamEnabled === true
    ? live.StreamSpecification.StreamViewType
    : undefined
  if (defStream !== liveStream) out.push('stream')
  return out
}

/**
 * Creates the tables that don't exist. A kept table (from an earlier `npm start`) whose shape no
 * longer matches the template is dropped and made again when `recreateDrifted` is set, else reported.
 */
export async function ensureTables (client: DynamoDBClient, names: Record<TableKey, string>,
  opts: { recreateDrifted?: boolean; log?: (msg: string) => void } = {}): Promise<void> {
  await Promise.all(tableDefinitions(names).map(async ({ input, ttlAttribute }) => {
    const name = input.TableName as string
    const live = await client.send(new DescribeTableCommand({ TableName: name })).then((r) => r.Table, (err: Error) => {
      if (err.name === 'ResourceNotFoundException') return undefined
      throw err
    })
    if (live !== undefined) {
      const drift = tableDrift(input, live)
      if (drift.length === 0) return
      if (!opts.recreateDrifted) {
        throw new Error(
          `Local table ${name} differs from infra/template.yaml (${drift.join(', ')}); start with --reset to ` +
            'recreate it'
        )
      }
      opts.log?.(`Table ${name} differs from infra/template.yaml (${drift.join(', ')}): recreating it`)
      await client.send(new DeleteTableCommand({ TableName: name }))
    }
    await client.send(new CreateTableCommand(input))
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: name })
    if (ttlAttribute !== undefined) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true }
        })
      )
    }
  }))
}

export async function deleteTables (client: DynamoDBClient, names: Record<TableKey, string>): Promise<void> {
  await Promise.all(Object.values(names).map((TableName) =>
    client.send(new DeleteTableCommand({ TableName })).catch(() => {})))
}
