// Wraps lines over the linter's limit (eslint.config.js: 120) the way a person would, so a tree
// that gains long lines (a merge) can be brought back under it mechanically: comments are
// reflowed; code is broken at the outermost bracketed list (arguments, parameters, object and
// array literals, imports) that holds the overflow, one element a line, else after an operator,
// else a string literal is split in two. Run `npm run lint:fix` after it (indentation), then
// `npm run lint` lists what it left (rare: long template literals, long names).
// Usage: node --import tsx scripts/wrap-long-lines.ts [file ...]   (default: every tracked .ts file)
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import ts from 'typescript'

const MAX = 120
const width = (line: string): number => [...line].length
const indentOf = (line: string): string => /^\s*/.exec(line)?.[0] ?? ''
const skippable = (line: string): boolean => /[a-z]+:\/\/\S/.test(line)

/** Splits `text` at the last space that leaves the head within `room` characters. */
function splitAt (text: string, room: number): [string, string] | undefined {
  const cut = text.lastIndexOf(' ', room)
  if (cut <= 0) return undefined
  return [text.slice(0, cut).trimEnd(), text.slice(cut + 1).trimStart()]
}

function wrapComment (lines: string[], i: number): boolean {
  const line = lines[i]!
  const slashes = /^(\s*\/\/+ ?)(.*)$/.exec(line)
  const star = /^(\s*\* ?)(.*)$/.exec(line)
  const doc = /^(\s*)\/\*\* (.*) \*\/$/.exec(line)
  if (doc !== null) {
    const prefix = `${doc[1]!} * `
    lines.splice(i, 1, `${doc[1]!}/**`, `${prefix}${doc[2]!}`, `${doc[1]!} */`)
    return true
  }
  const m = slashes ?? star
  if (m === null) return false
  const prefix = m[1]!
  const parts = splitAt(m[2]!, MAX - width(prefix))
  if (parts === undefined) return false
  const next = lines[i + 1]
  const nextBody = next?.startsWith(prefix) === true ? next.slice(prefix.length) : undefined
  // Merges the rest into the next line of the same comment unless that line starts a list item.
  if (nextBody !== undefined && nextBody.trim() !== '' && !/^\s|^[-*•]|^\d+\.|^@/.test(nextBody) &&
    !/[.:]$/.test(parts[0])) {
    lines.splice(i, 2, `${prefix}${parts[0]}`, `${prefix}${parts[1]} ${nextBody}`)
  } else {
    lines.splice(i, 1, `${prefix}${parts[0]}`, `${prefix}${parts[1]}`)
  }
  return true
}

interface ListSite { open: number; close: number; elements: ts.Node[]; node: ts.Node }

function tokenAfter (node: ts.Node, kind: ts.SyntaxKind, from: number, sf: ts.SourceFile): number | undefined {
  for (const child of node.getChildren(sf)) {
    if (child.kind === kind && child.getStart(sf) >= from) return child.getStart(sf)
  }
  return undefined
}

function listSite (node: ts.Node, sf: ts.SourceFile): ListSite | undefined {
  const end = node.getEnd()
  if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
    const args = node.arguments
    if (args === undefined) return undefined
    const open = tokenAfter(node, ts.SyntaxKind.OpenParenToken, node.expression.getEnd(), sf)
    return open === undefined ? undefined : { open, close: end - 1, elements: [...args], node }
  }
  if (ts.isObjectLiteralExpression(node) || ts.isObjectBindingPattern(node) || ts.isNamedImports(node) ||
    ts.isNamedExports(node)) {
    const elements = ts.isObjectLiteralExpression(node) ? [...node.properties] : [...node.elements]
    return { open: node.getStart(sf), close: end - 1, elements, node }
  }
  if (ts.isArrayLiteralExpression(node) || ts.isArrayBindingPattern(node)) {
    return { open: node.getStart(sf), close: end - 1, elements: [...node.elements], node }
  }
  if (ts.isTypeLiteralNode(node)) return { open: node.getStart(sf), close: end - 1, elements: [...node.members], node }
  if (ts.isInterfaceDeclaration(node) && node.members.length > 0) {
    const open = tokenAfter(node, ts.SyntaxKind.OpenBraceToken, node.name.getEnd(), sf)
    return open === undefined ? undefined : { open, close: end - 1, elements: [...node.members], node }
  }
  if (ts.isFunctionLike(node) && 'parameters' in node && node.parameters.length > 0) {
    const first = node.parameters[0]!
    const last = node.parameters[node.parameters.length - 1]!
    const open = first.getFullStart() - 1
    const close = tokenAfter(node, ts.SyntaxKind.CloseParenToken, last.getEnd(), sf)
    if (close === undefined || sf.text[open] !== '(') return undefined
    return { open, close, elements: [...node.parameters], node }
  }
  return undefined
}

