/**
 * Code lens on each network's first line: its total parameters, MACs and parameter memory; clicking
 * it runs the client's Show Summary command for that network.
 */
import type { CodeLens } from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
import { fmtBytes, fmtInt, fmtSi } from '../analysis/summary.js';
import { SHOW_SUMMARY_COMMAND } from '../protocol.js';

/** The lenses of a document. */
export function codeLenses(a: Analysis, uri: string): CodeLens[] {
  return a.networks.map((net) => {
    const t = net.totals;
    const start = a.lines.position(net.decl.span.start);
    const partial = t.complete ? '' : ' (partial: some shapes unknown)';
    const title = `${fmtInt(t.params)} params · ${fmtSi(t.macs)} MACs · ${fmtBytes(t.paramBytes).replace(/ \(.*\)$/, '')} of weights${partial}`;
    return {
      range: { start, end: start },
      command: { title, command: SHOW_SUMMARY_COMMAND, arguments: [uri, net.name] },
    };
  });
}
