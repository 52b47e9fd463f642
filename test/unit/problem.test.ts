import t from 'tap'
import { fieldErrors } from '../../plugins/errors.js'

t.test('field errors name the field and why', async (t) => {
  t.same(fieldErrors(
    'body',
    [{ instancePath: '/items/0', keyword: 'required', params: { missingProperty: 'count' }, message: 'x' }]
  ),
  [{ path: 'body.items[0].count', message: 'is required' }])
  t.same(fieldErrors(
    'querystring',
    [{ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'foo' } }]
  ),
  [{ path: 'querystring.foo', message: 'is not an allowed property' }])
})
