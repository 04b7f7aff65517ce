/**
 * The pure part of "Run on Image" on the extension side: turning the
 * worker's description of a run (its 'started' message: layers, summary table, kernels) and the layers
 * as they arrive into what the panel shows. The extension does not analyse the text: the worker does
 * (server/src/run/describe.ts). No `vscode` import, so it is unit-tested in plain Node.
 */
import { displayLayout, shareTiles, tileSize } from '../../../server/src/run/display.js';
import type { DoneMessage, LayerMessage, LayerPixels, StartedMessage } from '../../../server/src/run/workerProtocol.js';
import type { RunOrigin, RunView, ToView } from './messages.js';
import type { RunOutcome } from './workerClient.js';

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
 * A run as soon as the worker has started it: the worker's description of the network that runs
 * (layers, shapes, receptive fields, summary table) and the input picture, from its first message.
 * Layers are added with addLayer as they finish, and finishRun completes it.
 */
export function startRun(ctx: RunContext, started: StartedMessage): StoredRun {
  const { layers } = started;
  const view: RunView = {
    runId: ctx.runId, origin: ctx.origin, network: started.network, sourceName: ctx.sourceName, imageName: ctx.imageName,
    ...(ctx.weightsName ? { weightsName: ctx.weightsName } : {}),
    kernels: started.kernels,
    backend: started.backend, ...(started.kernelBuild ? { kernelBuild: started.kernelBuild } : {}), ...(started.backendNote ? { backendNote: started.backendNote } : {}), loadMs: started.loadMs, paramsCached: started.paramsCached, macs: started.macs,
    inputShape: started.inputShape, input: started.input, layers, table: started.table, top: [],
  };
  return { view, workerRun: started.id, outputs: new Array<LayerMessage | undefined>(layers.length).fill(undefined) };
}

/** Stores a layer's output, checking that it has the shape the worker's analysis gave the panel. */
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
export function buildRun(ctx: RunContext, outcome: RunOutcome): StoredRun {
  const run = startRun(ctx, outcome.started);
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

type PixelsMessage = Extract<ToView, { type: 'layerPixels' }>;

/**
 * A layer's pixels message with the tiles it shares with the layer it reads left out (`shared`), when
 * that layer's pixels at the same tile size are the last the page was sent for it (`sent`, by layer,
 * whole): a batch norm's tiles are its convolution's, a third of ResNet-50's bytes. Anything else,
 * the message as it is. `sent` is the page's copy: it must be emptied whenever the page forgets its
 * pixels (a new run shown, a reloaded page).
 */
export function sharePixels(m: PixelsMessage, inputs: readonly number[], sent: ReadonlyMap<number, PixelsMessage>): PixelsMessage {
  if (inputs.length !== 1 || m.shared) return m;
  const from = inputs[0];
  const src = sent.get(from);
  if (!src || src.runId !== m.runId || src.tileHeight !== m.tileHeight || src.tileWidth !== m.tileWidth || src.layout.channels !== m.layout.channels) return m;
  const share = shareTiles(src.pixels, m.pixels, m.layout.channels);
  return share ? { ...m, pixels: share.pixels, shared: { from, codes: share.codes } } : m;
}
