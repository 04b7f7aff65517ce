/**
 * Semantic tokens: the layer keyword and the numbers inside a head (`conv` `3` `64` of conv3-64),
 * options, statement keywords (with `residual add`'s merge word), labels where they are written
 * (declarations) and where merge lines refer to them (`add skip`), block and network names, comments.
 */
import { SemanticTokensBuilder, type CancellationToken, type SemanticTokens, type SemanticTokensLegend } from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
import type { Span } from '../language/types.js';
import type { Statement, Token } from '../language/ast.js';
import { indexOf, type DocIndex } from './locate.js';
import { checkCancelled } from './runSafe.js';

const TYPES = ['keyword', 'function', 'number', 'parameter', 'namespace', 'class', 'variable', 'comment', 'operator'] as const;
const MODIFIERS = ['declaration'] as const;
type TokenType = (typeof TYPES)[number];

/** The legend announced in the server's capabilities. */
export const LEGEND: SemanticTokensLegend = { tokenTypes: [...TYPES], tokenModifiers: [...MODIFIERS] };

const TYPE_INDEX = new Map<TokenType, number>(TYPES.map((t, i) => [t, i]));
const DECLARATION = 1;

/** Letters (with inner hyphens, as in soft-max) and numbers of a word. */
const PIECES = /[A-Za-z_]+(?:-[A-Za-z]+)*|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+/g;

interface Piece { readonly start: number; readonly length: number; readonly type: TokenType; readonly mods: number }

/** Splits a word into its letters and numbers: `first` is the type of the leading letters. */
function pieces(t: Token, first: TokenType, rest: TokenType, out: Piece[]): void {
  PIECES.lastIndex = 0;
  let m: RegExpExecArray | null;
  let letters = 0;
  while ((m = PIECES.exec(t.text))) {
    const isNumber = /^[\d.]/.test(m[0]);
    const type: TokenType = isNumber ? 'number' : letters++ === 0 ? first : rest;
    out.push({ start: t.span.start + m.index, length: m[0].length, type, mods: 0 });
  }
}

function whole(t: Token, type: TokenType, out: Piece[], mods = 0): void {
  out.push({ start: t.span.start, length: t.span.end - t.span.start, type, mods });
}

/** The tokens of one statement, in order. */
function statementTokens(ix: DocIndex, s: Statement, out: Piece[]): void {
  if (s.label) whole(s.label, 'variable', out, DECLARATION);
  const kind = ix.kindOf(s);
  switch (kind) {
    case 'network':
      whole(s.head, 'keyword', out);
      if (s.args[0]) whole(s.args[0], 'class', out, DECLARATION);
      return;
    case 'block':
      whole(s.head, 'keyword', out);
      if (s.args[0]) whole(s.args[0], 'namespace', out, DECLARATION);
      return;
    case 'input':
    case 'repeat':
    case 'end':
      whole(s.head, 'keyword', out);
      for (const a of s.args) pieces(a, 'operator', 'operator', out);
      return;
    case 'residual':
    case 'parallel':
    case 'shortcut':
    case 'branch':
      whole(s.head, 'keyword', out);
      for (const a of s.args) whole(a, /^(add|concat|mul)$/i.test(a.text) ? 'keyword' : 'parameter', out);
      return;
    case 'merge':
      // The arguments refer to labels.
      whole(s.head, 'keyword', out);
      for (const a of s.args) whole(a, a.type === 'word' ? 'variable' : 'operator', out);
      return;
    case 'auto':
      whole(s.head, 'keyword', out);
      for (const a of s.args) whole(a, a.text.toLowerCase() === 'none' ? 'keyword' : 'function', out);
      return;
    case 'call':
      whole(s.head, 'namespace', out);
      break;
    case 'layer':
      pieces(s.head, 'function', 'operator', out);
      break;
    default:
      break;
  }
  for (const a of s.args) {
    if (a.type === 'word') pieces(a, 'parameter', 'parameter', out);
    else pieces(a, 'operator', 'operator', out);
  }
}

/** Semantic tokens of the whole document, or of the lines [fromLine, toLine]. */
export function semanticTokens(a: Analysis, lines?: { from: number; to: number }, token?: CancellationToken): SemanticTokens {
  const ix = indexOf(a);
  const stmts = lines ? ix.statementsInLines(lines.from, lines.to) : a.parsed.statements;
  const lo = lines ? a.lines.lineStart(lines.from) : 0;
  const hi = lines ? a.lines.nextLineStart(lines.to) : a.text.length;
  const comments: Span[] = a.parsed.comments.filter((c) => c.start >= lo && c.start < hi);
  const builder = new SemanticTokensBuilder();
  const out: Piece[] = [];
  let c = 0;
  const flushComments = (before: number) => {
    for (; c < comments.length && comments[c].start < before; c++) {
      out.push({ start: comments[c].start, length: comments[c].end - comments[c].start, type: 'comment', mods: 0 });
    }
  };
  for (let i = 0; i < stmts.length; i++) {
    if ((i & 511) === 0) checkCancelled(token);
    flushComments(stmts[i].span.start);
    statementTokens(ix, stmts[i], out);
  }
  flushComments(Infinity);
  // The pieces are in text order, so the line can be advanced instead of searched for each one.
  let line = out.length ? a.lines.position(out[0].start).line : 0;
  let next = a.lines.nextLineStart(line);
  for (const p of out) {
    while (p.start >= next && line + 1 < a.lines.lineCount) next = a.lines.nextLineStart(++line);
    builder.push(line, p.start - a.lines.lineStart(line), p.length, TYPE_INDEX.get(p.type)!, p.mods);
  }
  return builder.build();
}
