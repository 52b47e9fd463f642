// The EventBridge rules that target the worker, read from infra/template.yaml: SAM function events
// of type EventBridgeRule / CloudWatchEvent (Pattern) and AWS::Events::Rule resources whose targets
// name the function (EventPattern). The local bus routes by these, so the template is the truth.
import { loadTemplate, type CfnTemplate } from '../infra/template.js'

export interface LocalRule { name: string; pattern: Record<string, unknown> }

export const WORKER_FUNCTION = 'WorkerFunction'

const refersTo = (value: unknown, logicalId: string): boolean => JSON.stringify(value ?? null).includes(`"${logicalId}"`)

export function workerRules (template: CfnTemplate = loadTemplate(), functionId = WORKER_FUNCTION): LocalRule[] {
  const rules: LocalRule[] = []
  const fn = template.Resources[functionId]
  if (fn === undefined) throw new Error(`infra/template.yaml has no ${functionId}`)
  for (const [name, event] of Object.entries((fn.Properties?.Events ?? {}) as Record<string, { Type: string; Properties?: Record<string, any> }>)) {
    if ((event.Type === 'EventBridgeRule' || event.Type === 'CloudWatchEvent') && event.Properties?.Pattern !== undefined) {
      rules.push({ name: `${functionId}.${name}`, pattern: event.Properties.Pattern })
    }
  }
  for (const [name, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Events::Rule' || resource.Properties?.EventPattern === undefined) continue
    if (!refersTo(resource.Properties.Targets, functionId)) continue
    rules.push({ name, pattern: resource.Properties.EventPattern })
  }
  return rules
}
