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
  // The mapping's on-failure destination (stream batches given up on).
  'sqs:SendMessage',
  // Powertools idempotency records.
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  // Order events to the bus, order emails, webhook signing keys.
  'events:PutEvents',
  'ses:SendEmail',
  'secretsmanager:GetSecretValue'
] as const

/**
 * The idempotency table's keys the worker may touch (`dynamodb:LeadingKeys`): Powertools names its
 * records `<keyPrefix>#<hash>` (workers/effects.ts: EFFECT_KEY_PREFIX).
 */
export const WORKER_IDEMPOTENCY_KEY_PREFIXES = ['worker-effect#'] as const
