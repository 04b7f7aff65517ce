/**
 * Go to definition, references and rename for the named things of the language: blocks (defined by
 * `block NAME`, used by writing NAME as a line's head), labels (`skip: conv3-64`, referred to by merge
 * lines such as `add skip`, each reference reading the latest output with that label before it, as the
 * lowering resolved it in `program.references`) and network names (`network vgg16`, only declared).
 * Renaming a label renames every label and reference of that name, so every reference still resolves
 * to the same output.
 */
import { ErrorCodes, ResponseError, type Location, type Range, type WorkspaceEdit } from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
import type { Token } from '../language/ast.js';
import { matchLayer, STATEMENT_KEYWORDS } from '../language/layers.js';
import type { Edit } from '../language/types.js';
import { toRange } from './convert.js';
import { indexOf } from './locate.js';
import { workspaceEdit, type EditTarget } from './codeActions.js';

/** A named thing: what it is, its declaration and every token that names it. */
export interface Named {
  readonly kind: 'block' | 'label' | 'network';
  readonly name: string;
  readonly declaration: Token;
  readonly references: readonly Token[];
}

/** The named thing at an offset, if any. */
export function namedAt(a: Analysis, offset: number): Named | undefined {
  const ix = indexOf(a);
  const at = ix.tokenAt(offset);
  if (!at) return undefined;
  const { stmt, token, role } = at;
  const kind = ix.kindOf(stmt);
  const refs = a.program.references;
  if (role === 'label') return { kind: 'label', name: token.text, declaration: token, references: refs.filter((r) => r.target === token).map((r) => r.token) };
  if (kind === 'merge' && role === 'arg') {
    const ref = refs.find((r) => r.token === token);
    if (!ref?.target) return undefined;
    const target = ref.target;
    return { kind: 'label', name: token.text, declaration: target, references: refs.filter((r) => r.target === target).map((r) => r.token) };
  }
  if (kind === 'network' && role === 'arg' && at.arg === 0) return { kind: 'network', name: token.text, declaration: token, references: [] };
  const blockName = kind === 'call' && role === 'head' ? token.text : kind === 'block' && role === 'arg' && at.arg === 0 ? token.text : undefined;
  const block = blockName !== undefined ? a.program.blocks.get(blockName) : undefined;
  if (!block) return undefined;
  return { kind: 'block', name: block.name, declaration: block.nameToken, references: block.calls.map((c) => c.head) };
}

/** Where the thing at an offset is declared. */
export function definition(a: Analysis, uri: string, offset: number): Location | null {
  const n = namedAt(a, offset);
  return n ? { uri, range: toRange(a.lines, n.declaration.span) } : null;
}

/** Every place that names the thing at an offset. */
export function references(a: Analysis, uri: string, offset: number, includeDeclaration: boolean): Location[] {
  const n = namedAt(a, offset);
  if (!n) return [];
  const tokens = includeDeclaration ? [n.declaration, ...n.references] : n.references;
  return tokens.map((t) => ({ uri, range: toRange(a.lines, t.span) }));
}

/** The range and current name of a renameable thing at an offset, or null. */
export function prepareRename(a: Analysis, offset: number): { range: Range; placeholder: string } | null {
  const ix = indexOf(a);
  const n = namedAt(a, offset);
  if (!n) return null;
  const at = ix.tokenAt(offset)!;
  return { range: toRange(a.lines, at.token.span), placeholder: n.name };
}

const WORD = /^[A-Za-z_][A-Za-z0-9_.\-]*$/;

/** Why a new name cannot be used, or undefined when it can. */
export function invalidName(a: Analysis, n: Named, newName: string): string | undefined {
  if (!WORD.test(newName)) return `'${newName}' is not a name: start with a letter or _, then letters, digits, _, . or -`;
  if (n.kind === 'block') {
    const lower = newName.toLowerCase();
    if (matchLayer(lower) || (STATEMENT_KEYWORDS as readonly string[]).includes(lower)) return `'${newName}' is a keyword of the language`;
    if (newName !== n.name && a.program.blocks.has(newName)) return `a block named '${newName}' already exists`;
  }
  if (n.kind === 'label' && newName !== n.name && a.program.labels.has(newName)) {
    return `a label named '${newName}' already exists: the merge lines would read other outputs`;
  }
  return undefined;
}

/** The edit that renames the thing at an offset; throws a ResponseError for an invalid name. */
export function rename(a: Analysis, target: EditTarget, offset: number, newName: string): WorkspaceEdit | null {
  const n = namedAt(a, offset);
  if (!n) return null;
  const why = invalidName(a, n, newName);
  if (why) throw new ResponseError(ErrorCodes.InvalidParams, why);
  const tokens = n.kind === 'label' ? sameLabel(a, n.name) : [n.declaration, ...n.references];
  const edits: Edit[] = tokens.map((t) => ({ span: t.span, text: newName }));
  return workspaceEdit(a, target, edits);
}

/** Every label and label reference spelled `name`, in text order. */
function sameLabel(a: Analysis, name: string): Token[] {
  const out = [...(a.program.labels.get(name) ?? []), ...a.program.references.filter((r) => r.token.text === name).map((r) => r.token)];
  return out.sort((x, y) => x.span.start - y.span.start);
}
