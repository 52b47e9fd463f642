// Which Lambda answers are base64-encoded for API Gateway (app/lambda-options.ts): everything
// that is not text, so a PNG or a font arrives as its bytes.
import t from 'tap'
import { isBinaryResponse } from '../../app/lambda-options.js'

const res = (headers: Record<string, unknown>) => ({ headers })

t.test('text stays text; everything else is binary', async (t) => {
  for (const type of ['text/html; charset=utf-8', 'text/css', 'application/json', 'application/problem+json; ' +
    'charset=utf-8',
  'application/javascript; charset=utf-8', 'image/svg+xml', 'application/xml', 'application/x-yaml', 'TEXT/PLAIN']) {
    t.equal(isBinaryResponse(res({ 'content-type': type })), false, `${type} is text`)
  }
  for (const type of [
    'image/png',
    'image/x-icon',
    'font/woff2',
    'application/octet-stream',
    'application/pdf',
    'application/zip',
    'application/jsonl-not'
  ]) {
    t.equal(isBinaryResponse(res({ 'content-type': type })), true, `${type} is binary`)
  }
  t.equal(isBinaryResponse(res({})), false, 'no content type (an empty answer): nothing to encode')
  t.equal(
    isBinaryResponse(res({ 'content-type': 'application/json', 'content-encoding': 'gzip' })),
    true,
    'a compressed body is binary'
  )
  t.equal(isBinaryResponse(res({ 'content-type': 'application/json', 'content-encoding': 'identity' })), false)
})
