/**
 * Formatting: single spaces between the words of a statement, no trailing whitespace, lower-case
 * keywords and options (a layer keyword written in capitals everywhere, like the paper's `FC-4096`
 * or `LRN`, keeps its spelling), construct bodies (`block`, `repeat`, `residual`, `parallel`) indented one
 * unit deeper than their opener and `shortcut`/`branch` sections likewise, the unit following the
 * editor's `insertSpaces`/`tabSize`. Depths are the lowering's (`program.statements`). Labels, names and
 * comments are kept; a trailing comment keeps its column when the code still fits before it. A line
 * the parser could not read is only re-indented and trimmed, so no character of it is lost.
 */
import type { CancellationToken, TextEdit } from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
import type { Statement, Token } from '../language/ast.js';
import { matchLayer, parseOption } from '../language/layers.js';
import { indexOf, type DocIndex } from './locate.js';
import { checkCancelled } from './runSafe.js';

const squash = (s: string) => s.toLowerCase().replace(/\s+/g, '');

/** One line's new text. */
export interface LineChange {
  readonly line: number;
  readonly text: string;
}

/** Layer keywords the author wrote in capitals every time (kept as written). */
function capitalKeywords(a: Analysis, ix: DocIndex): Set<string> {
  const seen = new Map<string, boolean>();
  for (const s of a.parsed.statements) {
    if (ix.kindOf(s) !== 'layer') continue;
    const kw = ix.keywordOf(s)!.keyword;
    const letters = s.head.text.replace(/[^A-Za-z]/g, '');
    const upper = letters === letters.toUpperCase();
    seen.set(kw, (seen.get(kw) ?? true) && upper);
  }
  return new Set([...seen].filter(([, upper]) => upper).map(([kw]) => kw));
}

/** A statement's words, normalised. */
function formatStatement(ix: DocIndex, s: Statement, capitals: Set<string>): string {
  const kind = ix.kindOf(s);
  const lowerIfOption = (t: Token) => (t.type === 'dims' ? t.text.replace(/X/g, 'x') : t.type === 'word' && parseOption(t.text.toLowerCase()) ? t.text.toLowerCase() : t.text);
  let head = s.head.text;
  let args: string[];
  switch (kind) {
    case 'network':
    case 'block':
      head = head.toLowerCase();
      args = s.args.map((t) => t.text);
      break;
    case 'input':
    case 'repeat':
    case 'end':
    case 'shortcut':
    case 'branch':
      head = head.toLowerCase();
      args = s.args.map(lowerIfOption);
      break;
    case 'residual':
    case 'parallel':
      head = head.toLowerCase();
      args = s.args.map((t) => (/^(add|concat|mul)$/i.test(t.text) ? t.text.toLowerCase() : t.text));
      break;
    case 'merge':
      // The arguments are labels, kept as written.
      head = head.toLowerCase();
      args = s.args.map((t) => t.text);
      break;
    case 'auto':
      head = head.toLowerCase();
      args = s.args.map((t) => (matchLayer(t.text.toLowerCase()) || t.text.toLowerCase() === 'none' ? t.text.toLowerCase() : t.text));
      break;
    case 'layer':
      if (!capitals.has(ix.keywordOf(s)!.keyword)) head = head.toLowerCase();
      args = s.args.map(lowerIfOption);
      break;
    case 'call':
      args = s.args.map(lowerIfOption);
      break;
    default:
      args = s.args.map((t) => t.text);
  }
  return [s.label ? `${s.label.text}: ${head}` : head, ...args].join(' ');
}

/** The lines of [fromLine, toLine] whose text changes when formatted. */
export function formatLines(a: Analysis, fromLine: number, toLine: number, indentUnit = '  ', token?: CancellationToken): LineChange[] {
  const ix = indexOf(a);
  const { lines, text } = a;
  const statements = a.parsed.statements;
  const { statements: info, constructs } = a.program;
  const lineOf = (offset: number) => lines.position(offset).line;
  const stmtOnLine = new Map<number, number>();
  statements.forEach((s, i) => stmtOnLine.set(lineOf(s.span.start), i));
  const commentOnLine = new Map<number, { start: number; end: number }>();
  for (const c of a.parsed.comments) commentOnLine.set(lineOf(c.start), c);
  const broken = new Set<number>();
  for (const e of a.parsed.errors) {
    for (let l = lineOf(e.span.start); l <= lineOf(Math.max(e.span.start, e.span.end - 1)); l++) broken.add(l);
  }
  const capitals = capitalKeywords(a, ix);
  const out: LineChange[] = [];
  // Depth for lines without a statement: that of the line after the previous statement.
  let depth = 0;
  const last = Math.min(toLine, lines.lineCount - 1);
  for (let l = 0; l <= last; l++) {
    if ((l & 1023) === 0) checkCancelled(token);
    const i = stmtOnLine.get(l);
    let lineDepth = depth;
    if (i !== undefined) {
      const s = statements[i];
      lineDepth = info[i].depth;
      // The lines after an opener or a section line (`shortcut`, `branch`) of a construct are one deeper.
      const c = info[i].construct === undefined ? undefined : constructs[info[i].construct!];
      depth = c && (c.open === s || c.sections.includes(s)) ? lineDepth + 1 : lineDepth;
    }
    if (l < fromLine) continue;
    const start = lines.lineStart(l);
    const end = l + 1 < lines.lineCount ? lines.lineStart(l + 1) : text.length;
    const original = text.slice(start, end).replace(/\r?\n$|\r$/, '');
    const indent = indentUnit.repeat(lineDepth);
    let formatted: string;
    const comment = commentOnLine.get(l);
    const code = comment ? text.slice(start, comment.start) : original;
    if (!original.trim()) formatted = '';
    else if (broken.has(l) || (i === undefined && code.trim())) formatted = indent + original.trim();
    else if (i === undefined) formatted = indent + original.trim();
    else {
      const words = indent + formatStatement(ix, statements[i], capitals);
      if (comment) {
        const column = comment.start - start;
        const body = text.slice(comment.start, comment.end).trimEnd();
        formatted = column > words.length ? words.padEnd(column) + body : `${words} ${body}`;
      } else formatted = words;
      // Whatever the parser made of the line, formatting only changes spacing and case.
      if (squash(formatted) !== squash(original)) formatted = indent + original.trim();
    }
    if (formatted !== original) out.push({ line: l, text: formatted });
  }
  return out;
}

/** One level of indentation as the editor asks for it: a tab, or `tabSize` spaces (2 when not said). */
export function indentUnit(options: { insertSpaces?: boolean; tabSize?: number }): string {
  if (options.insertSpaces === false) return '\t';
  const n = Number.isInteger(options.tabSize) ? Math.min(16, Math.max(1, options.tabSize!)) : 2;
  return ' '.repeat(n);
}

/** The edits that format the lines [fromLine, toLine] (the whole document by default). */
export function formatting(a: Analysis, options: { insertSpaces?: boolean; tabSize?: number }, range?: { from: number; to: number }, token?: CancellationToken): TextEdit[] {
  const unit = indentUnit(options);
  const changes = formatLines(a, range?.from ?? 0, range?.to ?? a.lines.lineCount - 1, unit, token);
  return changes.map((c) => {
    const start = a.lines.lineStart(c.line);
    const original = a.text.slice(start, c.line + 1 < a.lines.lineCount ? a.lines.lineStart(c.line + 1) : a.text.length).replace(/\r?\n$|\r$/, '');
    return {
      range: { start: { line: c.line, character: 0 }, end: { line: c.line, character: original.length } },
      newText: c.text,
    };
  });
}
