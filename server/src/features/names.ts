/**
 * Go to definition, references and rename for the named things of the language: blocks (defined by
 * `block NAME`, used by writing NAME as a line's head), layer labels (`conv1: conv3-64`) and network
 * names (`network vgg16`). Labels and network names are not referred to elsewhere in a file, so their
 * only reference is their declaration.
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
  if (role === 'label') return { kind: 'label', name: token.text, declaration: token, references: [] };
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
  return undefined;
}

/** The edit that renames the thing at an offset; throws a ResponseError for an invalid name. */
export function rename(a: Analysis, target: EditTarget, offset: number, newName: string): WorkspaceEdit | null {
  const n = namedAt(a, offset);
  if (!n) return null;
  const why = invalidName(a, n, newName);
  if (why) throw new ResponseError(ErrorCodes.InvalidParams, why);
  const edits: Edit[] = [n.declaration, ...n.references].map((t) => ({ span: t.span, text: newName }));
  return workspaceEdit(a, target, edits);
}
