// Bench-only: injected (esbuild `inject`) into the "-sdk-stubbed" variants of the API and floor
// bundles. It replaces DynamoDBDocumentClient's send with fixed in-memory answers, the way
// aws-sdk-client-mock stubs a client, so a warm invocation measures the app and the framework with
// AWS "stubbed in memory" and none of the SDK's per-call work (middleware, signing, parsing). The
// other warm rows keep the real client over an in-memory socket, to show what the SDK costs.
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { stubItem } from '../lib/aws-stub.js'

const isItems = (table: unknown): boolean => typeof table === 'string' && table.includes('items')
const isRateLimits = (table: unknown): boolean => typeof table === 'string' && table.includes('rate-limits')

function answer (command: unknown): Record<string, unknown> {
  const $metadata = { httpStatusCode: 200 }
  if (command instanceof GetCommand) {
    const { TableName, Key } = command.input
    return isItems(TableName) ? { Item: stubItem(String(Key?.id)), $metadata } : { $metadata }
  }
  if (command instanceof BatchGetCommand) {
    const Responses: Record<string, unknown[]> = {}
    for (const [table, request] of Object.entries(command.input.RequestItems ?? {})) {
      Responses[table] = isItems(table) ? (request.Keys ?? []).map((k) => stubItem(String(k.id))) : []
    }
    return { Responses, $metadata }
  }
  if (command instanceof QueryCommand) return { Items: [], Count: 0, $metadata }
  // The rate limiter's counter: always the first request of its window.
  if (command instanceof UpdateCommand && isRateLimits(command.input.TableName)) {
    return { Attributes: { hits: 1 }, $metadata }
  }
  // Writes (Put, Update, TransactWrite) succeed with nothing to return.
  return { $metadata }
}

DynamoDBDocumentClient.prototype.send = async function send (command: unknown) {
  return answer(command)
} as typeof DynamoDBDocumentClient.prototype.send
