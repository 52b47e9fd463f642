// The EventBridge rules of infra/template.yaml and where they send events: AWS::Events::Rule
// resources whose targets are queues of the template (by logical id), and SAM EventBridgeRule /
// CloudWatchEvent function events (a function target). The local bus routes by these, so the
// template is the truth.
import { loadTemplate, type CfnTemplate } from '../infra/template.js'

export interface LocalRule {
  name: string
  pattern: Record<string, unknown>
  /** The queue (logical id) or function (logical id) each target names. */
  targets: Array<{ queue: string } | { function: string }>
}

const getAttOf = (arn: unknown): string | undefined => {
  const att = (arn as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt']
  return Array.isArray(att) && typeof att[0] === 'string' ? att[0] : undefined
}

export function templateRules (template: CfnTemplate = loadTemplate()): LocalRule[] {
  const rules: LocalRule[] = []
  for (const [name, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Events::Rule' || resource.Properties?.EventPattern === undefined) continue
    const targets: LocalRule['targets'] = []
    for (const target of (resource.Properties.Targets ?? []) as Array<{ Arn?: unknown }>) {
      const id = getAttOf(target.Arn)
      const type = id === undefined ? undefined : template.Resources[id]?.Type
      if (type === 'AWS::SQS::Queue') targets.push({ queue: id as string })
      else if (type === 'AWS::Serverless::Function' || type === 'AWS::Lambda::Function') {
        targets.push({
          function: id as string
        })
      }
    }
    rules.push({ name, pattern: resource.Properties.EventPattern as Record<string, unknown>, targets })
  }
  for (const [fnId, fn] of Object.entries(template.Resources)) {
    if (fn.Type !== 'AWS::Serverless::Function') continue
    for (const [name, event] of Object.entries(
      (fn.Properties?.Events ?? {}) as Record<string, { Type: string; Properties?: Record<string, any> }>
    )) {
      if ((event.Type === 'EventBridgeRule' || event.Type === 'CloudWatchEvent') &&
        event.Properties?.Pattern !== undefined) {
        rules.push({ name: `${fnId}.${name}`, pattern: event.Properties.Pattern, targets: [{ function: fnId }] })
      }
    }
  }
  return rules
}
