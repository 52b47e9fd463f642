// Loads infra/template.yaml as plain data, with CloudFormation's short-form tags (!Ref, !GetAtt,
// !Sub, ...) turned into their long form, so tests and the local stack read the same definitions
// that AWS deploys.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse, type ScalarTag, type CollectionTag } from 'yaml'

export const TEMPLATE_PATH = fileURLToPath(new URL('./template.yaml', import.meta.url))

const FUNCTIONS = ['Base64', 'Cidr', 'FindInMap', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub',
  'Transform', 'And', 'Equals', 'If', 'Not', 'Or', 'Condition', 'GetAtt', 'Ref', 'ToJsonString', 'Length']

function longForm (name: string, value: unknown): Record<string, unknown> {
  if (name === 'Ref') return { Ref: value }
  if (name === 'Condition') return { Condition: value }
  // !GetAtt Resource.Attribute is short for [Resource, Attribute].
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.')
    return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] }
  }
  return { [`Fn::${name}`]: value }
}

const TAGS: Array<ScalarTag | CollectionTag> = FUNCTIONS.flatMap((name) => [
  { tag: `!${name}`, resolve: (value: string) => longForm(name, value) } as ScalarTag,
  {
    tag: `!${name}`,
    collection: 'seq',
    resolve: (seq: { toJSON: () => unknown }) => longForm(name, seq.toJSON())
  } as unknown as CollectionTag,
  {
    tag: `!${name}`,
    collection: 'map',
    resolve: (map: { toJSON: () => unknown }) => longForm(name, map.toJSON())
  } as unknown as CollectionTag
])

export interface CfnResource { Type: string; Properties?: Record<string, any>; [key: string]: unknown }
export interface CfnTemplate {
  Resources: Record<string, CfnResource>
  Parameters?: Record<string, any>
  Outputs?: Record<string, any>
  [key: string]: unknown
}

export function parseTemplate (text: string): CfnTemplate {
  return parse(text, { customTags: TAGS, strict: true, uniqueKeys: true }) as CfnTemplate
}

export function loadTemplate (path = TEMPLATE_PATH): CfnTemplate {
  return parseTemplate(readFileSync(path, 'utf8'))
}
