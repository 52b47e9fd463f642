// What each partner sees of an order: what it needs to do its part and no more. The warehouse packs
// (lines, and the recipient's name and country for its labels and customs papers); the delivery
// service delivers (the whole shipping address, with the phone for the courier). Neither gets the
// customer's email or user id: the history says who acted (`user`, `admin`, `partner:<name>`)
// without naming them. An order placed without an address says so: `null`.
import type { PartnerName } from '../core/config.js'
import { publicLine, type HistoryEntry, type StoredOrder } from './orders.js'
import { destinationOf, recipientOf, type Recipient, type ShippingAddress } from './shipping-address.js'

type PartnerOrderBase = Pick<StoredOrder,
'id' | 'status' | 'lines' | 'total' | 'currency' | 'createdAt' | 'updatedAt' | 'packageId' | 'trackingNumber' |
'carrier' | 'note'> & { history: Array<Pick<HistoryEntry, 'status' | 'at' | 'by'>> }
export type WarehouseOrder = PartnerOrderBase & { recipient: Recipient | null }
export type DeliveryOrder = PartnerOrderBase & { shippingAddress: ShippingAddress | null }

/** `user:<sub>` and `admin:<sub>` become `user` and `admin`; a partner's entry stays as it is. */
export const actorKind = (by: string): string => by.startsWith('partner:') ? by : by.split(':')[0] ?? by

function base (o: StoredOrder): PartnerOrderBase {
  const view: PartnerOrderBase = {
    id: o.id,
    status: o.status,
    lines: o.lines.map(publicLine),
    total: o.total,
    currency: o.currency,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    history: o.history.map((h) => ({ status: h.status, at: h.at, by: actorKind(h.by) }))
  }
  for (const k of ['packageId', 'trackingNumber', 'carrier', 'note'] as const) {
    if (o[k] !== undefined) view[k] = o[k]
  }
  return view
}

export function partnerOrder (o: StoredOrder, partner: 'warehouse'): WarehouseOrder
export function partnerOrder (o: StoredOrder, partner: 'delivery'): DeliveryOrder
export function partnerOrder (o: StoredOrder, partner: PartnerName): WarehouseOrder | DeliveryOrder {
  return partner === 'warehouse'
    ? { ...base(o), recipient: recipientOf(o.shippingAddress) }
    : { ...base(o), shippingAddress: destinationOf(o.shippingAddress) }
}
