/**
 * What the extension needs to know about a network of the text it runs, computed in the run worker
 * from the worker's own analysis: which network the cursor is in, where its weights come from, and
 * each layer and the summary table as the feature-map panel shows them. The extension asks for these
 * instead of analysing the text itself (workerProtocol.ts).
 */
import { networkAtOffset, type Analysis, type NetworkResult } from '../analysis/analyze.js';
import { networkSummary, summaryTable, type SummaryTable } from '../analysis/summary.js';
import { displayLayout } from './display.js';
import type { LayerView, PreparedNetwork, RunKernels } from './workerProtocol.js';

/** The network named `name`, else the network at `offset` (networkAtOffset), else the first. */
export function pickNetwork(a: Analysis, offset?: number, name?: string): NetworkResult | undefined {
  if (name !== undefined) return a.networks.find((n) => n.name === name);
  // The language server's rule for "the network at the cursor" (the status bar and summary say the same).
  return offset !== undefined ? networkAtOffset(a, offset) : a.networks[0];
}

/** Whether a network's parameters are fixed teaching kernels, random (He-initialised), both or absent. */
export function networkKernels(network: NetworkResult): RunKernels {
  let fixed = 0, random = 0;
  for (const l of network.layers) {
    if (!l.params) continue;
    const s = l.decl.spec;
    if (s.kind === 'conv' && s.teaching) fixed++;
    else random++;
  }
  return fixed && random ? 'mixed' : fixed ? 'fixed' : random ? 'random' : 'none';
}

/** A network as 'prepared' names it: its name, its kernels and its layers' texts. */
export function preparedNetwork(network: NetworkResult): PreparedNetwork {
  return { name: network.name, kernels: networkKernels(network), layers: network.layers.map((l) => l.decl.text) };
}

/** Each layer of a network that runs (every shape known) as the panel lists it. */
export function layerViews(a: Analysis, network: NetworkResult): LayerView[] {
  return network.layers.map((l, i) => {
    if (!l.out) throw new Error(`layer ${i} (${l.decl.text}) has no output shape`);
    return {
      index: i, text: l.decl.text, keyword: l.decl.keyword, kind: l.decl.spec.kind,
      line: a.lines.position(l.decl.stmt.span.start).line, inputs: l.inputs, shape: l.out, params: l.params, formula: l.formula, macs: l.macs,
      auto: !!l.decl.auto,
      ...(l.rf && l.jump && l.padding ? { field: { rf: l.rf, jump: l.jump, padding: l.padding, approximate: !!l.approximateField } } : {}),
      layout: displayLayout(l.out),
    };
  });
}

/** The panel's summary table of a network. */
export function networkTable(a: Analysis, network: NetworkResult): SummaryTable {
  return summaryTable(networkSummary(a, network));
}
