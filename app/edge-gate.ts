// With the optional edge on (infra/template.yaml's EdgeProtection), the HTTP API's own execute-api
// URL still answers: a caller could go around CloudFront and WAF's per-client rate rule. The
// distribution sends a secret in x-edge-secret with every request; this gate, in front of the app in
// the Lambda handler, answers 403 `edge_required` to any request without it (compared in constant
// time), so the default endpoint is useless. Without the edge (no edge secret configured) it lets
// everything through. The secret is read through the app's secret store (cached, stale-bounded); an
// unreadable secret is the store's 503.
import type { SecretSource } from '../core/config.js'
import { Problem, PROBLEM_CONTENT_TYPE, problemDocument } from '../core/problem.js'
import type { SecretStore } from '../plugins/secrets.js'
import { sameKey } from '../plugins/partner-keys.js'

export const EDGE_SECRET_HEADER = 'x-edge-secret'

export interface GatewayAnswer {
  statusCode: number
  headers: Record<string, string>
  body: string
  isBase64Encoded: false
}

function answer (problem: Problem, requestId: string | undefined): GatewayAnswer {
  return {
    statusCode: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...problem.headers },
    body: JSON.stringify({
      ...problemDocument(problem.status, problem.code, problem.detail),
      ...(requestId !== undefined ? { requestId } : {})
    }),
    isBase64Encoded: false
  }
}

/** undefined: let the event through; otherwise the answer to send instead. */
export function createEdgeGate (secrets: SecretStore, edgeSecret: SecretSource | undefined) {
  return async (event: unknown): Promise<GatewayAnswer | undefined> => {
    if (edgeSecret === undefined) return undefined
    const e = event as { headers?: Record<string, string | undefined>; requestContext?: { requestId?: string } }
    const requestId = e.requestContext?.requestId
    // API Gateway gives header names lower-cased (payload 2.0); a REST API's 1.0 events may not.
    const presented = Object.entries(e.headers ?? {}).find(([name]) => name.toLowerCase() === EDGE_SECRET_HEADER)?.[1]
    let expected: string
    try {
      expected = await secrets.get(edgeSecret)
    } catch (err) {
      if (err instanceof Problem) return answer(err, requestId)
      throw err
    }
    if (typeof presented === 'string' && sameKey(presented, expected)) return undefined
    const detail = 'Call the API through its CloudFront address, not the HTTP API\'s own URL'
    return answer(new Problem(403, 'edge_required', detail), requestId)
  }
}
