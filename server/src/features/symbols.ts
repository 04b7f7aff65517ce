/**
 * Document symbols (the outline): each network with its lines and their output shapes, each block
 * with its body; the bodies of `repeat`, `residual` and `parallel` nest under their opener, and a
 * `shortcut` or `branch` nests its lines under it (with the shape that path gives). The nesting is
 * the lowering's (`program.statements`, `program.constructs`).
 */
import { SymbolKind, type CancellationToken, type DocumentSymbol } from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
import { fmtInt, fmtShape } from '../analysis/summary.js';
import type { Statement } from '../language/ast.js';
import { toRange } from './convert.js';
import { hintLabel } from './inlayHints.js';
import { indexOf, type DocIndex } from './locate.js';
import type { Construct } from '../language/program.js';
import { checkCancelled } from './runSafe.js';

const SHAPES_ONLY = { shapes: true, params: false } as const;

/**
 * At most this many symbols (VS Code's JSON server caps its outline at 5,000 items too): an outline
 * of a 100,000-line file would be tens of MB of JSON and seconds of work on every edit.
 */
export const SYMBOL_LIMIT = 5000;

/** The outline of a document; `truncated` tells how many line symbols were left out by the limit. */
export function documentSymbols(a: Analysis, token?: CancellationToken, limit = SYMBOL_LIMIT): { symbols: DocumentSymbol[]; truncated: number } {
  const ix = indexOf(a);
  const statements = a.parsed.statements;
  const { statements: info, constructs } = a.program;
  const out: DocumentSymbol[] = [];
  let network: DocumentSymbol | undefined;
  let count = 0;
  let truncated = 0;
  /** The construct a statement opens, if any. */
  const opened = (i: number) => {
    const c = info[i].construct === undefined ? undefined : constructs[info[i].construct!];
    return c && c.open === statements[i] ? c : undefined;
  };
  const isSection = (i: number) => {
    const c = info[i].construct === undefined ? undefined : constructs[info[i].construct!];
    return !!c && c.sections.includes(statements[i]);
  };
  /** Adds a symbol while under the limit; counts what the limit leaves out. */
  const keep = (make: () => DocumentSymbol | undefined, into: DocumentSymbol[], kind: string): DocumentSymbol | undefined => {
    if (count >= limit) {
      if (kind !== 'auto' && kind !== 'end') truncated++;
      return undefined;
    }
    const sym = make();
    if (sym) {
      into.push(sym);
      count++;
    }
    return sym;
  };

  // Symbols of the statements from index i at depth d, until a statement that belongs to an enclosing
  // construct (`end`, a section line) or, at the top, the next network or block; returns that index.
  const walk = (i: number, depth: number, into: DocumentSymbol[]): number => {
    while (i < statements.length && info[i].depth >= depth) {
      if ((i & 511) === 0) checkCancelled(token);
      const s = statements[i];
      const kind = info[i].kind;
      if (info[i].depth > depth) { i++; continue; }
      if (kind === 'end' || isSection(i)) return i;
      if (depth === 0 && (kind === 'network' || kind === 'block')) return i;
      const c = opened(i);
      const kept = keep(() => statementSymbol(ix, s), into, kind);
      i++;
      if (c) i = walkConstruct(i, c, kept, depth);
    }
    return i;
  };
  // The body of a construct, then each section with its lines, then its `end`.
  const walkConstruct = (i: number, c: Construct, sym: DocumentSymbol | undefined, depth: number): number => {
    i = walk(i, depth + 1, sym?.children ?? []);
    while (i < statements.length && c.sections.includes(statements[i])) {
      const at = statements[i];
      const sec = sym || count >= limit ? keep(() => sectionSymbol(ix, c, at), sym?.children ?? [], 'section') : undefined;
      i = walk(i + 1, depth + 1, sec?.children ?? []);
    }
    if (i < statements.length && statements[i] === c.end) i++;
    return i;
  };

  let i = 0;
  while (i < statements.length) {
    const s = statements[i];
    const kind = info[i].kind;
    if (info[i].depth === 0 && kind === 'block' && opened(i)) {
      const sym = statementSymbol(ix, s)!;
      out.push(sym);
      count++;
      i = walkConstruct(i + 1, opened(i)!, sym, 0);
      continue;
    }
    if (info[i].depth === 0 && (kind === 'end' || isSection(i))) { i++; continue; } // an `end` with nothing to close
    if (kind === 'network' || !network) {
      network = networkSymbol(a, s, ix.networkOf(s));
      out.push(network);
      count++;
      if (kind === 'network') { i++; continue; }
    }
    const next = walk(i, 0, network.children!);
    i = next > i ? next : i + 1;
  }
  return { symbols: out, truncated };
}

