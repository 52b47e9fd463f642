import t from 'tap'
import { countTap, tapFailures, tapSummary } from '../tap-count.js'

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

t.test('failures are named by their path, with the first lines of their diagnostics', async (t) => {
  const stream = [
    '# Subtest: test/unit/a.test.ts',
    '    # Subtest: places an order',
    '        ok 1 - created',
    '        not ok 2 - should be equal',
    '          ---',
    '          compare: ===',
    '          at:',
    '            fileName: test/unit/a.test.ts',
    '          diff: |',
    '            --- expected',
    '            +++ actual',
    '            -201',
    '            +500',
    '          ...',
    '        1..2',
    '    not ok 1 - places an order # time=12.5ms',
    '    1..1',
    'not ok 1 - test/unit/a.test.ts # time=20ms',
    '# Subtest: test/unit/b.test.ts',
    '    ok 1 - fine',
    '    1..1',
    'ok 2 - test/unit/b.test.ts # time=3ms',
    '# Subtest: test/unit/c.test.ts',
    '    # Subtest: waits for ever',
    '        ok 1 - started',
    '        1..1',
    '    not ok 1 - waits for ever # time=30000ms',
    '      ---',
    '      message: timeout!',
    '      ...',
    '    1..1',
    'not ok 3 - test/unit/c.test.ts',
    '1..3'
  ].join('\n')
  t.same(tapFailures(stream, 3), [
    'test/unit/a.test.ts > places an order > should be equal\n    diff: |\n    --- expected\n    +++ actual',
    'test/unit/c.test.ts > waits for ever\n    message: timeout!'
  ])
  t.same(tapFailures('# Subtest: x\n    ok 1 - y\n    1..1\nok 1 - x\n'), [])
})
