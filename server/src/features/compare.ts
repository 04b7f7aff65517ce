/** The custom request `cnnLab/compare`: the core's comparison of a document's networks, with LSP ranges. */
import type { Analysis } from '../analysis/analyze.js';
import { compareNetwork } from '../analysis/compare.js';
import type { CompareResult } from '../protocol.js';
import { toRange } from './convert.js';

/** Every network of the analysis side by side, each with the range of its `network` line to reveal. */
export function compare(a: Analysis): CompareResult {
  return {
    networks: a.networks.map((n) => ({
      ...compareNetwork(a, n),
      range: toRange(a.lines, n.decl.header?.span ?? n.decl.span),
    })),
  };
}
