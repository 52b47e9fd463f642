// The edge cannot be walked around, and API Gateway's own refusals are watched: with the edge on
// the API function gets the edge secret (its handler refuses requests without it, app/edge-gate.ts);
// an alarm watches the stage's 4xx rate in API Gateway's metrics, which include the stage
// throttle's 429s that never reach the function.
import t from 'tap'
import { loadTemplate } from '../../infra/template.js'

const { Resources } = loadTemplate()

t.test('with the edge on the API function reads the edge secret, so its default endpoint refuses other callers',
  async (t) => {
    const env = Resources.ApiFunction?.Properties?.Environment?.Variables ?? {}
    t.same(env.EDGE_SECRET_ARN, { 'Fn::If': ['EdgeProtectionOn', { Ref: 'EdgeOriginSecret' }, ''] })
    const origin = JSON.stringify(Resources.EdgeDistribution?.Properties?.DistributionConfig?.Origins)
    t.match(origin, /"HeaderName":"x-edge-secret"/, 'CloudFront sends the secret the gate checks')
    t.match(origin, /EdgeOriginSecret/)
  })

t.test('an alarm on API Gateway\'s own 4xx rate for the stage (the throttle\'s 429s included)', async (t) => {
  const alarm = Resources.Api4xxRateAlarm
  t.equal(alarm?.Type, 'AWS::CloudWatch::Alarm')
  const text = JSON.stringify(alarm?.Properties)
  t.match(text, /"Namespace":"AWS\/ApiGateway","MetricName":"4xx"/)
  t.match(text, /"Dimensions":\[\{"Name":"ApiId","Value":\{"Ref":"HttpApi"\}\},\{"Name":"Stage","Value":"\$default"/)
  t.match(text, /"MetricName":"Count"/)
  t.match(text, /IF\(requests >= 100, 100 \* refused \/ requests, 0\)/)
  t.match(text, /"AlarmActions":\{"Fn::If":\["HasAlarmEmail"/)
})