/** A network's symbol; `first` is its `network` line or, for a file's implicit network, its first line. */
function networkSymbol(a: Analysis, first: Statement, net: ReturnType<DocIndex['networkOf']>): DocumentSymbol {
  const span = net?.decl.span ?? first.span;
  const nameTok = net?.decl.header?.args[0] ?? first.head;
  const t = net?.totals;
  const last = net?.layers[net.layers.length - 1];
  const detail = net ? `${fmtShape(net.input)} → ${fmtShape(last?.out)} · ${fmtInt(t!.params)} params` : '';
  return {
    name: net?.name ?? first.head.text, detail, kind: SymbolKind.Module,
    range: toRange(a.lines, { start: Math.min(span.start, first.span.start), end: Math.max(span.end, nameTok.span.end) }),
    selectionRange: toRange(a.lines, nameTok.span), children: [],
  };
}

/** A `shortcut` or `branch` line: the path it starts, with the shape it gives the merge. */
function sectionSymbol(ix: DocIndex, c: Construct, s: Statement): DocumentSymbol {
  const a = ix.analysis;
  const k = c.sections.indexOf(s);
  const next = c.sections[k + 1] ?? c.end;
  // The section runs to the end of the line before the next section or `end`.
  const nextLine = next ? a.lines.position(next.span.start).line : -1;
  let stop = nextLine > 0 ? a.lines.lineStart(nextLine) - 1 : s.span.end;
  if (a.text[stop - 1] === '\r') stop--;
  const name = c.kind === 'residual' ? 'shortcut' : `branch ${k + 1}`;
  const shapes = [...new Set(ix.mergesOf(c).map((m) => fmtShape(m.layer.ins?.[k])))];
  const detail = shapes.length && !shapes.includes('?') ? `→ ${shapes.join(' | ')}` : '';
  return {
    name, detail, kind: SymbolKind.Struct, range: toRange(a.lines, { start: s.span.start, end: Math.max(s.span.end, stop) }),
    selectionRange: toRange(a.lines, s.head.span), children: [],
  };
}

/** One line's symbol, or undefined for lines the outline leaves out (`auto`, `end`). */
function statementSymbol(ix: DocIndex, s: Statement): DocumentSymbol | undefined {
  const a = ix.analysis;
  const kind = ix.kindOf(s);
  const text = [s.head.text, ...s.args.map((t) => t.text)].join(' ');
  const c = ix.constructOf(s);
  const end = (c && c.open === s ? c.end?.span.end : undefined) ?? s.span.end;
  const range = toRange(a.lines, { start: s.span.start, end });
  const selectionRange = toRange(a.lines, s.label?.span ?? s.head.span);
  switch (kind) {
    case 'input':
      return { name: text, kind: SymbolKind.Variable, range, selectionRange };
    case 'block': {
      const nameTok = s.args[0];
      const calls = nameTok ? a.program.blocks.get(nameTok.text)?.calls.length ?? 0 : 0;
      return {
        name: nameTok?.text ?? 'block', detail: `block · used ${calls}×`, kind: SymbolKind.Namespace, range,
        selectionRange: toRange(a.lines, (nameTok ?? s.head).span), children: [],
      };
    }
    case 'repeat':
      return { name: text, detail: hintLabel(ix, s, SHAPES_ONLY) ?? '', kind: SymbolKind.Array, range, selectionRange, children: [] };
    case 'residual':
    case 'parallel': {
      // The merged shape is the `end`'s (or the opener's, when `end` is missing).
      const closing = c?.open === s ? c.end ?? s : s;
      return { name: s.label ? `${s.label.text}: ${text}` : text, detail: hintLabel(ix, closing, SHAPES_ONLY) ?? '', kind: SymbolKind.Struct, range, selectionRange, children: [] };
    }
    case 'merge':
      return { name: s.label ? `${s.label.text}: ${text}` : text, detail: hintLabel(ix, s, SHAPES_ONLY) ?? '', kind: SymbolKind.Operator, range, selectionRange };
    case 'call':
      return { name: s.label ? `${s.label.text}: ${text}` : text, detail: hintLabel(ix, s, SHAPES_ONLY) ?? '', kind: SymbolKind.Namespace, range, selectionRange };
    case 'layer':
    case 'unknown':
      return { name: s.label ? `${s.label.text}: ${text}` : text, detail: hintLabel(ix, s, SHAPES_ONLY) ?? '', kind: SymbolKind.Function, range, selectionRange };
    default:
      return undefined;
  }
}
