// Catalog routes: shoppers browse, filter, search and page through items; admins (Cognito group
// `admin`) create, replace, delete and adjust stock. Rules live in domain/catalog.ts, storage in
// data/items-repository.ts; this file only adapts HTTP to them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { AuthUser } from '../plugins/auth.js'
import { Type } from '@sinclair/typebox'
import { randomUUID } from 'node:crypto'
import { notModified, problems } from '../core/http-schemas.js'
import { encodeCursor, decodeCursor } from '../domain/cursor.js'
import { checkFilters, cursorContext, publicView, validateItemInput, type ItemFilters } from '../domain/catalog.js'
import { createItemsRepository, itemNotFound } from '../data/items-repository.js'
import {
  Categories, CreateItemBody, Item, ItemParams, ItemsPage, ItemsQuery, ReplaceItemBody, StockBody
} from './items-schemas.js'
import { itemEtag, notModified as unchanged, publicCatalogCache } from './catalog-cache.js'

const ADMIN_GROUP = 'admin'
const CACHED = 'Without a token the answer may be cached 30 s and carries an `ETag`: send it in `If-None-Match` and an unchanged answer is a 304 with no body.'
type Security = Array<Record<string, string[]>>
const adminSecurity: Security = [{ bearerAuth: [] }]
// Public routes also accept a token: an admin's answers carry the exact stock.
const optionalSecurity: Security = [{}, { bearerAuth: [] }]

const items: FastifyPluginAsyncTypebox = async (app) => {
  const repo = createItemsRepository(app.aws.ddb, app.config.tables.items)
  const requireAdmin = app.requireUser({ groups: [ADMIN_GROUP] })
  // No token is a shopper; a token that is sent must be valid (401 otherwise).
  const optionalUser = app.optionalUser()
  // request.user is null (the auth plugin's default) when no token was sent.
  const isAdmin = (request: FastifyRequest): boolean =>
    (request.user as AuthUser | null)?.groups.includes(ADMIN_GROUP) === true
  const now = (): string => new Date().toISOString()

  app.get('/items', {
    onRequest: optionalUser,
    onSend: publicCatalogCache,
    schema: {
      tags: ['catalog'],
      summary: 'List, filter and search items',
      description: 'Without filters, every item, paginated. `category` (then `type`, then `brand`) filter through the ' +
        'category index; `type` and `brand` need `category`. `q` searches title, brand and description, case-insensitively, ' +
        'and combines with the filters. Follow `nextCursor` (bound to this query) until it is absent. ' + CACHED,
      security: optionalSecurity,
      querystring: ItemsQuery,
      response: { 200: ItemsPage, ...notModified(), ...problems(400, 401, 500, 503) }
    }
  }, async (request) => {
    const { limit, cursor, ...rest } = request.query
    const filters: ItemFilters = rest
    checkFilters(filters)
    const admin = isAdmin(request)
    const secret = await app.secrets.get(app.config.cursorKey)
    const context = cursorContext(filters)
    const startKey = cursor === undefined ? undefined : decodeCursor(cursor, context, secret)
    const page = await repo.list(filters, limit, startKey)
    return {
      items: page.items.map((i) => publicView(i, { admin })),
      ...(page.lastKey === undefined ? {} : { nextCursor: encodeCursor(page.lastKey, context, secret) })
    }
  })

  app.get('/items/:itemId', {
    onRequest: optionalUser,
    schema: {
      tags: ['catalog'],
      summary: 'Get an item',
      description: `The item, with \`inStock\`; admins also see the exact \`stock\`. ${CACHED}`,
      security: optionalSecurity,
      params: ItemParams,
      response: { 200: Item, ...notModified(), ...problems(400, 401, 404, 500, 503) }
    }
  }, async (request, reply) => {
    const admin = isAdmin(request)
    const item = await repo.get(request.params.itemId)
    if (item === undefined) throw itemNotFound(request.params.itemId)
    const view = publicView(item, { admin })
    // 304: no body (the type provider knows only the 200's).
    if (unchanged(request, reply, itemEtag(view, app.config.version))) return await reply.code(304 as 200).send(undefined as never)
    return view
  })

  app.get('/categories', {
    onSend: publicCatalogCache,
    schema: {
      tags: ['catalog'],
      summary: 'Categories with their types and brands',
      description: `Each category with its types, brands and item count, for menus. ${CACHED}`,
      security: [],
      response: { 200: Categories, ...notModified(), ...problems(500, 503) }
    }
  }, async () => ({ categories: await repo.categories() }))

  app.post('/items', {
    onRequest: requireAdmin,
    schema: {
      tags: ['catalog'],
      summary: 'Create an item (admin)',
      description: 'Creates an item with a new id; `stock` is the initial stock (default 0).',
      security: adminSecurity,
      body: CreateItemBody,
      response: { 201: Item, ...problems(400, 401, 403, 409, 413, 415, 500, 503) }
    }
  }, async (request, reply) => {
    const { stock, ...input } = request.body
    validateItemInput(input)
    const item = await repo.create(randomUUID(), input, stock, now())
    return reply.code(201).header('location', `/items/${item.id}`).send(publicView(item, { admin: true }))
  })

  app.put('/items/:itemId', {
    onRequest: requireAdmin,
    schema: {
      tags: ['catalog'],
      summary: 'Replace an item (admin)',
      description: 'Replaces every field but `stock` (change it with POST /items/{itemId}/stock) and `createdAt`.',
      security: adminSecurity,
      params: ItemParams,
      body: ReplaceItemBody,
      response: { 200: Item, ...problems(400, 401, 403, 404, 413, 415, 500, 503) }
    }
  }, async (request) => {
    validateItemInput(request.body)
    const item = await repo.replace(request.params.itemId, request.body, now())
    return publicView(item, { admin: true })
  })

  app.delete('/items/:itemId', {
    onRequest: requireAdmin,
    schema: {
      tags: ['catalog'],
      summary: 'Delete an item (admin)',
      description: 'Removes the item from the catalog. Orders already placed keep their snapshot of it.',
      security: adminSecurity,
      params: ItemParams,
      response: { 204: Type.Null({ description: 'Deleted' }), ...problems(400, 401, 403, 404, 500, 503) }
    }
  }, async (request, reply) => {
    await repo.remove(request.params.itemId)
    return reply.code(204).send(null)
  })

  app.post('/items/:itemId/stock', {
    onRequest: requireAdmin,
    schema: {
      tags: ['catalog'],
      summary: 'Adjust stock atomically (admin)',
      description: 'Adds `delta` (negative to remove). Concurrent adjustments are atomic; a decrement past zero ' +
        'is a 409 `insufficient_stock` whose body has `currentStock`.',
      security: adminSecurity,
      params: ItemParams,
      body: StockBody,
      response: { 200: Item, ...problems(400, 401, 403, 404, 409, 413, 415, 500, 503) }
    }
  }, async (request) => {
    const item = await repo.adjustStock(request.params.itemId, request.body.delta, now())
    return publicView(item, { admin: true })
  })
}

export default items
