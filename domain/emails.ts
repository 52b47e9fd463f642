// The customer's order emails (placed, packed, delivered, cancelled): subject, HTML and text.
// Every catalog string (titles, colours) and every order field is HTML-escaped: item titles come
// from the catalog and must never become markup in someone's mailbox. The shipping address (shown
// in "placed" and "packed", where the shopper can still catch a mistake) is shopper input: escaped
// too, and only ever in the body, never in a header (the subject carries the order id alone).
import type { OrderStatus, PublicOrder } from './events.js'
import { addressLines } from './shipping-address.js'

export interface RenderedEmail { subject: string; html: string; text: string }

const HEADLINES: Record<OrderStatus, { subject: string; lead: string }> = {
  placed: { subject: 'Order placed', lead: 'Thank you for your order. We have passed it to our warehouse.' },
  packed: { subject: 'Order packed', lead: 'Your order is packed and on its way to the delivery service.' },
  delivered: { subject: 'Order delivered', lead: 'Your order has been delivered. Enjoy!' },
  cancelled: { subject: 'Order cancelled', lead: 'Your order has been cancelled. You will not be charged for it.' }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c])

/** An amount in minor units (cents) as the currency's usual text, e.g. 129999 USD -> $1,299.99. */
export function formatMoney (minor: number, currency: string): string {
  let format: Intl.NumberFormat
  try {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency })
  } catch {
    // An unknown code still renders, with two decimals.
    return `${(minor / 100).toFixed(2)} ${currency}`
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2
  return format.format(minor / 10 ** digits)
}

/** Text (never HTML) describing one order line: title, colour, count. */
const lineLabel = (line: PublicOrder['lines'][number]): { title: string; detail: string } => ({
  title: line.title,
  detail: `${line.color !== undefined ? `${line.color}, ` : ''}× ${line.count}`
})

export function renderOrderEmail (status: OrderStatus, order: PublicOrder): RenderedEmail {
  const { subject, lead } = HEADLINES[status]
  const fullSubject = `${subject} — #${order.id}`
  const money = (minor: number): string => formatMoney(minor, order.currency)
  const lines = order.lines.map((l) => ({ ...lineLabel(l), price: money(l.unitPrice * l.count) }))
  const address = (status === 'placed' || status === 'packed') && order.shippingAddress !== undefined
    ? addressLines(order.shippingAddress)
    : undefined
  const tracking = status === 'packed' && order.trackingNumber !== undefined
    ? `Tracking number: ${order.trackingNumber}${order.carrier !== undefined ? ` (${order.carrier})` : ''}`
    : undefined

  const text = [
    fullSubject,
    '',
    lead,
    ...(tracking !== undefined ? ['', tracking] : []),
    '',
    ...lines.map((l) => `- ${l.title} (${l.detail}): ${l.price}`),
    '',
    `Total: ${money(order.total)}`,
    ...(address !== undefined ? ['', 'Shipping to:', ...address.map((l) => `  ${l}`)] : []),
    ''
  ].join('\n')

  const e = escapeHtml
  const rows = lines.map((l) =>
    `<tr><td>${e(l.title)}<br><small>${e(l.detail)}</small></td><td ` +
      `style="text-align:right">${e(l.price)}</td></tr>`).join('')
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h1>${e(subject)} — #${e(order.id)}</h1>`,
    `<p>${e(lead)}</p>`,
    tracking !== undefined ? `<p>${e(tracking)}</p>` : '',
    `<table>${rows}<tr><th style="text-align:left">Total</th><th ` +
      `style="text-align:right">${e(money(order.total))}</th></tr></table>`,
    address !== undefined ? `<h2>Shipping to</h2><p>${address.map(e).join('<br>')}</p>` : '',
    '</body></html>'
  ].join('')
  return { subject: fullSubject, html, text }
}
