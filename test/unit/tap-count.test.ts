import t from 'tap'
import { countTap } from '../tap-count.js'

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
