// Baseline "hello": Fastify + @fastify/aws-lambda with one route, built like our API bundle. What
// any Fastify lambdalith pays before it does anything of its own.
import Fastify from 'fastify'
import awsLambdaFastify from '@fastify/aws-lambda'

const app = Fastify()
app.get(
  '/items/:itemId',
  async (request) => ({ id: (request.params as { itemId: string }).itemId, title: 'iPhone 15', price: 79900 })
)
const proxy = awsLambdaFastify(app, { decorateRequest: true })
await app.ready()

export const handler = proxy
