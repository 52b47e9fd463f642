// A scripted stand-in for the API behind the client's fetch: each call is recorded (method, path,
// headers, body) and answered by the test's handler. No sockets, no timers.

export interface Sent {
  method: string
  path: string
  query: string
  headers: Record<string, string>
  body: string
}

export type Answer = (sent: Sent, calls: Sent[]) => Response | Promise<Response>

export interface FakeApi {
  fetch: (request: Request) => Promise<Response>
  calls: Sent[]
}

export function fakeApi (answer: Answer): FakeApi {
  const calls: Sent[] = []
  return {
    calls,
    fetch: async (request) => {
      const url = new URL(request.url)
      const sent: Sent = {
        method: request.method,
        path: url.pathname,
        query: url.search,
        headers: Object.fromEntries(request.headers.entries()),
        body: request.body === null ? '' : await request.text()
      }
      calls.push(sent)
      return await answer(sent, calls)
    }
  }
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })

export const problem = (
  status: number,
  code: string,
  extras: Record<string, unknown> = {},
  headers: Record<string, string> = {}
): Response =>
  new Response(JSON.stringify({
    type: `urn:serverless-commerce:problem:${code}`,
    title: 'Problem',
    status,
    code,
    detail: `${code} happened`,
    requestId: `req-${code}`,
    ...extras
  }), {
    status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8', 'x-request-id': `req-${code}`, ...headers }
  })

/** A sleep that waits for nothing and records how long it was asked to wait. */
export function recordedSleep (): { sleep: (ms: number, signal?: AbortSignal) => Promise<void>, waits: number[] } {
  const waits: number[] = []
  return { waits, sleep: async (ms, signal) => { signal?.throwIfAborted(); waits.push(ms) } }
}

export const ORDER = {
  id: 'ord-1',
  userId: 'user-1',
  userEmail: 'ada@example.com',
  status: 'placed',
  lines: [{ id: 'phone-1', title: 'Phone', count: 1, unitPrice: 1000 }],
  total: 1000,
  currency: 'USD',
  createdAt: '2026-11-25T09:30:00.000Z',
  updatedAt: '2026-11-25T09:30:00.000Z',
  history: [{ status: 'placed', at: '2026-11-25T09:30:00.000Z', by: 'user:user-1' }]
} as const

export const TOKENS = { idToken: 'id-1', accessToken: 'access-1', refreshToken: 'refresh-1' }
