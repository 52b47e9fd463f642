// The stream mapping's on-failure destination is an S3 bucket (Lambda writes the whole invocation
// record there, the batch's records included; SQS and SNS get only a pointer into the stream):
// private, encrypted, TLS only, expiring after the redrive deadline, kept in prod, alarmed, and
// writable by Lambda through the worker's role.
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { loadTemplate, TEMPLATE_PATH } from '../../infra/template.js'

const template = loadTemplate()
const { Resources } = template
const props = (id: string): Record<string, any> => {
  const r = Resources[id]
  if (r === undefined) throw new Error(`no resource ${id} in the template`)
  return r.Properties ?? {}
}
const BUCKET = 'OrdersStreamFailureBucket'
const bucketArn = { 'Fn::GetAtt': [BUCKET, 'Arn'] }
// The bucket's objects, as the template writes them (a CloudFormation Sub, not a JavaScript template).
const OBJECTS = { 'Fn::Sub': '$' + '{OrdersStreamFailureBucket.Arn}/*' }

t.test('the orders stream mapping sends batches it gives up on to the bucket, not to a queue', async (t) => {
  const stream = props('WorkerFunction').Events.OrdersStream.Properties
  t.same(stream.DestinationConfig.OnFailure, { Type: 'S3', Destination: bucketArn })
  t.equal(Resources[BUCKET]?.Type, 'AWS::S3::Bucket')
})

t.test('the bucket is private, encrypted, TLS only and kept in prod', async (t) => {
  const bucket = props(BUCKET)
  t.same(bucket.BucketEncryption.ServerSideEncryptionConfiguration, [
    { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }
  ])
  t.same(bucket.PublicAccessBlockConfiguration, {
    BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true
  })
  t.same(bucket.OwnershipControls.Rules, [{ ObjectOwnership: 'BucketOwnerEnforced' }], 'no ACLs')
  for (const attribute of ['DeletionPolicy', 'UpdateReplacePolicy']) {
    t.same(Resources[BUCKET]?.[attribute as 'DeletionPolicy'], { 'Fn::If': ['IsProd', 'Retain', 'Delete'] })
  }
  const policy = props('OrdersStreamFailureBucketPolicy')
  t.same(policy.Bucket, { Ref: BUCKET })
  t.same(policy.PolicyDocument.Statement, [{
    Sid: 'TlsOnly',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [bucketArn, OBJECTS],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } }
  }])
})

t.test('objects expire after the retention parameter, longer than the 14-day redrive deadline', async (t) => {
  const rules = props(BUCKET).LifecycleConfiguration.Rules as Array<Record<string, any>>
  const expiry = rules.find((r) => r.ExpirationInDays !== undefined)
  t.equal(expiry?.Status, 'Enabled')
  t.same(expiry?.ExpirationInDays, { Ref: 'StreamFailureRetentionDays' })
  t.notOk('Prefix' in (expiry ?? {}) || 'Filter' in (expiry ?? {}), 'every object')
  const param = template.Parameters?.StreamFailureRetentionDays as Record<string, unknown>
  t.ok(Number(param.MinValue) > 14, 'never shorter than the dead-letter queues keep what the runbook redrives')
  t.ok(Number(param.Default) >= Number(param.MinValue))
  t.equal(props('OrdersStreamDeadLetterQueue').MessageRetentionPeriod, 14 * 86400, 'the deadline the docs give')
})

t.test('the worker role lets Lambda write the destination, and nothing more on the bucket', async (t) => {
  const statements = (props('WorkerFunctionRole').Policies as Array<any>)
    .flatMap((p) => p.PolicyDocument.Statement as Array<{ Action: string[]; Resource: unknown }>)
  const onBucket = statements.filter((s) => JSON.stringify(s.Resource).includes(BUCKET))
  t.same(
    onBucket.map((s) => [s.Action, s.Resource]),
    [
      [['s3:PutObject'], OBJECTS],
      [['s3:ListBucket'], bucketArn]
    ],
    'PutObject on its objects and ListBucket on it (the Lambda Developer Guide\'s list); no read, no delete'
  )
})

t.test('a new object raises an alarm at once; objects still waiting raise one daily', async (t) => {
  t.same(props(BUCKET).MetricsConfigurations, [{ Id: 'EntireBucket' }], 'request metrics for the whole bucket')
  const put = props('OrdersStreamFailureAlarm')
  t.equal(put.Namespace, 'AWS/S3')
  t.equal(put.MetricName, 'PutRequests')
  t.same(put.Dimensions, [
    { Name: 'BucketName', Value: { Ref: BUCKET } },
    { Name: 'FilterId', Value: 'EntireBucket' }
  ])
  t.equal(put.Statistic, 'Sum')
  t.equal(put.Threshold, 1)
  t.equal(put.ComparisonOperator, 'GreaterThanOrEqualToThreshold')
  t.same(put.AlarmActions, { 'Fn::If': ['HasAlarmEmail', [{ Ref: 'AlarmTopic' }], { Ref: 'AWS::NoValue' }] })
  t.match(put.AlarmDescription, /npm run redrive -- orders-stream/)
  const waiting = props('OrdersStreamFailuresWaitingAlarm')
  t.equal(waiting.MetricName, 'NumberOfObjects')
  t.equal(waiting.Period, 86400)
  t.same(waiting.Dimensions, [
    { Name: 'BucketName', Value: { Ref: BUCKET } },
    { Name: 'StorageType', Value: 'AllStorageTypes' }
  ])
  t.notOk('VersioningConfiguration' in props(BUCKET), 'no old versions keep the object count up after a redrive')
})

// SAM's own transform (samtranslator, on the project's machine image beside cfn-lint), as AWS runs it
// at deploy time: it takes `Type: S3` (it only picks the policy SAM would add to a role of its own)
// and hands CloudFormation the destination without it.
const TRANSLATE = `
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse
template = yaml_parse(open(sys.argv[1]).read())
for r in template['Resources'].values():
    if r['Type'] == 'AWS::Serverless::Function':
        r['Properties']['CodeUri'] = 's3://bucket/key.zip'
template['Transform'] = 'AWS::Serverless-2016-10-31'
class Loader:
    def load(self):
        return {}
out = transform(template, {}, Loader())
mappings = [r for r in out['Resources'].values() if r['Type'] == 'AWS::Lambda::EventSourceMapping']
print(json.dumps([r['Properties'] for r in mappings]))
`

t.test('the SAM transform passes the S3 destination to the event source mapping', async (t) => {
  let stdout: string
  try {
    ({ stdout } = await promisify(execFile)('python3', ['-c', TRANSLATE, TEMPLATE_PATH], {
      timeout: 120_000,
      env: { ...process.env, AWS_DEFAULT_REGION: 'us-east-1' }
    }))
  } catch (err) {
    throw new Error(`python3 with samtranslator is needed (the machine image has it): ${(err as Error).message}`)
  }
  const mappings = JSON.parse(stdout) as Array<Record<string, any>>
  const stream = mappings.find((m) => JSON.stringify(m.EventSourceArn).includes('OrdersTable'))
  t.same(stream?.DestinationConfig, { OnFailure: { Destination: bucketArn } })
})
