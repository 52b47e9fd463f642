// The search semantics and the index's rows as plain functions: folding, words, what a query
// means and matches, the driver word, and what each write changes in the index (and that it
// always fits in one transaction).
import t from 'tap'
import {
  MAX_INDEXED_WORDS, canonicalQuery, compareUtf8, driverOf, foldText, indexedWords, isFirstUnderPrefix, matchesQuery,
  parseQuery,
  wordString, wordsOf
} from '../../domain/search.js'
import { indexChange, indexStateOf, keyRange, searchRows, summariseCounts } from '../../domain/catalog-index-rows.js'

t.test('text folds case, accents and compatibility forms; words are runs of letters and digits', async (t) => {
  t.equal(foldText('Crème BRÛLÉE ﬁne Ærø Straße İstanbul Łódź'), 'creme brulee fine aero strasse istanbul lodz')
  t.same(wordsOf('  USB-C 6.1-inch, A17 Pro!! '), ['usb', 'c', '6', '1', 'inch', 'a17', 'pro'])
  t.same(wordsOf('Ｐｉｘｅｌ８'), ['pixel8'], 'full-width forms')
  t.same(wordsOf('!!! ... ---'), [])
  t.equal(wordsOf('x'.repeat(50))[0], 'x'.repeat(32), 'long words are cut at 32 characters')
  t.same(wordsOf('日本語 テスト'), ['日本語', 'テスト'], 'letters of any script')
})

t.test('an item\'s searchable words: distinct, title then brand then description, at most 45', async (t) => {
  t.same(indexedWords({ title: 'Pixel 8 Pro', brand: 'Google', description: 'The Pixel with a pro camera' }),
    ['pixel', '8', 'pro', 'google', 'the', 'with', 'a', 'camera'])
  const long = Array.from({ length: 80 }, (_, i) => `w${i}`).join(' ')
  const words = indexedWords({ title: 'Alpha', brand: 'Beta', description: long })
  t.equal(words.length, MAX_INDEXED_WORDS)
  t.same(words.slice(0, 3), ['alpha', 'beta', 'w0'])
  t.equal(words[MAX_INDEXED_WORDS - 1], `w${MAX_INDEXED_WORDS - 3}`)
  t.equal(wordString(['a', 'b']), ' a b ')
  t.equal(wordString([]), ' ')
})

t.test('a query: exact words and a last-word prefix; nothing to search for or too many words is a 400', async (t) => {
  t.same(parseQuery('Pixel'), { exact: [], prefix: 'pixel' })
  t.same(parseQuery('galaxy ULTR'), { exact: ['galaxy'], prefix: 'ultr' })
  t.same(
    parseQuery('pixel pixel PIXEL'),
    { exact: ['pixel'] },
    'repeats collapse; a prefix of a required word adds nothing'
  )
  t.same(parseQuery('pixel pix'), { exact: ['pixel'] })
  t.same(parseQuery('pix pixel'), { exact: ['pix'], prefix: 'pixel' }, 'only the last word is a prefix')
  t.throws(() => parseQuery(' !!! '), { status: 400, code: 'empty_query' })
  t.throws(() => parseQuery('a b c d e f g h i'), { status: 400, code: 'too_many_words', detail: /9 words; at most 8/ })
  t.doesNotThrow(() => parseQuery('a b c d e f g h'))
  t.equal(canonicalQuery(parseQuery('Pro MAX ultra')), canonicalQuery(parseQuery('max pro Ultra')))
  t.not(canonicalQuery(parseQuery('pro max')), canonicalQuery(parseQuery('max pro')))
})

t.test('matching: every exact word is a word of the item, the prefix starts one', async (t) => {
  const words = wordString(
    indexedWords({ title: 'Galaxy S24 Ultra', brand: 'Samsung', description: 'Crème-coloured, 200MP camera' })
  )
  const m = (q: string): boolean => matchesQuery(words, parseQuery(q))
  t.ok(m('galaxy'))
  t.ok(m('GALAXY ultra'))
  t.ok(m('ultra galaxy'), 'any order')
  t.ok(m('galaxy ult'), 'last word as a prefix')
  t.notOk(m('gal ultra'), 'only the last word is a prefix')
  t.ok(m('CREME'), 'accents')
  t.ok(m('samsung 200'), 'the brand and the description')
  t.notOk(m('galaxy s25'))
  t.notOk(m('alaxy'), 'a prefix starts a word, it is not a substring')
})

