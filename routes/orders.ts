// Shoppers' order routes: place (with Idempotency-Key), read, list and cancel their own orders.
// The seed's GET /order/{orderId} and GET /orderslist stay as deprecated aliases. Rules live in
// domain/orders.ts, storage in data/; this file only adapts HTTP to them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { problems, ref } from '../core/http-schemas.js'
import { Problem } from '../core/problem.js'
import { decodeCursor, encodeCursor } from '../domain/cursor.js'
import {
  canRead,
  decideTransition,
  orderNotFound,
  ordersCursorContext,
  publicOrder,
  type StoredOrder
} from '../domain/orders.js'
import { createOrdersRepository } from '../data/orders-repository.js'
import { createIdempotencyRepository } from '../data/idempotency-repository.js'
import { placeOrder } from '../data/place-order.js'
import { createItemSnapshots } from '../data/item-snapshots.js'
import type { AuthUser } from '../plugins/auth.js'
import { problemCodeOf } from '../plugins/errors.js'
import {
  Order, OrderParams, OrdersPage, OrdersQuery, PlaceOrderBody, PlaceOrderHeaders, SHIPPING_ADDRESS_CODES
} from './orders-schemas.js'

const security = [{ bearerAuth: [] }]
const READ_DESCRIPTION = "The caller's order. Another user's order answers 404, exactly like a missing one; " +
  'admins (group `admin`) may read any order.'
const LIST_DESCRIPTION = "The caller's orders, newest first, optionally only those with `status`. " +
  'Follow `nextCursor` (bound to this user and filter) until it is absent. The list is read from an index that ' +
  'DynamoDB updates a moment after each write (usually well under a second): an order placed or changed just ' +
  'now may be missing or show its previous status. `GET /orders/{orderId}` always reads the order as written.'

