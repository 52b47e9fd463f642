// The document names its shapes, so clients generated in other languages get named types: every
// JSON request body and success response is a `$ref` to components.schemas, and the shapes nested
// in them (an order's lines, an item's colours) are named too.
import t from 'tap'
import { build } from '../helpers/app.js'
import { SHARED_SCHEMAS } from '../../app/registry.js'

type Json = Record<string, any>

const METHODS = ['get', 'put', 'post', 'delete', 'patch']
const COMPONENT = '#/components/schemas/'

t.test('every request body and success response refers to a named schema', async (t) => {
  const app = await build(t)
  const doc: Json = (await app.inject({ url: '/openapi.json' })).json()
  const names = Object.keys(doc.components.schemas)
  const wanted = ['Item', 'Color', 'ItemsPage', 'Order', 'OrderLine', 'OrderStatus', 'OrderHistoryEntry', 'OrdersPage',
    'PlaceOrderRequest', 'PlaceOrderLine', 'PackedRequest', 'DeliveredRequest', 'SignInRequest', 'SignInResult',
    'Problem', 'OrderPlacedWebhook', 'OrderPackedWebhook', 'WebhookOrderLine']
  for (const name of wanted) {
    t.ok(names.includes(name), `${name} is a component`)
  }
  const missing = SHARED_SCHEMAS.map((s) => s.$id).filter((id) => !names.includes(id as string))
  t.same(missing, [], 'every registered shape is listed')

  for (const [path, item] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(item)) {
      if (!METHODS.includes(method)) continue
      const key = `${method.toUpperCase()} ${path}`
      const bodies: Array<[string, Json]> = []
      for (const m of Object.values<Json>(op.requestBody?.content ?? {})) bodies.push(['request body', m])
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        if (!status.startsWith('2')) continue
        for (const m of Object.values<Json>(response.content ?? {})) bodies.push([status, m])
      }
      for (const [what, media] of bodies) {
        if (path === '/openapi.json') continue // the document itself: any OpenAPI document
        t.match(media.schema.$ref, /^#\/components\/schemas\/[A-Z]\w+$/, `${key} ${what}: a named schema`)
        const named = doc.components.schemas[String(media.schema.$ref).slice(COMPONENT.length)]
        t.ok(named, `${key} ${what}: ${media.schema.$ref} exists`)
        t.ok(media.example !== undefined || media.examples !== undefined, `${key} ${what}: shows an example`)
      }
    }
  }

  const order = doc.components.schemas.Order
  t.same(order.properties.lines.items, { $ref: `${COMPONENT}OrderLine` }, "an order's lines are OrderLine")
  t.same(order.properties.status, { $ref: `${COMPONENT}OrderStatus` })
  t.same(doc.components.schemas.Item.properties.colorPreference.items, { $ref: `${COMPONENT}Color` })
  t.same(doc.components.schemas.ItemsPage.properties.items.items, { $ref: `${COMPONENT}Item` })
})

t.test("an order line's colour is a string, in the answer and in the request", async (t) => {
  const app = await build(t)
  const doc: Json = (await app.inject({ url: '/openapi.json' })).json()
  t.equal(doc.components.schemas.OrderLine.properties.color.type, 'string')
  const line = doc.components.schemas.PlaceOrderLine.properties.color
  t.equal(line.type, 'string', 'a colour code is a string (no string-or-number union)')
  t.equal(line.anyOf, undefined)
})
