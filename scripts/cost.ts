// `npm run cost`: what the stack costs to run, per 1,000 orders and per 1 million catalog reads of
// each kind, from the dated prices in bench/prices-us-east-1.json and the per-flow counts of
// bench/cost-model.ts (where each count comes from: the `source` of each call there).
import { readFileSync } from 'node:fs'
import { CATALOG_FLOWS, ORDER_FLOW, costOf, table, type Prices } from '../bench/cost-model.js'

const prices = JSON.parse(
  readFileSync(new URL('../bench/prices-us-east-1.json', import.meta.url), 'utf8')
) as Prices

const out: string[] = [
  `Prices: ${prices.region} on-demand list prices taken on ${prices.takenOn} (bench/prices-us-east-1.json).`,
  '',
  '## Per 1,000 orders (sign-in, placed, packed, delivered; 2 webhooks and 3 emails each)',
  '',
  table(costOf(ORDER_FLOW, 1000, prices)),
  '',
  `Cognito: each sign-in counted as one new monthly active user beyond the ${prices.cognito.freeMonthlyActiveUsers} ` +
    `free MAU, at the Essentials tier's $${prices.cognito.essentialsPerMau} (Lite: $${prices.cognito.litePerMau}).`
]
for (const [route, flow] of Object.entries(CATALOG_FLOWS)) {
  out.push('', `## Per 1 million ${route}`, '', table(costOf(flow, 1e6, prices)))
}
out.push('', 'Durations (ms billed per invocation) and their basis: the durations section of the price file.')
console.log(out.join('\n'))