t.test('the driver is the longest word, an exact one on a tie; it is a function of the query alone', async (t) => {
  t.same(driverOf(parseQuery('pix')), { word: 'pix', prefix: true })
  t.same(driverOf(parseQuery('8 pixel')), { word: 'pixel', prefix: true })
  t.same(driverOf(parseQuery('pixel 8')), { word: 'pixel', prefix: false })
  t.same(driverOf(parseQuery('usb cable')), { word: 'cable', prefix: true })
  t.same(driverOf(parseQuery('cable usbc')), { word: 'cable', prefix: false }, 'exact wins a tie')
})

t.test('under a prefix, only the first matching word of an item counts (in key order)', async (t) => {
  const ws = ' pixels pixel pixelbook '
  t.ok(isFirstUnderPrefix(ws, 'pixel', 'pix'))
  t.notOk(isFirstUnderPrefix(ws, 'pixels', 'pix'))
  t.notOk(isFirstUnderPrefix(ws, 'pixelbook', 'pix'))
  t.ok(compareUtf8('z', 'é') < 0 && compareUtf8('\uffff', '😀') < 0, 'UTF-8 byte order, as DynamoDB sorts keys')
})

t.test('a prefix is a key range whose upper bound no key equals', async (t) => {
  t.same(keyRange('pix'), { from: 'pix', to: 'piy' })
  t.same(keyRange('pixel#'), { from: 'pixel#', to: 'pixel$' }, 'an exact word')
  t.same(keyRange('caf\u00e9'), { from: 'caf\u00e9', to: 'caf\u00ea' })
  t.same(keyRange('x\ud7ff'), { from: 'x\ud7ff', to: 'x\ue000' }, 'skips the surrogates')
  const inside = ['pix#a', 'pixel#b', 'pixz#c', `pix${String.fromCodePoint(0x10ffff)}#d`]
  const outside = ['piw#a', 'piy#a', 'pi#a', 'p#a']
  const { from, to } = keyRange('pix')
  for (const k of inside) t.ok(compareUtf8(k, from) >= 0 && compareUtf8(k, to) <= 0, `${k} is in`)
  for (const k of outside) t.notOk(compareUtf8(k, from) >= 0 && compareUtf8(k, to) < 0, `${k} is out`)
})

t.test('index rows and changes: create, replace, delete', async (t) => {
  const a = indexStateOf({
    id: 'x1',
    category: 'phone',
    type: 'smart',
    brand: 'Acme',
    title: 'Acme One',
    description: 'A phone'
  })
  t.same(searchRows(a).map((r) => `${r.pk} ${r.sk}`), ['w#a acme#x1', 'w#o one#x1', 'w#a a#x1', 'w#p phone#x1'])
  t.same(
    searchRows(a)[0],
    { pk: 'w#a', sk: 'acme#x1', id: 'x1', ws: ' acme one a phone ', c: 'phone', t: 'smart', b: 'Acme' }
  )

  const created = indexChange(undefined, a)
  t.equal(created.put.length, 4)
  t.same(created.remove, [])
  t.same(
    created.counts,
    [{ sk: '#2#phone', delta: 1 }, { sk: '#2#phone#type#smart', delta: 1 }, { sk: '#2#phone#brand#Acme', delta: 1 }],
    "the item's three counters, in its shard"
  )

  t.same(indexChange(a, a), { put: [], remove: [], counts: [] }, 'an unchanged item changes nothing')

  const renamed = indexStateOf({
    id: 'x1',
    category: 'phone',
    type: 'smart',
    brand: 'Acme',
    title: 'Acme Two',
    description: 'A phone'
  })
  const rename = indexChange(a, renamed)
  t.same(rename.remove, [{ pk: 'w#o', sk: 'one#x1' }])
  t.same(
    rename.put.map((r) => r.sk).sort(),
    ['a#x1', 'acme#x1', 'phone#x1', 'two#x1'],
    'kept words are rewritten: their copy of the words changed'
  )
  t.same(rename.counts, [])

  const moved = indexStateOf({
    id: 'x1',
    category: 'computer',
    type: 'smart',
    brand: 'Acme',
    title: 'Acme One',
    description: 'A phone'
  })
  t.same(indexChange(a, moved).counts.sort((p, q) => p.sk.localeCompare(q.sk)), [
    { sk: '#2#computer', delta: 1 }, { sk: '#2#computer#brand#Acme', delta: 1 },
    { sk: '#2#computer#type#smart', delta: 1 }, { sk: '#2#phone', delta: -1 }, { sk: '#2#phone#brand#Acme', delta: -1 },
    { sk: '#2#phone#type#smart', delta: -1 }
  ])
  const removed = indexChange(a, undefined)
  t.equal(removed.remove.length, 4)
  t.same(removed.counts.map((c) => c.delta), [-1, -1, -1])
})

