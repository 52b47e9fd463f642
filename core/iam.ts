// The IAM actions the API function's code calls, declared beside the code. infra/template.yaml's
// ApiFunctionRole grants exactly these, and test/unit/template.test.ts checks the two both ways:
// add an action here when the code starts calling a new AWS API, and remove it when it stops.

/**
 * The DynamoDB actions the API makes on each table and index (one statement each in the role).
 * Keys are the template's logical ids, `<Table>/index/<name>` for an index. Transactions need the
 * actions of their items (the order's Put, the stock Updates): DynamoDB has no permission of its
 * own for TransactWriteItems.
 */
export const API_TABLE_ACTIONS = {
  // The catalog: reads (item, listing, categories, the items an order prices) and admin writes.
  ItemsTable: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Scan',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem'
  ],
  'ItemsTable/index/byCategory': ['dynamodb:Query'],
  // Orders: read one, written by the order and cancel transactions and by partner transitions.
  OrdersTable: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  'OrdersTable/index/byUser': ['dynamodb:Query'],
  // Idempotency-Key answers (read alone or with the items, written in the order's transaction) and
  // signup notices (one conditional Put).
  IdempotencyTable: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem'],
  // The catalog index (data/catalog-index-table.ts): written in the items' transactions, empty counters
  // deleted, read by GET /categories and the search.
  CatalogIndexTable: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  // Rate-limit counters (plugins/rate-limit-store.ts, data/mail-quota.ts): an atomic ADD per limited
  // request or account mail; sign-in's transaction of two Updates (the attempt, the account's
  // reserved failure slot); one GetItem of an address the account signed in from.
  // ConditionCheckItem: what a transaction may need (the template test maps transactions coarsely).
  RateLimitTable: ['dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem']
} as const

/**
 * The idempotency table's keys the API may touch (`dynamodb:LeadingKeys`): its own records, never
 * the worker's. domain/idempotency.ts and data/signup-notices.ts make ids with these prefixes.
 */
export const API_IDEMPOTENCY_KEY_PREFIXES = ['order#', 'signup-notice#'] as const

export const API_IAM_ACTIONS = [
  // The Lambda runtime writes the function's logs to its (pre-created) log group.
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  ...new Set(Object.values(API_TABLE_ACTIONS).flat()),
  // SignUp, ConfirmSignUp, ResendConfirmationCode, InitiateAuth and GetUser are unauthenticated
  // Cognito APIs: no IAM action. The account checks (plugins/account-status.ts), a repeated signup
  // and POST /signout (data/accounts.ts) are admin calls.
  'cognito-idp:AdminGetUser',
  'cognito-idp:AdminListGroupsForUser',
  'cognito-idp:AdminDeleteUser',
  'cognito-idp:AdminUserGlobalSignOut',
  'cognito-idp:AdminUpdateUserAttributes',
  // The notice to an address that already has an account (data/accounts.ts).
  'ses:SendEmail',
  // Partner API keys and the cursor signing key (plugins/secrets.ts).
  'secretsmanager:GetSecretValue',
  // X-Ray traces (core/tracing.ts, with TRACING=Active).
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords'
] as const
