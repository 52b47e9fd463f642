import t from 'tap'
import { countTap, tapSummary } from '../tap-count.js'

t.test('counts leaf assertions, not the subtests that hold them', async (t) => {
  const stream = [
    'TAP version 14',
    '# Subtest: a',
    '    ok 1 - one',
    '    not ok 2 - two',
    '      ---',
    '      ok 7 - inside yaml is not a point',
    '      ...',
    '    ok 3 - skipped # SKIP later',
    '    1..3',
    'not ok 1 - a # time=1ms',
    'ok 2 - top-level assertion',
    '1..2'
  ].join('\n')
  t.same(countTap(stream), { passed: 2, failed: 1, skipped: 1 })
})

t.test("tap's own closing tally wins when the stream has one", async (t) => {
  t.same(
    tapSummary('ok 1 - a\n# { total: 12, pass: 9, fail: 2, skip: 1 }\n# time=5ms\n'),
    { passed: 9, failed: 2, skipped: 1 }
  )
  t.same(tapSummary('# { total: 3, pass: 3 }'), { passed: 3, failed: 0, skipped: 0 })
  t.equal(tapSummary('ok 1 - a\n1..1\n'), undefined)
})
