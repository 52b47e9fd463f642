// The partners' client: the warehouse marks orders packed, the delivery service marks them
// delivered, each with its own API key (sent as `x-api-key`). Both calls are safe to repeat (a
// transition the order already made answers 200 with the order), so the client retries them on
// 429, 503 and network errors alike.
import createClient from 'openapi-fetch'
import type { paths } from './schema.js'
import { createRetryingFetch, type TransportOptions } from './transport.js'
import { dataOf, initOf, type CallOptions } from './call.js'
import type { CommerceApi } from './commerce-client.js'
import type { DeliveredDetails, DeliveryOrder, PackedDetails, WarehouseOrder } from './types.js'

export interface PartnerClientOptions extends TransportOptions {
  /** The API's base URL. */
  baseUrl: string
  /** The partner's API key (the warehouse's for markPacked, the delivery service's for markDelivered). */
  apiKey: string
}

export interface PartnerClient {
  /** The typed openapi-fetch client, with the key and the retries. */
  readonly api: CommerceApi
  /** POST /orderpacked/{orderId} (warehouse): placed -> packed. The details are optional. */
  markPacked: (orderId: string, details?: PackedDetails, opts?: CallOptions) => Promise<WarehouseOrder>
  /** POST /orderdelivered/{orderId} (delivery service): packed -> delivered. The details are optional. */
  markDelivered: (orderId: string, details?: DeliveredDetails, opts?: CallOptions) => Promise<DeliveryOrder>
}

export function createPartnerClient (options: PartnerClientOptions): PartnerClient {
  const api = createClient<paths>({
    baseUrl: options.baseUrl,
    headers: { 'x-api-key': options.apiKey },
    fetch: createRetryingFetch({ ...options, repeatable: () => true })
  })
  return {
    api,
    markPacked: async (orderId, details, opts) => await dataOf(api.POST('/orderpacked/{orderId}', {
      params: { path: { orderId } }, ...(details !== undefined ? { body: details } : {}), ...initOf(opts)
    })),
    markDelivered: async (orderId, details, opts) => await dataOf(api.POST('/orderdelivered/{orderId}', {
      params: { path: { orderId } }, ...(details !== undefined ? { body: details } : {}), ...initOf(opts)
    }))
  }
}