const hugs = (node: ts.Node): boolean => ts.isObjectLiteralExpression(node) || ts.isArrayLiteralExpression(node) ||
  ts.isArrowFunction(node) || ts.isFunctionExpression(node)

function wrapCode (text: string, sf: ts.SourceFile, lineStart: number, lineEnd: number): string | undefined {
  const line = text.slice(lineStart, lineEnd)
  const indent = indentOf(line)
  const overflow = lineStart + MAX
  const sites: ListSite[] = []
  const allSites: ListSite[] = []
  const breaks: Array<{ at: number; node: ts.Node }> = []
  const strings: ts.StringLiteral[] = []
  const templates: ts.TemplateLiteral[] = []
  const ternaries: ts.ConditionalExpression[] = []
  const arrows: number[] = []
  let blockable: ts.IfStatement | undefined
  const visit = (node: ts.Node): void => {
    if (node.getEnd() < lineStart || node.getStart(sf) > lineEnd) return
    if (ts.isIfStatement(node) && node.getStart(sf) === lineStart + indent.length && !ts.isBlock(node.thenStatement) &&
      node.elseStatement === undefined && node.getEnd() <= lineEnd) blockable = node
    if (ts.isArrowFunction(node) && !ts.isBlock(node.body) && node.equalsGreaterThanToken.getEnd() < overflow &&
      node.equalsGreaterThanToken.getStart(sf) >= lineStart + indent.length && node.body.getEnd() <= lineEnd &&
      node.body.getEnd() > overflow) arrows.push(node.equalsGreaterThanToken.getEnd())
    const site = listSite(node, sf)
    if (site !== undefined && site.open >= lineStart && site.close < lineEnd && site.elements.length > 0) {
      allSites.push(site)
      if (site.open < overflow && site.close > overflow - 1) sites.push(site)
    }
    if (ts.isBinaryExpression(node) && [ts.SyntaxKind.PlusToken, ts.SyntaxKind.AmpersandAmpersandToken,
      ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(node.operatorToken.kind)) {
      const at = node.operatorToken.getEnd()
      const fits = at > lineStart + indent.length + 10 && at < overflow
      if (fits && node.getStart(sf) >= lineStart) breaks.push({ at, node })
    }
    if (ts.isStringLiteral(node) && node.getStart(sf) >= lineStart && node.getEnd() <= lineEnd &&
      node.getStart(sf) < overflow - 20 && node.getEnd() - node.getStart(sf) > 30 &&
      !ts.isImportDeclaration(node.parent) &&
      !ts.isLiteralTypeNode(node.parent) && !(ts.isPropertyAssignment(node.parent) && node.parent.name === node)) {
      strings.push(node)
    }
    if (ts.isConditionalExpression(node) && node.getStart(sf) >= lineStart && node.getEnd() <= lineEnd &&
      node.questionToken.getStart(sf) < overflow) ternaries.push(node)
    if ((ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node)) && node.getStart(sf) >= lineStart &&
      node.getEnd() <= lineEnd && node.getStart(sf) < overflow - 20) templates.push(node)
    ts.forEachChild(node, visit)
  }
  visit(sf)
  if (blockable !== undefined) {
    const then = blockable.thenStatement
    const head = text.slice(lineStart, then.getStart(sf)).trimEnd()
    const statement = text.slice(then.getStart(sf), then.getEnd())
    return `${head} {\n${indent}  ${statement}\n${indent}}${text.slice(then.getEnd(), lineEnd)}`
  }
  sites.sort((a, b) => a.open - b.open)
  const arrowBreak = (): string | undefined => {
    if (arrows.length === 0) return undefined
    const at = Math.min(...arrows)
    return `${text.slice(lineStart, at)}\n${indent}  ${text.slice(at, lineEnd).trimStart()}`
  }
  for (const site of sites) {
    if (site.elements.length === 1 && hugs(site.elements[0]!) &&
      sites.some((s) => s.node === site.elements[0] || s.node.parent === site.elements[0])) continue
    const only = site.elements.length === 1 ? site.elements[0]! : undefined
    if (only !== undefined && (ts.isArrowFunction(only) || ts.isFunctionExpression(only))) {
      const byArrow = arrowBreak()
      if (byArrow !== undefined) return byArrow
    }
    return breakList(site)
  }
  function breakList (site: ListSite): string {
    const inner = `${indent}  `
    const elements = site.elements.map((e, i) => {
      const to = i < site.elements.length - 1 ? site.elements[i + 1]!.getFullStart() : site.close
      return text.slice(e.getFullStart(), to).trim().replace(/[,;]$/, '').trim()
    })
    const head = text.slice(lineStart, site.open + 1)
    const tail = text.slice(site.close, lineEnd)
    // Members of a type literal take no delimiter on their own lines; everything else a comma.
    const members = ts.isTypeLiteralNode(site.node) || ts.isInterfaceDeclaration(site.node)
    const body = elements.map((e) => `${inner}${e}`).join(members ? '\n' : ',\n')
    return `${head}\n${body}\n${indent}${tail}`
  }
  const byArrow = arrowBreak()
  if (byArrow !== undefined) return byArrow
  if (ternaries.length > 0) {
    const c = ternaries.reduce((a, b) => (b.getStart(sf) < a.getStart(sf) ? b : a))
    const q = c.questionToken.getStart(sf)
    const colon = c.colonToken.getStart(sf)
    return `${text.slice(lineStart, q).trimEnd()}\n${indent}  ${text.slice(q, colon).trim()}\n${indent}  ` +
      text.slice(colon, lineEnd).trim()
  }
  // A list wholly before the overflow still shortens the line when what follows it is short.
  const before = allSites.filter((s) => s.elements.length > 1 && lineEnd - s.close < MAX - indent.length - 10)
  if (before.length > 0) {
    const site = before.reduce((a, b) => (b.close - b.open > a.close - a.open ? b : a))
    return breakList(site)
  }
  for (const tpl of templates) {
    // The literal text between substitutions, where a cut leaves both halves valid templates.
    const segments: Array<[number, number]> = ts.isNoSubstitutionTemplateLiteral(tpl)
      ? [[tpl.getStart(sf) + 1, tpl.getEnd() - 1]]
      : [[tpl.head.getStart(sf) + 1, tpl.head.getEnd() - 2],
          ...tpl.templateSpans.map((sp): [number, number] => [sp.literal.getStart(sf) + 1, sp.literal.getEnd() - 1])]
    let cut = -1
    for (const [from, to] of segments) {
      for (let p = Math.min(to - 1, overflow - 5); p > from; p--) {
        if (text[p] === ' ' && text[p - 1] !== '\\' && p > cut) { cut = p; break }
      }
    }
    if (cut <= tpl.getStart(sf) + 10) continue
    return `${text.slice(lineStart, cut + 1)}\` +\n${indent}  \`${text.slice(cut + 1, lineEnd)}`
  }
  if (breaks.length > 0) {
    const last = breaks.reduce((a, b) => (b.at > a.at ? b : a))
    return `${text.slice(lineStart, last.at)}\n${indent}  ${text.slice(last.at, lineEnd).trimStart()}`
  }
  for (const s of strings) {
    const quote = text[s.getStart(sf)]!
    const inner = text.slice(s.getStart(sf) + 1, s.getEnd() - 1)
    const room = overflow - s.getStart(sf) - 5
    const parts = splitAt(inner, room)
    if (parts === undefined || parts[1] === '') continue
    const cut = inner.lastIndexOf(' ', room)
    const a = inner.slice(0, cut + 1)
    const b = inner.slice(cut + 1)
    return `${text.slice(lineStart, s.getStart(sf))}${quote}${a}${quote} +\n${indent}  ${quote}${b}${quote}` +
      text.slice(s.getEnd(), lineEnd)
  }
  // A line of a list that already spans lines: break after the last comma that fits.
  // Commas inside brackets the line also closes do not count (a nested call's arguments).
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, line)
  const opens = new Set([ts.SyntaxKind.OpenParenToken, ts.SyntaxKind.OpenBracketToken, ts.SyntaxKind.OpenBraceToken])
  const closes = new Set([
    ts.SyntaxKind.CloseParenToken,
    ts.SyntaxKind.CloseBracketToken,
    ts.SyntaxKind.CloseBraceToken
  ])
  const commas: Array<{ end: number; depth: number }> = []
  let depth = 0
  let lowest = 0
  for (let k = scanner.scan(); k !== ts.SyntaxKind.EndOfFileToken; k = scanner.scan()) {
    if (opens.has(k)) depth++
    if (closes.has(k)) depth--
    if (k === ts.SyntaxKind.CommaToken && !insideLiteral(sf, lineStart + scanner.getTokenStart())) {
      commas.push({ end: scanner.getTokenEnd(), depth })
    }
    if (k === ts.SyntaxKind.NoSubstitutionTemplateLiteral || k === ts.SyntaxKind.TemplateHead) break
  }
  lowest = depth
  const comma = Math.max(-1, ...commas.filter((c) => c.end < MAX && c.depth <= Math.max(0, lowest)).map((c) => c.end))
  if (comma > indent.length + 10 && line.slice(comma).trim() !== '') {
    return `${line.slice(0, comma)}\n${indent}${line.slice(comma).trimStart()}`
  }
  return undefined
}

