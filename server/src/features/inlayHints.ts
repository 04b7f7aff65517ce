/**
 * Inlay hints: the output shape at the end of each layer line (`→ 64×112×112`) and, when asked, its
 * parameters. A line that makes several layers (`x3`, `auto`, a block call, `repeat`) shows the shape
 * after the last of them; a block body line used with different shapes shows each distinct one.
 */
import { InlayHintKind, type CancellationToken, type InlayHint, type Range } from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
import { fmtInt, fmtShape } from '../analysis/summary.js';
import type { Statement } from '../language/ast.js';
import { checkCancelled } from './runSafe.js';
import type { Settings } from './settings.js';
import { indexOf, type DocIndex } from './locate.js';

/** Distinct shapes listed on one hint before eliding the rest. */
const MAX_SHAPES = 3;

/** The label of one line's hint, or undefined when there is nothing known to show. */
export function hintLabel(ix: DocIndex, stmt: Statement, settings: Settings['inlayHints']): string | undefined {
  const kind = ix.kindOf(stmt);
  if (kind !== 'layer' && kind !== 'call' && kind !== 'repeat' && kind !== 'unknown') return undefined;
  const refs = ix.layersOf(stmt);
  if (!refs.length) return undefined;
  // Usually the line has one use (itself, a call, a repeat): its hint is about its last layer.
  if (!refs.some((r) => r.layer.decl.stmt === stmt && r.layer.decl.site !== stmt)) {
    const last = refs[refs.length - 1].layer;
    let params = 0;
    for (const r of refs) params += r.layer.params;
    const shape = settings.shapes ? (last.out ? `→ ${fmtShape(last.out)}` : undefined) : '';
    if (shape === undefined && !settings.params) return undefined;
    const p = settings.params && params ? `${fmtInt(params)} params` : '';
    return [shape, p].filter(Boolean).join(' · ') || undefined;
  }
  // A block body line: the last layer of each use of the block.
  const lastOfUse = new Map<Statement, (typeof refs)[number]>();
  const paramsOfUse = new Map<Statement, number>();
  for (const r of refs) {
    const use = r.layer.decl.stmt === stmt ? r.layer.decl.site : stmt;
    lastOfUse.set(use, r);
    paramsOfUse.set(use, (paramsOfUse.get(use) ?? 0) + r.layer.params);
  }
  const parts: string[] = [];
  if (settings.shapes) {
    const shapes = [...new Set([...lastOfUse.values()].map((r) => (r.layer.out ? fmtShape(r.layer.out) : undefined)))];
    if (shapes.some((s) => s === undefined)) return settings.params ? paramsPart(paramsOfUse) : undefined;
    parts.push('→ ' + (shapes.length > MAX_SHAPES ? [...shapes.slice(0, MAX_SHAPES), '…'] : shapes).join(' | '));
  }
  if (settings.params) {
    const p = paramsPart(paramsOfUse);
    if (p) parts.push(p);
  }
  return parts.length ? parts.join(' · ') : undefined;
}

function paramsPart(paramsOfUse: Map<Statement, number>): string | undefined {
  const values = [...new Set(paramsOfUse.values())];
  if (values.length !== 1 || values[0] === 0) return undefined;
  return `${fmtInt(values[0])} params`;
}

/** The hints for the lines in a range. */
export function inlayHints(a: Analysis, range: Range, settings: Settings['inlayHints'], token?: CancellationToken): InlayHint[] {
  if (!settings.shapes && !settings.params) return [];
  const ix = indexOf(a);
  const out: InlayHint[] = [];
  const stmts = ix.statementsInLines(range.start.line, range.end.line);
  for (let i = 0; i < stmts.length; i++) {
    if ((i & 255) === 0) checkCancelled(token);
    const s = stmts[i];
    const label = hintLabel(ix, s, settings);
    if (!label) continue;
    out.push({ position: a.lines.position(s.span.end), label, kind: InlayHintKind.Type, paddingLeft: true });
  }
  return out;
}
