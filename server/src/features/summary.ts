/** The custom requests `cnnLab/summary` and `cnnLab/networkAt`: the core's summary JSON for the client's views. */
import type { Analysis } from '../analysis/analyze.js';
import { summaryTotals, toSummary, type Summary } from '../analysis/summary.js';
import type { NetworkAtResult, Position } from '../protocol.js';
import { toOffset } from './convert.js';
import { indexOf } from './locate.js';

/** The summary of one network (by name, else the one at `position`), or of every network. */
export function summary(a: Analysis, network?: string, position?: Position): Summary {
  if (network !== undefined) return toSummary(a, network);
  if (position) {
    const net = indexOf(a).networkAt(toOffset(a.lines, position));
    if (net) return toSummary(a, net.name);
  }
  return toSummary(a);
}

/** The network at a position and its totals. */
export function networkAt(a: Analysis, position: Position): NetworkAtResult | null {
  const net = indexOf(a).networkAt(toOffset(a.lines, position));
  if (!net) return null;
  return { name: net.name, line: a.lines.position(net.decl.span.start).line, totals: summaryTotals(net) };
}
