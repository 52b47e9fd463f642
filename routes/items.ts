// Catalog routes: shoppers browse, filter, search and page through items; admins (Cognito group
// `admin`) create, replace, delete and adjust stock. Rules live in domain/catalog.ts, storage in
// data/items-repository.ts; this file only adapts HTTP to them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { AuthUser } from '../plugins/auth.js'
import { Type } from '@sinclair/typebox'
import { randomUUID } from 'node:crypto'
import { notModified, problems, ref } from '../core/http-schemas.js'
import { encodeCursor, decodeCursor } from '../domain/cursor.js'
import {
  checkFilters, cursorContext, normaliseFilters, publicView, validateItemInput, type ItemFilters
} from '../domain/catalog.js'
import { parseQuery } from '../domain/search.js'
import { itemIdFor, requestHash } from '../domain/idempotency.js'
import { createItemsRepository, itemNotFound } from '../data/items-repository.js'
import { createItemsSearch } from '../data/items-search.js'
import {
  Categories, CreateItemBody, CreateItemHeaders, Item, ItemParams, ItemsPage, ItemsQuery, PutItemBody, StockBody
} from './items-schemas.js'
import { itemEtagger, notModified as unchanged, publicCatalogCache } from './catalog-cache.js'

const ADMIN_GROUP = 'admin'
const CACHED = 'Without a token the answer may be cached 30 s and carries an `ETag`: send it in `If-None-Match` and ' +
  'an unchanged answer is a 304 with no body.'
type Security = Array<Record<string, string[]>>
const adminSecurity: Security = [{ bearerAuth: [] }]
// Public routes document no security (none is required); they also accept a token, which their
// descriptions say: an admin's answers carry the exact stock.
const ADMIN_TOKEN = 'No credentials needed. An admin may send a bearer token (`Authorization: Bearer`) to see the ' +
  'exact `stock`; a token that is sent must be valid (401 otherwise).'