t.test('any write fits in one transaction (100 actions), whatever the items', async (t) => {
  // A seeded generator: descriptions up to the schema's 2,000 characters, words in any script.
  let seed = 42
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n }
  const word = (): string => Array.from(
    { length: 1 + rand(12) },
    () => 'abcdéfghijklmnopqrstuvwxyzß0123456789ж'[rand(38)]
  ).join('')
  const text = (max: number): string => {
    const length = rand(2) === 0 ? max : rand(max)
    let s = ''
    while (s.length < length) s += `${word()} `
    return s.slice(0, length)
  }
  const item = (id: string) => ({
    id,
    category: ['phone', 'computer'][rand(2)] as string,
    type: ['smart', 'laptop'][rand(2)] as string,
    brand: word(),
    title: text(200),
    description: text(2000)
  })
  let worst = 0
  for (let i = 0; i < 300; i++) {
    const before = indexStateOf(item('x'))
    const after = indexStateOf(item('x'))
    for (const change of [indexChange(undefined, after), indexChange(before, after), indexChange(before, undefined)]) {
      worst = Math.max(worst, 1 + change.put.length + change.remove.length + change.counts.length)
    }
  }
  t.ok(worst <= 100, `the largest transaction had ${worst} actions`)
  t.ok(worst > 90, 'the generator reaches the bound (it tests something)')
})

t.test('category summaries come from the counters; zero counts are gone', async (t) => {
  t.same(summariseCounts([
    { sk: 'phone', n: 3 }, { sk: 'phone#type#smart', n: 2 }, { sk: 'phone#type#feature', n: 1 }, {
      sk: 'phone#type#rugged',
      n: 0
    },
    { sk: 'phone#brand#Samsung', n: 1 }, { sk: 'phone#brand#Apple', n: 1 }, { sk: 'phone#brand#Nokia', n: 1 },
    { sk: 'accessories', n: 1 }, { sk: 'accessories#type#charger', n: 1 }, { sk: 'accessories#brand#Anker', n: 1 },
    { sk: 'empty', n: 0 }, { sk: 'empty#type#x', n: 0 }
  ]), [
    { category: 'accessories', count: 1, types: ['charger'], brands: ['Anker'] },
    { category: 'phone', count: 3, types: ['feature', 'smart'], brands: ['Apple', 'Nokia', 'Samsung'] }
  ])
  t.same(summariseCounts([]), [])
})

t.test('compatibility forms are folded before lower case: styled letters are found by plain ones', async (t) => {
  t.equal(foldText('𝐁𝐨𝐥𝐝 ℌello'), 'bold hello')
  t.same(wordsOf('𝐁𝐨𝐥𝐝 ℌello Ｗｉｄｅ'), ['bold', 'hello', 'wide'])
  t.equal(foldText('Crème'.normalize('NFD')), foldText('Crème'.normalize('NFC')))
})

t.test('with word statistics the rarest word drives; a word they do not know is newer, so rare; none known: the ' +
  'longest', async (t) => {
  const counts = new Map([['7', 200], ['camera', 10_000], ['usb', 100], ['cable', 10_000], ['a', 9000], ['pixel', 40]])
  t.same(driverOf(parseQuery('7 camera'), counts), { word: '7', prefix: false }, 'not the longer, common word')
  t.same(
    driverOf(parseQuery('cable usb'), counts),
    { word: 'usb', prefix: true },
    'a prefix whose word is known costs its count'
  )
  t.same(driverOf(parseQuery('usb cabl'), counts), { word: 'usb', prefix: false }, 'an unknown prefix is taken last')
  t.same(driverOf(parseQuery('a pixel'), counts), { word: 'pixel', prefix: true })
  t.same(
    driverOf(parseQuery('camera zyx9 7'), counts),
    { word: 'zyx9', prefix: false },
    'unknown to the statistics: newer than them'
  )
  t.same(
    driverOf(parseQuery('usb cable'), new Map()),
    { word: 'cable', prefix: true },
    'nothing known: the longest, as before'
  )
})
