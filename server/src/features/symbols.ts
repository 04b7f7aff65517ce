/**
 * Document symbols (the outline): each network with its lines and their output shapes, each block
 * with its body; `repeat` bodies nest under their `repeat`.
 */
import { SymbolKind, type CancellationToken, type DocumentSymbol } from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
import { fmtInt, fmtShape } from '../analysis/summary.js';
import type { Statement } from '../language/ast.js';
import { toRange } from './convert.js';
import { hintLabel } from './inlayHints.js';
import { indexOf, type DocIndex } from './locate.js';
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
  const depths = ix.depths;
  const ends = new Map<Statement, Statement | undefined>(ix.nestings.map((n) => [n.open, n.end]));
  const out: DocumentSymbol[] = [];
  let network: DocumentSymbol | undefined;
  let count = 0;
  let truncated = 0;

  // Symbols of the statements from index i at depth d, until the depth drops; returns the next index.
  const walk = (i: number, depth: number, into: DocumentSymbol[]): number => {
    while (i < statements.length && depths[i] >= depth) {
      if ((i & 511) === 0) checkCancelled(token);
      const s = statements[i];
      if (depths[i] > depth) { i++; continue; }
      const kind = ix.kindOf(s);
      if (kind === 'end') return i + 1;
      if (depth === 0 && (kind === 'network' || kind === 'block')) return i;
      const sym = count < limit ? statementSymbol(ix, s, ends) : undefined;
      if (sym) {
        into.push(sym);
        count++;
      } else if (count >= limit && kind !== 'auto') truncated++;
      i++;
      if (kind === 'repeat' || kind === 'block') i = walk(i, depth + 1, sym?.children ?? []);
    }
    return i;
  };

  let i = 0;
  while (i < statements.length) {
    const s = statements[i];
    const kind = ix.kindOf(s);
    if (depths[i] === 0 && kind === 'block') {
      const sym = statementSymbol(ix, s, ends)!;
      out.push(sym);
      count++;
      i = walk(i + 1, 1, sym.children!);
      continue;
    }
    if (depths[i] === 0 && kind === 'end') { i++; continue; } // an `end` with nothing to close
    if (kind === 'network' || !network) {
      network = networkSymbol(a, s, ix.networkOf(s));
      out.push(network);
      count++;
      if (kind === 'network') { i++; continue; }
    }
    i = walk(i, 0, network.children!);
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

/** One line's symbol, or undefined for lines the outline leaves out (`auto`, `end`). */
function statementSymbol(ix: DocIndex, s: Statement, ends: Map<Statement, Statement | undefined>): DocumentSymbol | undefined {
  const a = ix.analysis;
  const kind = ix.kindOf(s);
  const text = [s.head.text, ...s.args.map((t) => t.text)].join(' ');
  const end = ends.get(s)?.span.end ?? s.span.end;
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
    case 'call':
      return { name: s.label ? `${s.label.text}: ${text}` : text, detail: hintLabel(ix, s, SHAPES_ONLY) ?? '', kind: SymbolKind.Namespace, range, selectionRange };
    case 'layer':
    case 'unknown':
      return { name: s.label ? `${s.label.text}: ${text}` : text, detail: hintLabel(ix, s, SHAPES_ONLY) ?? '', kind: SymbolKind.Function, range, selectionRange };
    default:
      return undefined;
  }
}
