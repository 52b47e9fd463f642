// Partner routes: the warehouse marks an order packed, the delivery service marks it delivered,
// each with its own API key. Every transition is one conditional update (data/orders-repository.ts):
// a repeat answers the order as it is (partners retry), any other transition is a 409.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { optionalBody, problems, ref } from '../core/http-schemas.js'
import { partnerOrder } from '../domain/partner-views.js'
import { createOrdersRepository, type PartnerDetails } from '../data/orders-repository.js'
import { DeliveredBody, DeliveryOrder, OrderParams, PackedBody, WarehouseOrder } from './orders-schemas.js'

const security = [{ partnerApiKey: [] }]
const VIEW = 'The answer is the order as a partner sees it: its lines, status and times, never the customer\'s email ' +
  'or user id.'
const RETRIES = 'Repeating a transition the order already made answers 200 with the order, unchanged; any other ' +
  'transition is a 409 `invalid_transition` whose `currentStatus` says where the order is. Unknown order: 404.'

const partners: FastifyPluginAsyncTypebox = async (app) => {
  const repo = createOrdersRepository(app.aws.ddb, app.config.tables)

  // The body is optional, and partners' HTTP clients often send `content-type: application/json`
  // with no body at all: in this plugin's scope that is an empty body, not a 400.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined)
    // The default JSON parser is the callback form: it answers through done and returns nothing.
    else void parseJson(request, body as string, done)
  })
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined || request.body === null) request.body = {}
  })

  app.post('/orderpacked/:orderId', {
    onRequest: app.requirePartner('warehouse'),
    schema: {
      operationId: 'markPacked',
      tags: ['partners'],
      summary: 'Mark an order packed (warehouse)',
      description: `The warehouse's API key in \`x-api-key\`. placed -> packed; the body is optional. ${RETRIES} ` +
        `${VIEW} ` +
        'For labels and customs papers it carries the `recipient` (name and country; `null` for an order placed ' +
        'without a shipping address).',
      security,
      params: OrderParams,
      body: ref(PackedBody),
      ...optionalBody(),
      response: { 200: ref(WarehouseOrder), ...problems(400, 401, 403, 404, 409, 413, 415, 500, 503) }
    }
  }, async (request) => {
    const details: PartnerDetails = request.body ?? {}
    const at = new Date().toISOString()
    const order = await repo.transition(request.params.orderId, 'packed', 'partner:warehouse', at, details, request.id)
    return partnerOrder(order, 'warehouse')
  })

  app.post('/orderdelivered/:orderId', {
    onRequest: app.requirePartner('delivery'),
    schema: {
      operationId: 'markDelivered',
      tags: ['partners'],
      summary: 'Mark an order delivered (delivery service)',
      description: "The delivery service's API key in `x-api-key`. packed -> delivered; the body is optional. " +
        `${RETRIES} ` +
        `${VIEW} It carries the \`shippingAddress\` with the phone (\`null\` for an order placed without one).`,
      security,
      params: OrderParams,
      body: ref(DeliveredBody),
      ...optionalBody(),
      response: { 200: ref(DeliveryOrder), ...problems(400, 401, 403, 404, 409, 413, 415, 500, 503) }
    }
  }, async (request) => {
    const details: PartnerDetails = request.body ?? {}
    const at = new Date().toISOString()
    const order = await repo.transition(request.params.orderId, 'delivered', 'partner:delivery', at, details,
      request.id)
    return partnerOrder(order, 'delivery')
  })
}

export default partners
