import t from 'tap'
import {
  checkFilters, cursorContext, publicView, stockNeeded, toStoredItem,
  typeBrandPrefix, validateItemInput, type ItemInput
} from '../../domain/catalog.js'

const input = (over: Partial<ItemInput> = {}): ItemInput => ({
  category: 'phone',
  type: 'smart',
  brand: 'Apple',
  title: 'iPhone 15 Pro',
  description: 'Titanium design, A17 Pro chip',
  colorPreference: [{ colorCode: '#000000', displayValue: 'Black' }, { colorCode: '#FFFFFF', displayValue: 'White' }],
  price: 99900,
  currency: 'USD',
  ...over
})

t.test('a valid item passes; # in type or brand and repeated colour codes do not', async (t) => {
  t.doesNotThrow(() => validateItemInput(input()))
  t.throws(() => validateItemInput(input({ brand: 'Ac#me' })),
    {
      status: 400,
      code: 'validation_failed',
      extras: { errors: [{ path: 'body.brand', message: 'must not contain #' }] }
    })
  t.throws(
    () => validateItemInput(input({ type: 'smart#x' })),
    { status: 400, code: 'validation_failed', extras: { errors: [{ path: 'body.type' }] } }
  )
  t.throws(() => validateItemInput(input({
    colorPreference: [{ colorCode: '#abc', displayValue: 'A' }, { colorCode: '#ABC', displayValue: 'B' }]
  })), {
    status: 400,
    code: 'validation_failed',
    extras: { errors: [{ path: 'body.colorPreference[1].colorCode' }] }
  }, 'codes compare case-insensitively')
})

t.test('the stored item carries its index key and searchable words', async (t) => {
  const item = toStoredItem(
    'id-1',
    input({ storage: '256GB' }),
    7,
    '2025-01-01T00:00:00.000Z',
    '2025-01-02T00:00:00.000Z'
  )
  t.equal(item.typeBrandId, 'smart#Apple#id-1')
  t.equal(
    item.searchWords,
    ' iphone 15 pro apple titanium design a17 chip ',
    'distinct, in order: title, brand, description'
  )
  t.equal(item.storage, '256GB')
  t.equal(item.stock, 7)
  t.notOk('storage' in toStoredItem('id-2', input(), 0, 'a', 'b'), 'no storage attribute when none is given')
})

t.test('the public view drops internals and shows the exact stock only to admins', async (t) => {
  const item = toStoredItem('id-1', input(), 3, 'a', 'b')
  const shopper = publicView(item, { admin: false })
  t.notOk('typeBrandId' in shopper)
  t.notOk('searchWords' in shopper)
  t.notOk('stock' in shopper)
  t.equal(shopper.inStock, true)
  const admin = publicView(item, { admin: true })
  t.equal(admin.stock, 3)
  t.equal(publicView({ ...item, stock: 0 }, { admin: false }).inStock, false)
})

t.test('type and brand filters need a category, and say so', async (t) => {
  t.doesNotThrow(() => checkFilters({}))
  t.doesNotThrow(() => checkFilters({ category: 'phone', brand: 'Apple' }))
  t.throws(
    () => checkFilters({ type: 'smart' }),
    { status: 400, code: 'category_required', message: /type filter narrows a category/ }
  )
  t.throws(() => checkFilters({ brand: 'Apple' }), { status: 400, code: 'category_required', message: /brand filter/ })
})

t.test('prefixes end with # so a brand never matches a longer brand', async (t) => {
  t.equal(typeBrandPrefix('smart'), 'smart#')
  t.equal(typeBrandPrefix('smart', 'App'), 'smart#App#')
  t.ok(!'smart#Apple#id'.startsWith(typeBrandPrefix('smart', 'App')))
})

t.test('cursor contexts differ per query, and q is compared as the search it means', async (t) => {
  t.not(cursorContext({ category: 'phone' }), cursorContext({ category: 'computer' }))
  t.not(cursorContext({ category: 'phone', type: 'smart' }), cursorContext({ category: 'phone', brand: 'smart' }))
  t.equal(cursorContext({ q: 'Pro ' }), cursorContext({ q: 'pro' }))
  t.equal(cursorContext({ q: 'Crème, BRÛLÉE' }), cursorContext({ q: 'creme brulee' }))
  t.equal(cursorContext({ q: 'max pro' }), cursorContext({ q: 'MAX pro' }))
  t.not(cursorContext({ q: 'pro max' }), cursorContext({ q: 'max pro' }), 'the last word is a prefix: another search')
})

t.test('a stock change needs what it removes and is never zero', async (t) => {
  t.equal(stockNeeded(-3), 3)
  t.equal(stockNeeded(5), 0)
  t.throws(() => stockNeeded(0), { status: 400, code: 'validation_failed' })
  t.throws(() => stockNeeded(1.5), { status: 400, code: 'validation_failed' })
})
