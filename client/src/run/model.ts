/**
 * The pure part of "Run on Image" on the extension side: which network the cursor is in, the budget
 * from the settings, and turning a finished run plus the analysis into what the panel shows. No
 * `vscode` import, so it is unit-tested in plain Node.
 */
import type { Analysis, NetworkResult } from '../../../server/src/analysis/analyze.js';
import { networkSummary } from '../../../server/src/analysis/summary.js';
import { displayLayout, quantizeChannels, sumChannels } from '../../../server/src/interpret.js';
import { DEFAULT_BUDGET, type Budget } from '../../../server/src/runner.js';
import type { LayerMessage } from '../../../server/src/runMessages.js';
import type { LayerView, RunOrigin, RunView, ToView } from './messages.js';
import type { RunOutcome } from './runClient.js';
import { defaultNetworkName } from '../../../server/src/language/names.js';

export { defaultNetworkName };


/** The network named `name`, else the one whose text contains `offset`, else the first. */
export function pickNetwork(a: Analysis, offset?: number, name?: string): NetworkResult | undefined {
  if (name !== undefined) return a.networks.find((n) => n.name === name);
  if (offset !== undefined) {
    const at = a.networks.find((n) => n.decl.span.start <= offset && offset <= n.decl.span.end);
    if (at) return at;
  }
  return a.networks[0];
}

/** The run budget from `cnnLab.run.maxGigaMacs` and `cnnLab.run.maxMemoryMB` (defaults where unset or invalid). */
export function budgetFromSettings(maxGigaMacs: unknown, maxMemoryMB: unknown): Budget {
  const pos = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  return {
    maxMacs: pos(maxGigaMacs) ? maxGigaMacs * 1e9 : DEFAULT_BUDGET.maxMacs,
    maxMemoryBytes: pos(maxMemoryMB) ? maxMemoryMB * 1e6 : DEFAULT_BUDGET.maxMemoryBytes,
  };
}

/** A run the panel shows: its description and every layer's output (kept here, sent to the webview on demand). */
export interface StoredRun {
  readonly view: RunView;
  readonly outputs: readonly LayerMessage[];
}

/** What the panel needs besides the outcome: where the run came from. */
export interface RunContext {
  readonly runId: number;
  readonly origin: RunOrigin;
  readonly sourceName: string;
  readonly imageName: string;
  readonly weightsName?: string;
}

/** Joins the analysis of the text that ran with the worker's outcome. */
export function buildRun(ctx: RunContext, a: Analysis, network: NetworkResult, outcome: RunOutcome): StoredRun {
  const { started, done, layers: outputs } = outcome;
  if (outputs.length !== network.layers.length || outputs.some((o) => !o)) {
    throw new Error(`the run returned ${outputs.filter(Boolean).length} layers, the network has ${network.layers.length}`);
  }
  const layers: LayerView[] = network.layers.map((l, i) => {
    const shape = outputs[i].shape;
    return {
      index: i, text: l.decl.text, keyword: l.decl.keyword, kind: l.decl.spec.kind,
      line: a.lines.position(l.decl.stmt.span.start).line, shape, params: l.params, formula: l.formula, macs: l.macs,
      auto: !!l.decl.auto,
      ...(l.rf && l.jump && l.padding ? { field: { rf: l.rf, jump: l.jump, padding: l.padding, approximate: !!l.approximateField } } : {}),
      layout: displayLayout(shape),
    };
  });
  const view: RunView = {
    runId: ctx.runId, origin: ctx.origin, network: started.network, sourceName: ctx.sourceName, imageName: ctx.imageName,
    ...(ctx.weightsName ? { weightsName: ctx.weightsName } : {}),
    backend: started.backend, loadMs: started.loadMs, runMs: done.runMs, paramsCached: started.paramsCached, macs: started.macs,
    inputShape: started.inputShape, input: started.input, layers, summary: networkSummary(a, network), top: done.top,
    ...(done.cam ? { cam: { featureLayer: done.cam.featureLayer, fcLayer: done.cam.fcLayer, height: done.cam.height, width: done.cam.width, classes: done.cam.classes } } : {}),
  };
  return { view, outputs };
}

/** Layer `index`'s pixels for the webview: each tile scaled from its own range to 0..255. */
export function layerPixels(run: StoredRun, index: number): Extract<ToView, { type: 'layerPixels' }> | undefined {
  const o = run.outputs[index];
  if (!o) return undefined;
  const layout = displayLayout(o.shape);
  const pixels = quantizeChannels(o.data, layout.channels, layout.plane, o.min, o.max);
  return { type: 'layerPixels', runId: run.view.runId, index, layout, pixels, min: o.min, max: o.max };
}

/** The sum of layer `index`'s channels for the heatmap overlay; undefined for a vector. */
export function layerHeatmap(run: StoredRun, index: number): Extract<ToView, { type: 'heatmap' }> | undefined {
  const o = run.outputs[index];
  if (!o || o.shape.length !== 3) return undefined;
  const [c, h, w] = o.shape;
  return { type: 'heatmap', runId: run.view.runId, index, height: h, width: w, values: sumChannels(o.data, c, h * w) };
}
