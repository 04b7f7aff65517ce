/**
 * Inlay hints: the output shape at the end of each line that makes layers (`→ 64×112×112`) and, when
 * asked, its parameters. A line that makes several layers (`x3`, `auto`) shows the shape after the last
 * of them; a merge line (`add skip`) and the `end` of a `residual`/`parallel` show the merged shape. A
 * block call or `repeat` that runs its body several times shows the shape after each pass in order
 * (`→ 32×16×16 → 32×8×8`), and so does every line of that body; a block used from several lines shows
 * each use, separated by `|`.
 */
import { InlayHintKind, type CancellationToken, type InlayHint, type Range } from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
import { fmtInt, fmtShape } from '../analysis/summary.js';
import type { Statement } from '../language/ast.js';
import { checkCancelled } from './runSafe.js';
import type { Settings } from './settings.js';
import { indexOf, type DocIndex, type LayerRef } from './locate.js';

/** Shapes listed on one hint before eliding the rest. */
const MAX_SHAPES = 4;

/** How many times a block call (`name x3`) or `repeat N` runs its body. */
function passCount(ix: DocIndex, stmt: Statement): number {
  const kind = ix.kindOf(stmt);
  if (kind === 'repeat') return Number(stmt.args[0]?.text) || 1;
  if (kind === 'call') {
    const rep = stmt.args.find((t) => /^[x×]\d+$/i.test(t.text));
    return rep ? Number(rep.text.slice(1)) || 1 : 1;
  }
  return 1;
}

/** The statement whose layers a line's hint is about: a construct's `end` speaks for it (or its opener when `end` is missing). */
function hintedLines(ix: DocIndex, stmt: Statement): boolean {
  const kind = ix.kindOf(stmt);
  switch (kind) {
    case 'layer': case 'call': case 'repeat': case 'unknown': case 'merge':
      return true;
    case 'end': {
      const c = ix.constructOf(stmt);
      return !!c && c.end === stmt && (c.kind === 'residual' || c.kind === 'parallel');
    }
    case 'residual': case 'parallel':
      return !ix.constructOf(stmt)?.end;
    default:
      return false;
  }
}

/**
 * The layers of a line grouped by use (the line itself, or each line that uses the block it is in)
 * and, within a use, by pass (each run of its body), in execution order.
 */
export function passesOf(ix: DocIndex, stmt: Statement): LayerRef[][][] {
  const refs = ix.layersOf(stmt);
  const uses = new Map<Statement, LayerRef[]>();
  for (const r of refs) {
    const d = r.layer.decl;
    const use = d.stmt === stmt ? d.site : stmt;
    const list = uses.get(use);
    if (list) list.push(r);
    else uses.set(use, [r]);
  }
  const out: LayerRef[][][] = [];
  for (const [use, list] of uses) {
    if (use === stmt) {
      // The line's own expansion: a call or `repeat` runs its body N times, each making as many layers.
      const n = passCount(ix, stmt);
      const size = list.length % n === 0 ? list.length / n : list.length;
      const passes: LayerRef[][] = [];
      for (let i = 0; i < list.length; i += size) passes.push(list.slice(i, i + size));
      out.push(passes);
      continue;
    }
    // A body line used from elsewhere: each pass of the body makes a run of consecutive layers.
    const passes: LayerRef[][] = [];
    for (const r of list) {
      const prev = passes.length ? passes[passes.length - 1] : undefined;
      const last = prev?.[prev.length - 1];
      if (last && last.net === r.net && last.layer.index + 1 === r.layer.index) prev!.push(r);
      else passes.push([r]);
    }
    out.push(passes);
  }
  return out;
}

/** The label of one line's hint, or undefined when there is nothing known to show. */
export function hintLabel(ix: DocIndex, stmt: Statement, settings: Settings['inlayHints']): string | undefined {
  if (!hintedLines(ix, stmt)) return undefined;
  const uses = passesOf(ix, stmt);
  if (!uses.length) return undefined;
  const parts: string[] = [];
  if (settings.shapes) {
    const outs = uses.map((passes) => passes.map((p) => p[p.length - 1].layer.out));
    if (outs.every((o) => o.every((s) => s !== undefined))) {
      // Each use is the shapes after its passes, a shape repeated by consecutive passes said once.
      const texts = [...new Set(outs.map((o) => o.map((sh) => fmtShape(sh)).filter((t, i, all) => i === 0 || t !== all[i - 1]).join(' → ')))];
      let shown = 0;
      const kept: string[] = [];
      for (const t of texts) {
        const n = t.split(' → ').length;
        if (shown + n > MAX_SHAPES && kept.length) { kept.push('…'); break; }
        kept.push(n > MAX_SHAPES ? [...t.split(' → ').slice(0, MAX_SHAPES), '…'].join(' → ') : t);
        shown += n;
      }
      parts.push('→ ' + kept.join(' | '));
    }
  }
  if (settings.params) {
    const sums = [...new Set(uses.map((passes) => passes.flat().reduce((n, r) => n + r.layer.params, 0)))];
    if (sums.length === 1 && sums[0] > 0) parts.push(`${fmtInt(sums[0])} params`);
  }
  return parts.length ? parts.join(' · ') : undefined;
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