const orders: FastifyPluginAsyncTypebox = async (app) => {
  const repo = createOrdersRepository(app.aws.ddb, app.config.tables)
  const idempotency = createIdempotencyRepository(app.aws.ddb, app.config.tables.idempotency)
  const snapshots = createItemSnapshots()
  const requireUser = app.requireUser()
  const caller = (request: FastifyRequest): AuthUser => request.user
  const isAdmin = (user: AuthUser): boolean => user.groups.includes('admin')

  /** The order if the caller may read it; a 404 otherwise, the same for missing and not theirs. */
  const readable = async (request: FastifyRequest, id: string): Promise<StoredOrder> => {
    const order = await repo.get(id)
    if (order === undefined || !canRead(order, caller(request))) throw orderNotFound(id)
    return order
  }

  // An order mails its customer: only at an address the account proved it owns. Checked with the
  // credentials (onRequest), so an account that may not order learns nothing of the body's rules.
  const requireVerifiedEmail = (request: FastifyRequest, _reply: unknown, done: (err?: Error) => void): void => {
    if (caller(request).emailVerified) { done(); return }
    done(new Problem(403, 'email_unverified', 'Verify your email before ordering: confirm the signup with the code ' +
      'mailed to you (POST /signup/confirm), ' +
      'or, signed in, ask for a code with POST /me/email/code and enter it at POST /me/email/verify'))
  }

  app.post('/orders', {
    config: { validationCodes: SHIPPING_ADDRESS_CODES },
    onRequest: [requireUser, requireVerifiedEmail],
    // Refusals by problem code (the route's own hook: no cost on other routes or on a 201). In
    // onSend: the metrics plugin's onResponse hook flushes before a route's own onResponse hooks.
    onSend: (request, reply, payload, done) => {
      if (reply.statusCode >= 400) {
        app.metrics.add('OrdersRefused', { Code: problemCodeOf(request) ?? `http_${reply.statusCode}` })
      }
      done(null, payload)
    },
    schema: {
      operationId: 'placeOrder',
      tags: ['orders'],
      summary: 'Place an order',
      description: 'Takes the stock of every line and writes the order in one transaction, with a snapshot of each ' +
        'line\'s title, colour and price as they are when the order commits. Send an `Idempotency-Key` to retry ' +
          'safely: the same key and body answer the same ' +
        'order (header `Idempotent-Replayed: true`), concurrent retries included; the same key with another body is ' +
          'a 422. ' +
        'A refusal (400, 409) writes nothing, and with a key it is only answered once the key is known not to have ' +
        'placed this order already; a request changed after a refusal is a new request. Short stock is a 409 ' +
        '`insufficient_stock` naming the items. A 503 `service_busy` wrote nothing that a retry with the same key ' +
        'could duplicate. Without a key, a failure DynamoDB leaves ambiguous is checked (a strongly consistent read, ' +
        'then the same transaction once more, which DynamoDB applies at most once); if it still cannot tell, the ' +
          'answer is ' +
        '503 `order_outcome_unknown` with the `orderId` it tried: `GET /orders/{orderId}` answers 200 if it was ' +
          'placed. ' +
        'The account\'s email must be verified (`403 email_unverified` otherwise). ' +
        'The `shippingAddress` is where the order goes: the order keeps a snapshot of it, shown to the customer and ' +
        'admins, and the delivery service gets it with the phone (the warehouse only the recipient\'s name and ' +
        'country). A malformed one is a 400: `invalid_country` (not an ISO 3166-1 alpha-2 code), ' +
        '`invalid_postal_code` (missing or not in the national format, for the countries listed under `postalCode`), ' +
        '`invalid_phone` (not E.164), `validation_failed` for anything else (an unknown property, a value too long, ' +
        'blank or with line breaks). It is part of the Idempotency-Key\'s request. Orders placed without one are ' +
        'accepted for now and reach the partners with `shippingAddress: null`.',
      security,
      headers: PlaceOrderHeaders,
      body: ref(PlaceOrderBody),
      response: { 201: ref(Order), ...problems(400, 401, 403, 409, 413, 415, 422, 500, 503) }
    }
  }, async (request, reply) => {
    const user = caller(request)
    const result = await placeOrder({ orders: repo, idempotency, snapshots }, {
      userId: user.sub,
      userEmail: await app.userEmail(request),
      userEmailVerified: true,
      items: request.body.items,
      ...(request.body.shippingAddress === undefined ? {} : { shippingAddress: request.body.shippingAddress }),
      idempotencyKey: request.headers['idempotency-key'],
      requestId: request.id
    })
    app.tracing.annotate('orderId', result.order.id)
    if (result.replayed) {
      reply.header('idempotent-replayed', 'true')
      app.metrics.add('IdempotentReplays', {})
    } else {
      app.metrics.add('OrdersPlaced', {})
      app.metrics.add('OrderValue', { Currency: result.order.currency }, result.order.total)
    }
    return reply.code(result.statusCode as 201).header('location', `/orders/${result.order.id}`).send(result.order)
  })

  for (const [path, deprecated, operationId] of [
    ['/orders/:orderId', false, 'getOrder'],
    ['/order/:orderId', true, 'getOrderLegacy']
  ] as const) {
    app.get(path, {
      onRequest: requireUser,
      schema: {
        operationId,
        tags: ['orders'],
        summary: deprecated ? 'Get an order (deprecated: use GET /orders/{orderId})' : 'Get an order',
        description: READ_DESCRIPTION,
        ...(deprecated ? { deprecated: true } : {}),
        security,
        params: OrderParams,
        response: { 200: ref(Order), ...problems(400, 401, 404, 500, 503) }
      }
    }, async (request) => publicOrder(await readable(request, request.params.orderId)))
  }

  for (const [path, deprecated, operationId] of [
    ['/orders', false, 'listOrders'],
    ['/orderslist', true, 'listOrdersLegacy']
  ] as const) {
    app.get(path, {
      onRequest: requireUser,
      schema: {
        operationId,
        tags: ['orders'],
        summary: deprecated ? 'List my orders (deprecated: use GET /orders)' : 'List my orders',
        description: LIST_DESCRIPTION,
        ...(deprecated ? { deprecated: true } : {}),
        security,
        querystring: OrdersQuery,
        response: { 200: ref(OrdersPage), ...problems(400, 401, 500, 503) }
      }
    }, async (request) => {
      const { limit, cursor, status } = request.query
      const userId = caller(request).sub
      const secret = await app.secrets.get(app.config.cursorKey)
      const context = ordersCursorContext(userId, status)
      const startKey = cursor === undefined ? undefined : decodeCursor(cursor, context, secret)
      const page = await repo.listByUser(userId, { status, limit, startKey })
      return {
        orders: page.orders.map(publicOrder),
        ...(page.lastKey === undefined ? {} : { nextCursor: encodeCursor(page.lastKey, context, secret) })
      }
    })
  }

  app.post('/orders/:orderId/cancel', {
    onRequest: requireUser,
    schema: {
      operationId: 'cancelOrder',
      tags: ['orders'],
      summary: 'Cancel an order',
      description: 'Only while the order is `placed`: the status change and the return of every line\'s stock are ' +
        'one ' +
        'transaction. Cancelling a cancelled order answers it again; any other status is a 409 naming it.',
      security,
      params: OrderParams,
      response: { 200: ref(Order), ...problems(400, 401, 404, 409, 500, 503) }
    }
  }, async (request) => {
    const user = caller(request)
    const order = await readable(request, request.params.orderId)
    if (decideTransition(order, 'cancelled') === 'noop') return publicOrder(order)
    const by = order.userId === user.sub ? `user:${user.sub}` : `${isAdmin(user) ? 'admin' : 'user'}:${user.sub}`
    return publicOrder(await repo.cancel(order, by, new Date().toISOString(), request.id))
  })
}

export default orders
