/**
 * Code lenses on each network's first line: its total parameters, MACs and parameter memory (click:
 * the client's Show Summary command for that network), and "Run on image" when the network can run.
 */
import type { CodeLens } from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
import { fmtBytes, fmtInt, fmtSi } from '../analysis/summary.js';
import { RUN_ON_IMAGE_COMMAND, SHOW_SUMMARY_COMMAND } from '../protocol.js';

/** The lenses of a document. */
export function codeLenses(a: Analysis, uri: string): CodeLens[] {
  return a.networks.flatMap((net) => {
    const t = net.totals;
    const start = a.lines.position(net.decl.span.start);
    const partial = t.complete ? '' : ' (partial: some shapes unknown)';
    const title = `${fmtInt(t.params)} params · ${fmtSi(t.macs)} MACs · ${fmtBytes(t.paramBytes).replace(/ \(.*\)$/, '')} of weights${partial}`;
    const lenses: CodeLens[] = [{ range: { start, end: start }, command: { title, command: SHOW_SUMMARY_COMMAND, arguments: [uri, net.name] } }];
    if (t.complete && net.layers.length) {
      lenses.push({ range: { start, end: start }, command: { title: '▶ Run on image', command: RUN_ON_IMAGE_COMMAND, arguments: [uri, net.name] } });
    }
    return lenses;
  });
}
