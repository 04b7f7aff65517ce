/**
 * Finding things in an analysis by position: the statement and token under the cursor, the layers a
 * line produced, the network a position belongs to, what a statement is and where it is nested (read
 * from the lowering's source map, `program.statements` and `program.constructs`, never re-derived from
 * the text). Built once per analysis (so once per document version) and shared by every feature.
 */
import { networkAtOffset, type Analysis, type LayerResult, type NetworkResult } from '../analysis/analyze.js';
import type { Statement, Token } from '../language/ast.js';
import { matchLayer, type LayerKeyword } from '../language/layers.js';
import { isMerge } from '../language/kinds.js';
import type { Construct, StatementInfo, StatementKind } from '../language/program.js';

export type { StatementKind };

/** A layer with the network it belongs to. */
export interface LayerRef {
  readonly net: NetworkResult;
  readonly layer: LayerResult;
}

/** The token under a position and its role in its statement. */
export interface TokenAt {
  readonly stmt: Statement;
  readonly token: Token;
  readonly role: 'label' | 'head' | 'arg';
  /** Index among the statement's args when role is 'arg'. */
  readonly arg: number;
}

/** The position index of one analysis. */
export interface DocIndex {
  readonly analysis: Analysis;
  /** Every layer a statement produced: its own (with copies), the `auto` layers after them, or all a call or `repeat` expanded. */
  layersOf(stmt: Statement): readonly LayerRef[];
  /** The statement that contains an offset (its end counts), if any. */
  statementAt(offset: number): Statement | undefined;
  /** The statements that start on a 0-based line range [from, to]. */
  statementsInLines(from: number, to: number): readonly Statement[];
  /** The token at an offset (a cursor just after a word is on that word). */
  tokenAt(offset: number): TokenAt | undefined;
  /** The network an offset belongs to: the last one starting at or before it, else the first. */
  networkAt(offset: number): NetworkResult | undefined;
  /** The network whose own body holds a statement (not a block body's statement). */
  networkOf(stmt: Statement): NetworkResult | undefined;
  /** How the lowering read a statement (`program.statements`). */
  kindOf(stmt: Statement): StatementKind;
  /** The lowering's source-map record of a statement: kind, nesting depth, construct. */
  infoOf(stmt: Statement): StatementInfo | undefined;
  /** The construct a statement opens, divides (`shortcut`/`branch`) or closes, or else the innermost one it stands in. */
  constructOf(stmt: Statement): Construct | undefined;
  /** The merge layers that close a `residual`/`parallel` (one per time it runs: a block used twice closes it twice). */
  mergesOf(c: Construct): readonly LayerRef[];
  /** The layer keyword of a layer statement. */
  keywordOf(stmt: Statement): LayerKeyword | undefined;
}

const cache = new WeakMap<Analysis, DocIndex>();

/** The index of an analysis, built on first use. */
export function indexOf(a: Analysis): DocIndex {
  let ix = cache.get(a);
  if (!ix) {
    ix = build(a);
    cache.set(a, ix);
  }
  return ix;
}

function build(a: Analysis): DocIndex {
  const statements = a.parsed.statements;
  let layerMap: Map<Statement, LayerRef[]> | undefined;
  let ownerMap: Map<Statement, NetworkResult> | undefined;
  const layers = (): Map<Statement, LayerRef[]> => {
    if (layerMap) return layerMap;
    layerMap = new Map();
    const add = (s: Statement, r: LayerRef) => {
      const list = layerMap!.get(s);
      if (list) list.push(r);
      else layerMap!.set(s, [r]);
    };
    for (const net of a.networks) {
      for (const layer of net.layers) {
        const r = { net, layer };
        add(layer.decl.stmt, r);
        if (layer.decl.site !== layer.decl.stmt) add(layer.decl.site, r);
      }
    }
    return layerMap;
  };
  const owners = (): Map<Statement, NetworkResult> => {
    if (ownerMap) return ownerMap;
    ownerMap = new Map();
    for (const net of a.networks) {
      if (net.decl.header) ownerMap.set(net.decl.header, net);
      for (const s of net.decl.body) ownerMap.set(s, net);
    }
    return ownerMap;
  };

  // Index of the last statement starting at or before an offset.
  const lastAtOrBefore = (offset: number): number => {
    let lo = 0;
    let hi = statements.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (statements[mid].span.start <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };

  // The layer keyword of a line runs the keyword table's regexes, so remember it.
  const keywords = new Map<Statement, LayerKeyword | undefined>();
  const keywordOf = (s: Statement): LayerKeyword | undefined => {
    if (keywords.has(s)) return keywords.get(s);
    const kw = matchLayer(s.head.text.toLowerCase())?.kw;
    keywords.set(s, kw);
    return kw;
  };
  // Position of each statement in the source map (aligned with the parsed statements).
  let positions: Map<Statement, number> | undefined;
  const infoOf = (s: Statement): StatementInfo | undefined => {
    if (!positions) {
      positions = new Map();
      statements.forEach((st, i) => positions!.set(st, i));
    }
    const i = positions.get(s);
    return i === undefined ? undefined : a.program.statements[i];
  };
  const kindOf = (s: Statement): StatementKind => infoOf(s)?.kind ?? 'unknown';
  const constructOf = (s: Statement): Construct | undefined => {
    const c = infoOf(s)?.construct;
    return c === undefined ? undefined : a.program.constructs[c];
  };


  return {
    analysis: a,
    layersOf: (s) => layers().get(s) ?? [],
    statementAt(offset) {
      const i = lastAtOrBefore(offset);
      return i >= 0 && statements[i].span.end >= offset ? statements[i] : undefined;
    },
    statementsInLines(from, to) {
      const start = a.lines.lineStart(from);
      const end = a.lines.nextLineStart(to);
      let i = lastAtOrBefore(start - 1) + 1;
      const out: Statement[] = [];
      for (; i < statements.length && statements[i].span.start < end; i++) out.push(statements[i]);
      return out;
    },
    tokenAt(offset) {
      const s = this.statementAt(offset);
      if (!s) return undefined;
      const inside = (t: Token) => t.span.start <= offset && offset <= t.span.end;
      if (s.label && inside(s.label)) return { stmt: s, token: s.label, role: 'label', arg: -1 };
      if (inside(s.head)) return { stmt: s, token: s.head, role: 'head', arg: -1 };
      const arg = s.args.findIndex(inside);
      return arg >= 0 ? { stmt: s, token: s.args[arg], role: 'arg', arg } : undefined;
    },
    networkAt: (offset) => networkAtOffset(a, offset),
    networkOf: (s) => owners().get(s),
    kindOf,
    infoOf,
    constructOf,
    mergesOf(c) {
      const at = c.end ?? c.open;
      const i = infoOf(c.open)?.construct;
      return (layers().get(at) ?? []).filter((r) => r.layer.decl.stmt === at && r.layer.decl.construct === i && isMerge(r.layer.decl.spec));
    },
    keywordOf,
  };
}

/** The layers a statement produced that were not added by `auto`. */
export function ownLayers(refs: readonly LayerRef[], stmt: Statement): LayerRef[] {
  return refs.filter((r) => !r.layer.decl.auto && (r.layer.decl.stmt === stmt || r.layer.decl.site === stmt));
}
