/**
 * The pure part of "Run on Image" on the extension side: which network the cursor is in, the budget
 * from the settings, and turning a finished run plus the analysis into what the panel shows. No
 * `vscode` import, so it is unit-tested in plain Node.
 */
import { networkAtOffset, type Analysis, type NetworkResult } from '../../../server/src/analysis/analyze.js';
import { networkSummary } from '../../../server/src/analysis/summary.js';
import { displayLayout, tileSize } from '../../../server/src/run/display.js';
import { DEFAULT_BUDGET, type Budget } from '../../../server/src/run/plan.js';
import type { DoneMessage, LayerMessage, LayerPixels, StartedMessage } from '../../../server/src/run/workerProtocol.js';
import type { LayerView, RunKernels, RunOrigin, RunView, ToView } from './messages.js';
import type { RunOutcome } from './workerClient.js';
import { defaultNetworkName } from '../../../server/src/language/names.js';

export { defaultNetworkName };


/** The network named `name`, else the network at `offset` (networkAtOffset), else the first. */
export function pickNetwork(a: Analysis, offset?: number, name?: string): NetworkResult | undefined {
  if (name !== undefined) return a.networks.find((n) => n.name === name);
  // The language server's rule for "the network at the cursor" (the status bar and summary say the same).
  return offset !== undefined ? networkAtOffset(a, offset) : a.networks[0];
}

/** The run budget from `cnnLab.run.maxGigaMacs` and `cnnLab.run.maxMemoryMB` (defaults where unset or invalid). */
export function budgetFromSettings(maxGigaMacs: unknown, maxMemoryMB: unknown): Budget {
  const pos = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  return {
    maxMacs: pos(maxGigaMacs) ? maxGigaMacs * 1e9 : DEFAULT_BUDGET.maxMacs,
    maxMemoryBytes: pos(maxMemoryMB) ? maxMemoryMB * 1e6 : DEFAULT_BUDGET.maxMemoryBytes,
  };
}

/**
 * A run the panel shows: its description and each layer's pixels as they arrive (at the size the run
 * was asked to send; other sizes, values and sums are asked of the worker, which keeps the floats).
 * `view.runMs` is absent and `outputs` partly empty while the run goes on.
 */
export interface StoredRun {
  view: RunView;
  /** The worker's id of the run, for its queries. */
  readonly workerRun: number;
  readonly outputs: (LayerMessage | undefined)[];
}

/** What the panel needs besides the outcome: where the run came from. */
export interface RunContext {
  readonly runId: number;
  readonly origin: RunOrigin;
  readonly sourceName: string;
  readonly imageName: string;
  readonly weightsName?: string;
}

/**
 * A run as soon as the worker has started it: the analysis of the text that runs (layers, shapes,
 * receptive fields, summary) and the worker's first message (the input picture). Layers are added
 * with addLayer as they finish, and finishRun completes it.
 */
export function startRun(ctx: RunContext, a: Analysis, network: NetworkResult, started: StartedMessage): StoredRun {
  const layers: LayerView[] = network.layers.map((l, i) => {
    if (!l.out) throw new Error(`layer ${i} (${l.decl.text}) has no output shape`);
    return {
      index: i, text: l.decl.text, keyword: l.decl.keyword, kind: l.decl.spec.kind,
      line: a.lines.position(l.decl.stmt.span.start).line, inputs: l.inputs, shape: l.out, params: l.params, formula: l.formula, macs: l.macs,
      auto: !!l.decl.auto,
      ...(l.rf && l.jump && l.padding ? { field: { rf: l.rf, jump: l.jump, padding: l.padding, approximate: !!l.approximateField } } : {}),
      layout: displayLayout(l.out),
    };
  });
  if (started.layerCount !== layers.length) {
    throw new Error(`the worker runs ${started.layerCount} layers, the network has ${layers.length}`);
  }
  const view: RunView = {
    runId: ctx.runId, origin: ctx.origin, network: started.network, sourceName: ctx.sourceName, imageName: ctx.imageName,
    ...(ctx.weightsName ? { weightsName: ctx.weightsName } : {}),
    kernels: networkKernels(network),
    backend: started.backend, ...(started.backendNote ? { backendNote: started.backendNote } : {}), loadMs: started.loadMs, paramsCached: started.paramsCached, macs: started.macs,
    inputShape: started.inputShape, input: started.input, layers, summary: networkSummary(a, network), top: [],
  };
  return { view, workerRun: started.id, outputs: new Array<LayerMessage | undefined>(layers.length).fill(undefined) };
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

/** Stores a layer's output, checking that it has the shape the analysis gave the panel. */
export function addLayer(run: StoredRun, m: LayerMessage): void {
  const layer = run.view.layers[m.index];
  if (!layer) throw new Error(`the run sent layer ${m.index}; the network has ${run.view.layers.length}`);
  if (layer.shape.join('x') !== m.shape.join('x')) {
    throw new Error(`layer ${m.index} (${layer.text}) came out ${m.shape.join('×')}, the analysis says ${layer.shape.join('×')}`);
  }
  run.outputs[m.index] = m;
}

/** Completes a run with the worker's last message; every layer must have arrived. Returns the finished view. */
export function finishRun(run: StoredRun, done: DoneMessage): RunView {
  const got = run.outputs.filter(Boolean).length;
  if (got !== run.view.layers.length) throw new Error(`the run returned ${got} layers, the network has ${run.view.layers.length}`);
  run.view = {
    ...run.view, runMs: done.runMs, top: done.top,
    ...(done.cam ? { cam: { featureLayer: done.cam.featureLayer, fcLayer: done.cam.fcLayer, height: done.cam.height, width: done.cam.width, classes: done.cam.classes } } : {}),
  };
  return run.view;
}

/** A finished run in one step (tests and the benchmark): startRun, every layer, finishRun. */
export function buildRun(ctx: RunContext, a: Analysis, network: NetworkResult, outcome: RunOutcome): StoredRun {
  const run = startRun(ctx, a, network, outcome.started);
  for (const m of outcome.layers) if (m) addLayer(run, m);
  finishRun(run, outcome.done);
  return run;
}

/**
 * Layer `index`'s pixels for the webview with tiles at most `maxSide` either way, when the pixels the
 * run sent are those (undefined when the layer has not arrived or another size must be asked for).
 */
export function layerPixels(run: StoredRun, index: number, maxSide: number): Extract<ToView, { type: 'layerPixels' }> | undefined {
  const o = run.outputs[index];
  if (!o) return undefined;
  const layout = displayLayout(o.shape);
  const want = tileSize(layout, maxSide);
  if (want.height !== o.tileHeight || want.width !== o.tileWidth) return undefined;
  return pixelsMessage(run, o);
}

/** The webview's message for a layer's pixels (as the run sent them, or as a query answered). */
export function pixelsMessage(run: StoredRun, p: LayerPixels): Extract<ToView, { type: 'layerPixels' }> {
  return {
    type: 'layerPixels', runId: run.view.runId, index: p.index, layout: displayLayout(p.shape),
    tileHeight: p.tileHeight, tileWidth: p.tileWidth, pixels: p.pixels, min: p.min, max: p.max,
  };
}
