// The IAM actions the API function's code calls, declared beside the code. infra/template.yaml's
// ApiFunctionRole grants exactly these, and test/unit/template.test.ts checks the two both ways:
// add an action here when the code starts calling a new AWS API, and remove it when it stops.
export const API_IAM_ACTIONS = [
  // The Lambda runtime writes the function's logs to its (pre-created) log group.
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  // Items, orders and idempotency records (data/ repositories, GET /health's probe).
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:BatchGetItem',
  'dynamodb:TransactWriteItems',
  'dynamodb:ConditionCheckItem',
  // Sign-up confirmation. SignUp and InitiateAuth are unauthenticated Cognito APIs: no IAM action.
  'cognito-idp:AdminConfirmSignUp',
  // Partner API keys and the cursor signing key (plugins/secrets.ts).
  'secretsmanager:GetSecretValue',
  // X-Ray traces (core/tracing.ts, with TRACING=Active).
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords'
] as const
