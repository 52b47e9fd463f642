// The IAM actions the worker function's code (and its event source mapping) calls, declared beside
// the code. infra/template.yaml's WorkerFunctionRole grants exactly these, and
// test/unit/template.test.ts checks the two both ways.
export const WORKER_IAM_ACTIONS = [
  // The Lambda runtime writes the function's logs to its (pre-created) log group.
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  // The orders stream, read by Lambda's event source mapping with the function's role.
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
  // The effects queue and the stream replay queue, read by Lambda's SQS event source mappings with
  // the function's role; the worker sets a failed message's retry pause itself.
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:ChangeMessageVisibility',
  // Parking in the dead-letter queues.
  'sqs:SendMessage',
  // The stream mapping's on-failure destination, an S3 bucket Lambda writes to with the function's role.
  's3:PutObject',
  's3:ListBucket',
  // The effects ledger (workers/effect-ledger.ts): conditional updates only.
  'dynamodb:UpdateItem',
  // The mail suppressions (workers/mail-suppressions.ts): read before each email, written from SES's reports.
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  // Order events to the bus, order emails, webhook signing keys.
  'events:PutEvents',
  'ses:SendEmail',
  'secretsmanager:GetSecretValue',
  // X-Ray traces (core/tracing.ts, with TRACING=Active).
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords'
] as const

/**
 * The idempotency table's keys the worker may touch (`dynamodb:LeadingKeys`): the effects ledger's
 * records, `effect#<orderId>#<channel>` (workers/effect-ledger.ts: ledgerRecordId).
 */
export const WORKER_IDEMPOTENCY_KEY_PREFIXES = ['effect#'] as const
