/**
 * Code lenses on each network's first line: its total parameters, MACs and parameter memory (click:
 * the client's Show Summary command for that network), and "Run on image" when the network can run.
 * A network with errors gets what is known (the layers before the first one without a shape) and the
 * line to fix, and no Run lens: it would only be refused.
 */
import type { CodeLens } from 'vscode-languageserver';
import type { Analysis, NetworkResult } from '../analysis/analyze.js';
import { fmtBytes, fmtInt, fmtSi } from '../analysis/summary.js';
import { RUN_ON_IMAGE_COMMAND, SHOW_SUMMARY_COMMAND } from '../protocol.js';

/** The lenses of a document. */
export function codeLenses(a: Analysis, uri: string): CodeLens[] {
  const firstErrors = firstErrorStarts(a);
  return a.networks.flatMap((net, i) => {
    const start = a.lines.position(net.decl.span.start);
    const at = firstErrors[i];
    const errorLine = at === undefined ? undefined : a.lines.position(at).line + 1;
    const title = lensTitle(net, errorLine);
    const lenses: CodeLens[] = [{ range: { start, end: start }, command: { title, command: SHOW_SUMMARY_COMMAND, arguments: [uri, net.name] } }];
    if (net.totals.complete && errorLine === undefined && net.layers.length) {
      lenses.push({ range: { start, end: start }, command: { title: '▶ Run on image', command: RUN_ON_IMAGE_COMMAND, arguments: [uri, net.name] } });
    }
    return lenses;
  });
}

/**
 * The offset of the first error inside each network (by index in a.networks), in one pass over the
 * diagnostics: a garbage file has thousands of each, and a pass per network took 0.2 s.
 */
function firstErrorStarts(a: Analysis): (number | undefined)[] {
  const nets = a.networks.map((n, i) => ({ i, start: n.decl.span.start, end: n.decl.span.end })).sort((x, y) => x.start - y.start);
  const first: (number | undefined)[] = new Array(a.networks.length).fill(undefined);
  for (const d of a.diagnostics) {
    if (d.severity !== 'error') continue;
    // The last network starting at or before the error.
    let lo = 0, hi = nets.length - 1, k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (nets[mid].start <= d.span.start) { k = mid; lo = mid + 1; } else hi = mid - 1;
    }
    const n = nets[k];
    if (!n || d.span.start > n.end) continue;
    const cur = first[n.i];
    if (cur === undefined || d.span.start < cur) first[n.i] = d.span.start;
  }
  return first;
}

/**
 * The totals lens: the whole network's figures, or, while it has errors or unknown shapes, the figures
 * of the layers before the first unknown one ("1.79 k params so far · fix line 7 to see the rest").
 */
export function lensTitle(net: NetworkResult, errorLine: number | undefined): string {
  const t = net.totals;
  if (t.complete && errorLine === undefined) {
    return `${fmtInt(t.params)} params · ${fmtSi(t.macs)} MACs · ${fmtBytes(t.paramBytes).replace(/ \(.*\)$/, '')} of weights`;
  }
  if (!net.decl.input) return 'no shapes yet: write `input C×H×W` (e.g. `input 3x32x32`) before the first layer';
  // The known prefix: every layer before the first without a shape.
  const stop = net.layers.findIndex((l) => !l.out);
  const known = stop < 0 ? net.layers : net.layers.slice(0, stop);
  const params = known.reduce((s, l) => s + l.params, 0);
  const macs = known.reduce((s, l) => s + l.macs, 0);
  const fix = errorLine !== undefined ? `fix line ${errorLine} to see the rest` : 'some shapes are unknown';
  if (!known.length) return `no shapes yet · ${fix}`;
  return `${fmtSi(params)} params · ${fmtSi(macs)} MACs so far · ${fix}`;
}
