// A shopper's flow with @serverless-commerce/client: sign up, confirm with the mailed code, sign
// in, browse, order, read the order back, cancel it and sign out. Against `npm start` (which seeds
// a catalog, and whose mailbox page holds the codes):
//
//   npm run example:shopper -w @serverless-commerce/client
//
// (or, in a project of your own, `npx tsx shopper.ts`). COMMERCE_API_URL points it elsewhere
// (default http://localhost:3000); the code is read from the local mailbox (COMMERCE_MAILBOX_URL,
// default http://127.0.0.1:8005), or typed in when there is none (a deployed API mails it).
import { createInterface } from 'node:readline/promises'
import { createCommerceClient, isCommerceProblem, type Item, type ShippingAddress } from '@serverless-commerce/client'

const baseUrl = process.env.COMMERCE_API_URL ?? 'http://localhost:3000'
const email = process.env.SHOPPER_EMAIL ?? `shopper+${Date.now()}@example.com`
const password = 'Correct-Horse-1'
const money = (minor: number, currency: string): string =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(minor / 100)

// The client keeps the tokens, refreshes them once when a call answers token_expired, retries
// 429 and 503 answers after their Retry-After, and throws every error as a CommerceProblem.
const shop = createCommerceClient({ baseUrl })

/** The code mailed to the address: from the local mailbox when there is one, else typed in. */
async function mailedCode (): Promise<string> {
  const mailbox = process.env.COMMERCE_MAILBOX_URL ?? 'http://127.0.0.1:8005'
  for (let tries = 0; tries < 50; tries++) {
    const store = await fetch(`${mailbox}/store`).then(
      async (r) => await r.json() as {
        emails: Array<{ subject: string, destination: { to: string[] }, body: { text?: string } }>
      },
      () => undefined
    )
    if (store === undefined) break
    const mail = store.emails.filter((m) => m.destination.to.includes(email) && /code/i.test(m.subject)).at(-1)
    const code = /\b\d{6}\b/.exec(mail?.body.text ?? '')?.[0]
    if (code !== undefined) return code
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const prompt = createInterface({ input: process.stdin, output: process.stdout })
  try {
    return (await prompt.question(`The code mailed to ${email}: `)).trim()
  } finally {
    prompt.close()
  }
}

async function main (): Promise<void> {
  // Signing up mails a code to the address; the account signs in once it is confirmed.
  await shop.signUp({ email, password, name: 'Ada' })
  await shop.confirmSignUp({ email, password, code: await mailedCode() })
  await shop.signIn({ email, password })
  const me = await shop.getMe()
  console.log(`signed in as ${me.email}`)

  // Browse: the menus, then a page of one category and a search.
  const { categories } = await shop.listCategories()
  console.log(`categories: ${categories.map((c) => `${c.category} (${c.count})`).join(', ')}`)
  const page = await shop.listItems({ category: categories[0]?.category ?? 'phone', limit: 10 })
  const found = await shop.listItems({ q: 'usb', limit: 5 })
  console.log(
    `browsed ${page.items.length} items${page.nextCursor !== undefined ? ' (more pages)' : ''}; "usb" found ` +
      `${found.items.length}`
  )
  const item: Item | undefined = [...page.items, ...found.items].find((i) => i.inStock)
  if (item === undefined) throw new Error('nothing in stock: seed the catalog (npm start does)')

  // Order one, in its first colour when it has colours. The client sends an Idempotency-Key and
  // keeps it across its own retries, so a retried checkout never orders twice.
  const color = (await shop.getItem(item.id)).colorPreference[0]?.colorCode
  // Where it goes: the order keeps this address; the delivery service gets it with the phone.
  const shippingAddress: ShippingAddress = {
    name: 'Ada Lovelace',
    line1: '12 St James\'s Square',
    city: 'London',
    postalCode: 'SW1Y 4JH',
    country: 'GB',
    phone: '+442079460958'
  }
  const line = { id: item.id, count: 1, ...(color !== undefined ? { color } : {}) }
  const order = await shop.placeOrder({ items: [line], shippingAddress })
  console.log(`shipping to ${order.shippingAddress?.city ?? '(no address)'}, ${order.shippingAddress?.country ?? ''}`)
  console.log(
    `placed order ${order.id}: ${order.lines.map((l) => `${l.count} x ${l.title}`).join(', ')}, ${money(
      order.total,
      order.currency
    )}`
  )

  const read = await shop.getOrder(order.id)
  const { orders } = await shop.listOrders({ limit: 5 })
  console.log(`order ${read.id} is ${read.status}; ${orders.length} order(s) in my list`)

  const cancelled = await shop.cancelOrder(order.id)
  console.log(`cancelled order ${cancelled.id}: ${cancelled.status}`)

  // Errors carry a status and a stable code to branch on.
  try {
    await shop.getOrder('no-such-order')
  } catch (err) {
    if (!isCommerceProblem(err, 'order_not_found')) throw err
    console.log(`an unknown order is a ${err.status} ${err.code} (request ${err.requestId ?? '?'})`)
  }

  // Signing out ends the session on every device.
  await shop.signOut()
  console.log('signed out')
}

main().catch((err: unknown) => {
  if (isCommerceProblem(err)) {
    console.error(
    `${err.status} ${err.code}: ${err.detail} (request ${err.requestId ?? '?'})`
    )
  } else console.error(err)
  process.exit(1)
})
