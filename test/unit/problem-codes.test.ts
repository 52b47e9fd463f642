// Problem codes are one closed list (core/problem.ts): the type checker holds every producer to it,
// the document lists it as Problem.code's enum, and the client types a problem's code as its union.
import t from 'tap'
import { PROBLEM_CODES, Problem } from '../../core/problem.js'
import { build } from '../helpers/app.js'
import { CommerceProblem, type ProblemCode } from '../../clients/typescript/src/index.js'

t.test('the document lists every code, once', async (t) => {
  const app = await build(t)
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  const code = doc.components.schemas.Problem.properties.code
  t.equal(code.type, 'string')
  t.same(code.enum, [...PROBLEM_CODES])
  t.equal(new Set(PROBLEM_CODES).size, PROBLEM_CODES.length, 'no code twice')
  for (const c of PROBLEM_CODES) t.match(c, /^[a-z]+(_[a-z]+)*$/, `${c} is snake_case`)
  // An answer's code is checked against the list: a route that is not there is route_not_found.
  const missing = await app.inject({ url: '/no-such-route' })
  t.ok((PROBLEM_CODES as readonly string[]).includes(missing.json().code), `${missing.json().code as string} is listed`)
})

t.test('codes are typed: the server and the client refuse a code not in the list', async (t) => {
  // @ts-expect-error not a problem code
  t.ok(new Problem(400, 'no_such_code', 'x'))
  const known: ProblemCode = 'insufficient_stock'
  // @ts-expect-error not a problem code
  const unknown: ProblemCode = 'no_such_code'
  t.equal(new CommerceProblem(409, { code: known, detail: 'short' }).code, 'insufficient_stock')
  t.equal(new CommerceProblem(502, 'Bad Gateway').code, 'unexpected_response', "the client's own code")
  t.equal(unknown, 'no_such_code')
})