/** Whether `pos` is inside a string, template or regular expression (the line scanner cannot tell). */
function insideLiteral (sf: ts.SourceFile, pos: number): boolean {
  let inside = false
  const visit = (node: ts.Node): void => {
    if (inside || pos < node.getFullStart() || pos >= node.getEnd()) return
    if (ts.isStringLiteralLike(node) || ts.isRegularExpressionLiteral(node) || ts.isTemplateLiteralToken(node) ||
      ts.isTemplateExpression(node)) {
      inside = pos >= node.getStart(sf)
      if (inside) return
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return inside
}

/** Moves a trailing `// comment` of a long code line onto its own line above. */
function liftTrailingComment (text: string, sf: ts.SourceFile, lineStart: number, lineEnd: number): string | undefined {
  const line = text.slice(lineStart, lineEnd)
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, line)
  let comment: number | undefined
  let sawCode = false
  for (let k = scanner.scan(); k !== ts.SyntaxKind.EndOfFileToken; k = scanner.scan()) {
    if (k === ts.SyntaxKind.SingleLineCommentTrivia && sawCode) comment = scanner.getTokenStart()
    else if (k !== ts.SyntaxKind.WhitespaceTrivia) sawCode = true
  }
  if (comment === undefined || insideLiteral(sf, lineStart + comment)) return undefined
  const indent = indentOf(line)
  return `${indent}${line.slice(comment).trim()}\n${line.slice(0, comment).trimEnd()}`
}

function wrapFile (path: string): number {
  let text = readFileSync(path, 'utf8')
  let changes = 0
  const stuck = new Set<number>()
  for (let guard = 0; guard < 5000; guard++) {
    const lines = text.split('\n')
    const i = lines.findIndex((l, n) => width(l) > MAX && !skippable(l) && !stuck.has(n))
    if (i === -1) break
    const line = lines[i]!
    if (/^\s*(\/\/|\*|\/\*\*)/.test(line)) {
      if (wrapComment(lines, i)) { text = lines.join('\n'); changes++ } else stuck.add(i)
      continue
    }
    const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
    const lineStart = lines.slice(0, i).reduce((n, l) => n + l.length + 1, 0)
    const lineEnd = lineStart + line.length
    const replaced = liftTrailingComment(text, sf, lineStart, lineEnd) ?? wrapCode(text, sf, lineStart, lineEnd)
    if (replaced === undefined) {
      stuck.add(i)
      continue
    }
    // A line's number shifts once lines are inserted above it: forget lines found stuck below.
    const added = replaced.split('\n').length - 1
    for (const n of [...stuck]) if (n > i) { stuck.delete(n); stuck.add(n + added) }
    text = text.slice(0, lineStart) + replaced + text.slice(lineEnd)
    changes++
  }
  if (changes > 0) writeFileSync(path, text)
  return changes
}

const files = process.argv.length > 2
  ? process.argv.slice(2)
  : execFileSync('git', ['ls-files', '*.ts'], { encoding: 'utf8' }).split('\n')
    .filter((f) => f !== '' && f !== 'clients/typescript/src/schema.ts')
let total = 0
for (const f of files) total += wrapFile(f)
console.log(`${total} lines wrapped in ${files.length} files`)
