// The app client is confidential: the client id in every token must not let anyone call Cognito's
// user APIs around the API's limits. Its secret reaches the API function through Secrets Manager.
import t from 'tap'
import { loadTemplate } from '../../infra/template.js'
import { templatePool } from '../../local/emulators/cognito.js'

const { Resources } = loadTemplate()

t.test('GenerateSecret: true; the secret in Secrets Manager, read by the API function only', async (t) => {
  t.equal(Resources.UserPoolClient?.Properties?.GenerateSecret, true)
  t.same(Resources.UserPoolClientSecret?.Properties?.SecretString, { 'Fn::GetAtt': ['UserPoolClient', 'ClientSecret'] })
  t.same(Resources.ApiFunction?.Properties?.Environment?.Variables?.USER_POOL_CLIENT_SECRET_ARN,
    { Ref: 'UserPoolClientSecret' })
  t.match(JSON.stringify(Resources.ApiFunctionRole), /"Ref":"UserPoolClientSecret"/, 'the API role may read it')
  t.notMatch(JSON.stringify(Resources.WorkerFunctionRole ?? {}), /UserPoolClientSecret/, 'the worker may not')
  t.equal(templatePool().client.GenerateSecret, true, 'the local pool\'s client is made the same way')
})