const items: FastifyPluginAsyncTypebox = async (app) => {
  const tables = { items: app.config.tables.items, catalogIndex: app.config.tables.catalogIndex }
  const repo = createItemsRepository(app.aws.ddb, tables)
  const index = createItemsSearch(app.aws.ddb, tables)
  const requireAdmin = app.requireUser({ groups: [ADMIN_GROUP] })
  // No token is a shopper; a token that is sent must be valid (401 otherwise).
  const optionalUser = app.optionalUser()
  // request.user is null (the auth plugin's default) when no token was sent.
  const isAdmin = (request: FastifyRequest): boolean =>
    (request.user as AuthUser | null)?.groups.includes(ADMIN_GROUP) === true
  const now = (): string => new Date().toISOString()
  const itemEtag = itemEtagger(app.config.version)

  app.get('/items', {
    onRequest: optionalUser,
    onSend: publicCatalogCache,
    schema: {
      operationId: 'listItems',
      tags: ['catalog'],
      summary: 'List, filter and search items',
      description: 'Without filters, every item, paginated. `category` (then `type`, then `brand`) filter through ' +
        'the ' +
        'category index; `type` and `brand` need `category` (400 `category_required`). `q` searches the words of the ' +
        'title, brand and description, ignoring case and accents: every word of `q` must be a word of the item, and ' +
          'the ' +
        'last may be the start of one, so `pix` finds Pixel and `galaxy ultr` finds Galaxy S24 Ultra. It combines ' +
        'with the filters. A search is in a stable order (by the matched word, then the item id). 400 ' +
        '`empty_query` when `q` has no letters or digits, `too_many_words` past 8 words, `validation_failed` past ' +
        '100 characters. Follow `nextCursor` (bound to this query; 400 `invalid_cursor` otherwise) until it is ' +
        `absent. ${CACHED} ${ADMIN_TOKEN}`,
      security: [],
      querystring: ItemsQuery,
      response: { 200: ref(ItemsPage), ...notModified(), ...problems(400, 401, 500, 503) }
    }
  }, async (request) => {
    const { limit, cursor, ...rest } = request.query
    const filters: ItemFilters = normaliseFilters(rest)
    checkFilters(filters)
    const { q, ...others } = filters
    const query = q === undefined ? undefined : parseQuery(q)
    const admin = isAdmin(request)
    const secret = await app.secrets.get(app.config.cursorKey)
    const context = cursorContext(filters, query)
    const startKey = cursor === undefined ? undefined : decodeCursor(cursor, context, secret)
    const page = query === undefined
      ? await repo.list(others, limit, startKey)
      : await index.search(query, others, limit, startKey)
    return {
      items: page.items.map((i) => publicView(i, { admin })),
      ...(page.lastKey === undefined ? {} : { nextCursor: encodeCursor(page.lastKey, context, secret) })
    }
  })

  app.get('/items/:itemId', {
    onRequest: optionalUser,
    schema: {
      operationId: 'getItem',
      tags: ['catalog'],
      summary: 'Get an item',
      description: `The item, with \`inStock\`; admins also see the exact \`stock\`. ${CACHED} ${ADMIN_TOKEN}`,
      security: [],
      params: ItemParams,
      response: { 200: ref(Item), ...notModified(), ...problems(400, 401, 404, 500, 503) }
    }
  }, async (request, reply) => {
    const admin = isAdmin(request)
    const item = await repo.get(request.params.itemId)
    if (item === undefined) throw itemNotFound(request.params.itemId)
    const view = publicView(item, { admin })
    // 304: no body (the type provider knows only the 200's).
    if (unchanged(request, reply, itemEtag(view))) return await reply.code(304 as 200).send(undefined as never)
    return view
  })

  app.get('/categories', {
    onSend: publicCatalogCache,
    schema: {
      operationId: 'listCategories',
      tags: ['catalog'],
      summary: 'Categories with their types and brands',
      description: 'Each category with its types, brands and item count, for menus. Read from counters the item ' +
        'writes ' +
        'keep in their own transaction, as cheap with a million items as with ten; an eventually consistent read, ' +
        'so a write may take a second to show. Names are in Unicode NFC (one entry however a client spelled them). ' +
        CACHED,
      security: [],
      response: { 200: ref(Categories), ...notModified(), ...problems(500, 503) }
    }
  }, async () => ({ categories: await repo.categories() }))

  app.post('/items', {
    onRequest: requireAdmin,
    schema: {
      operationId: 'createItem',
      tags: ['catalog'],
      summary: 'Create an item (admin)',
      description: 'Creates an item with a new id; `stock` is the initial stock (default 0). Send an ' +
        '`Idempotency-Key` to retry safely: the same key and body answer the item the first request created, ' +
        'as it is now (header ' +
        '`Idempotent-Replayed: true`); the same key with another body is a 422 `idempotency_key_reused`. The key ' +
        'lasts as long as the item: once it is deleted, the same key creates it again.',
      security: adminSecurity,
      headers: CreateItemHeaders,
      body: ref(CreateItemBody),
      response: { 201: ref(Item), ...problems(400, 401, 403, 409, 413, 415, 422, 500, 503) }
    }
  }, async (request, reply) => {
    const { stock, ...input } = request.body
    validateItemInput(input)
    const key = request.headers['idempotency-key']
    const { item, replayed } = key === undefined
      ? { item: await repo.create(randomUUID(), input, stock, now()), replayed: false }
      : await repo.createOnce(itemIdFor((request.user as AuthUser).sub, key), requestHash(request.body),
        input, stock, now())
    if (replayed) reply.header('idempotent-replayed', 'true')
    return reply.code(201).header('location', `/items/${item.id}`).send(publicView(item, { admin: true }))
  })

  app.put('/items/:itemId', {
    onRequest: requireAdmin,
    schema: {
      operationId: 'replaceItem',
      tags: ['catalog'],
      summary: 'Create or replace an item with a given id (admin)',
      description: 'Replaces every field but `stock` and `createdAt` of the item with this id (200), or creates it ' +
        '(201, ' +
        'with Location) when there is none, with `stock` as its initial stock. An existing item keeps its stock ' +
          '(change ' +
        'it with POST /items/{itemId}/stock), so sending the same body again changes nothing: the bulk import ' +
        '(`npm run import`) relies on it. 503 `service_busy` when the item keeps changing under the request; retry.',
      security: adminSecurity,
      params: ItemParams,
      body: ref(PutItemBody),
      response: { 200: ref(Item), 201: ref(Item), ...problems(400, 401, 403, 413, 415, 500, 503) }
    }
  }, async (request, reply) => {
    const { stock, ...input } = request.body
    validateItemInput(input)
    const { item, created } = await repo.put(request.params.itemId, input, stock ?? 0, now())
    if (created) reply.code(201).header('location', `/items/${item.id}`)
    return publicView(item, { admin: true })
  })

  app.delete('/items/:itemId', {
    onRequest: requireAdmin,
    schema: {
      operationId: 'deleteItem',
      tags: ['catalog'],
      summary: 'Delete an item (admin)',
      description: 'Removes the item from the catalog. Orders already placed keep their snapshot of it. An item that ' +
        'does not exist (or no longer) answers 204 too, so a DELETE retried after its answer was lost succeeds.',
      security: adminSecurity,
      params: ItemParams,
      response: {
        204: Type.Null({ description: 'Deleted, or there was no such item' }),
        ...problems(400, 401, 403, 500, 503)
      }
    }
  }, async (request, reply) => {
    await repo.remove(request.params.itemId)
    return reply.code(204).send(null)
  })

  app.post('/items/:itemId/stock', {
    onRequest: requireAdmin,
    schema: {
      operationId: 'adjustStock',
      tags: ['catalog'],
      summary: 'Adjust stock atomically (admin)',
      description: 'Adds `delta` (negative to remove). Concurrent adjustments are atomic; a decrement past zero ' +
        'is a 409 `insufficient_stock` whose body has `currentStock`.',
      security: adminSecurity,
      params: ItemParams,
      body: ref(StockBody),
      response: { 200: ref(Item), ...problems(400, 401, 403, 404, 409, 413, 415, 500, 503) }
    }
  }, async (request) => {
    const item = await repo.adjustStock(request.params.itemId, request.body.delta, now())
    return publicView(item, { admin: true })
  })
}

export default items
