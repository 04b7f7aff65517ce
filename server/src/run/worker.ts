/**
 * The run worker (bundled to dist/worker.js and started by the VS Code extension with worker_threads):
 * runs one network of a `.cnn` text on one image off the extension host's thread, so the editor and
 * the language server stay responsive. It reports each layer as it finishes and streams its 8-bit
 * pixels for display, keeps the float outputs (of the run in progress and the last finished one) to
 * answer queries about them, stops at the next layer boundary when cancelled, and answers every
 * failure with a typed 'error' message instead of dying. It is the extension's one analyser of the
 * text: it says which network would run and whether it may ('prepare'), describes the layers for the
 * panel when a run starts, and exports and imports models. The messages are in workerProtocol.ts.
 */
import { parentPort } from 'node:worker_threads';
import { analyze, type Analysis } from '../analysis/analyze.js';
import { abortError, IMAGENET_MEAN, IMAGENET_STD, forward, tsBackend, type ConvBackend, type LayerParams, type Tensor } from '../engine/index.js';
import { createSimdBackend, simdKernelVariant, simdLoadProblem } from '../engine/simd/simd-backend.js';
import {
  channelRanges, classActivationMap, displayLayout, findCamLayers, inputToRgba, quantizeResized, sumChannels, tileSize, topValues,
  type InputScaling,
} from './display.js';
import type {
  CamResult, ErrorMessage, ExportRequest, FromWorker, ImportRequest, LayerPixels, LayerQuery, PrepareRequest, QueryRequest, QueryResult, RgbaImage,
  RunErrorKind, RunRequest, ToWorker,
} from './workerProtocol.js';
import { planRun, type RunPlan } from './plan.js';
import { loadInput, loadParams } from './load.js';
import { layerViews, networkKernels, networkTable, pickNetwork, preparedNetwork } from './describe.js';
import { exportFiles, importModel } from './interop.js';

/** Weights the run worker's SIMD kernels keep prepared in their memory, at most (the cache never shrinks). */
const WORKER_PREPARED_BYTES = 256 * 2 ** 20;

/** An Error that already knows which kind of failure it reports; `detail` is for the log (see ErrorMessage). */
class RunFailure extends Error {
  constructor(readonly kind: RunErrorKind, message: string, readonly estimate?: ErrorMessage['estimate'], readonly detail?: string) {
    super(message);
  }
}

/**
 * What the log should have of an error besides its message: the stack of an unexpected one (a
 * TypeError, or a WebAssembly trap, which says only "unreachable" or "memory access out of bounds"),
 * and the chain of causes (a decoder's own words behind a message about a damaged file). A plain
 * Error written for the user needs no stack unless `stack` asks for it.
 */
function detailOf(e: unknown, stack = false): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const lines: string[] = [];
  if (stack || e.name !== 'Error') lines.push(`${e instanceof WebAssembly.RuntimeError ? 'WebAssembly trap: ' : ''}${e.stack ?? e.message}`);
  for (let c = e.cause, depth = 0; c instanceof Error && depth < 4; c = c.cause, depth++) lines.push(`caused by: ${c.stack ?? c.message}`);
  return lines.length ? lines.join('\n') : undefined;
}

const port = parentPort;

/** Sends a message, giving away the buffers in `transfer` (each must be a plain ArrayBuffer, listed once). */
function post(m: FromWorker, transfer: readonly ArrayBufferLike[] = []): void {
  port?.postMessage(m, transfer as ArrayBuffer[]);
}

/** Re-throws `e` as a RunFailure of `kind`, keeping a RunFailure or an AbortError as it is. */
function failure(kind: RunErrorKind, e: unknown): never {
  if (e instanceof RunFailure || (e as Error)?.name === 'AbortError') throw e;
  throw new RunFailure(kind, e instanceof Error ? e.message : String(e), undefined, detailOf(e));
}

/** Runs `f`, turning anything it throws into a RunFailure of `kind`. */
function stage<T>(kind: RunErrorKind, f: () => T): T {
  try {
    return f();
  } catch (e) {
    return failure(kind, e);
  }
}

/**
 * He-initialised parameters of the previous run, reused when the same layers run on the same input
 * shape with the same seed (allocating and drawing VGG16's 138 million weights takes over half a
 * second, about half of it faulting in 552 MB). One entry only: it can hold hundreds of megabytes.
 */
let paramCache: { key: string; params: LayerParams[] } | undefined;

/** A SIMD backend (null where WebAssembly SIMD did not load) and why it is less than asked for, if it is. */
interface SimdChoice {
  readonly backend: ConvBackend | null;
  readonly problem?: string;
}

/** The SIMD backends created so far, by thread count. */
const backends = new Map<number, Promise<SimdChoice>>();

/** The kernels for a run, and a note when they are slower than the ones asked for (see StartedMessage.backendNote). */
async function chooseBackend(req: RunRequest): Promise<{ backend: ConvBackend; name: 'simd' | 'typescript'; note?: string }> {
  if (req.backend === 'typescript') return { backend: tsBackend, name: 'typescript' };
  const threads = Math.max(1, Math.min(16, Math.floor(req.threads ?? 1)));
  let simd = backends.get(threads);
  if (!simd) {
    // simdLoadProblem() describes the call just made: read it before another call can replace it.
    // The worker is a thread of the editor's extension host, which already holds the run's weights and
    // maps: weights prepared inside the kernels' memory (which never shrinks) are capped at 256 MiB here;
    // layers past that are prepared at each call, as before the cache (VGG16 would keep 0.75 GB).
    simd = createSimdBackend({ threads, cacheBytes: WORKER_PREPARED_BYTES }).then(
      (backend): SimdChoice => ({ backend, problem: simdLoadProblem() }),
      (e: unknown): SimdChoice => ({ backend: null, problem: e instanceof Error ? e.message : String(e) }),
    );
    backends.set(threads, simd);
  }
  const { backend, problem } = await simd;
  if (backend) return { backend, name: 'simd', ...(problem ? { note: problem } : {}) };
  return {
    backend: tsBackend, name: 'typescript',
    note: `the WebAssembly SIMD kernels did not load (${problem ?? 'no reason given'}); the slower TypeScript kernels run instead`,
  };
}

/** A layer's pixels: each tile shrunk to at most `maxSide` either way and scaled to 8 bits from its own range. */
function layerPixels(index: number, t: Tensor, maxSide: number): LayerPixels {
  const layout = displayLayout(t.shape);
  const { min, max } = channelRanges(t.data, layout.channels, layout.plane);
  const { height, width } = tileSize(layout, maxSide);
  const pixels = layout.vector
    ? quantizeResized(t.data, 1, 1, layout.plane, 1, layout.plane, min, max)
    : quantizeResized(t.data, layout.channels, layout.height, layout.width, height, width, min, max);
  return { index, shape: [...t.shape], tileHeight: height, tileWidth: width, pixels, min, max };
}

/** Posts one layer's pixels (the floats stay here). */
function sendLayer(id: number, index: number, t: Tensor, maxSide: number): void {
  const p = layerPixels(index, t, maxSide);
  post({ type: 'layer', id, ...p }, [p.pixels.buffer, p.min.buffer, p.max.buffer]);
}

/**
 * Float outputs by run id: the run in progress and the last finished one (a panel goes back to it
 * when the newer run is cancelled). A run's outputs may share buffers (flatten, dropout).
 */
const kept = new Map<number, Tensor[]>();
/** The last run that finished. */
let lastFinished: number | undefined;
/** Buffers of runs no longer kept, by length, for the outputs of the next run (see ForwardOptions.alloc). */
const pool = new Map<number, Float32Array[]>();
/** At most this many bytes wait in the pool; the rest is left to the garbage collector. */
const POOL_BYTES = 1 << 30;
let pooled = 0;

/** Forgets run `id`'s outputs, keeping their buffers for the next run. */
function forget(id: number): void {
  const outputs = kept.get(id);
  kept.delete(id);
  if (!outputs) return;
  const seen = new Set<ArrayBufferLike>();
  for (const t of outputs) {
    const b = t.data;
    if (seen.has(b.buffer) || b.byteOffset !== 0 || b.byteLength !== b.buffer.byteLength || pooled + b.byteLength > POOL_BYTES) continue;
    seen.add(b.buffer);
    const list = pool.get(b.length) ?? [];
    list.push(b);
    pool.set(b.length, list);
    pooled += b.byteLength;
  }
}

/** A zero-filled buffer of `n` floats, from the pool when one of that size waits there. */
function alloc(n: number): Float32Array {
  const b = pool.get(n)?.pop();
  if (!b) return new Float32Array(n);
  pooled -= b.byteLength;
  return b.fill(0);
}

/** Answers a query about a kept run's layer. */
function answer(q: LayerQuery, outputs: readonly Tensor[] | undefined): QueryResult {
  const t = outputs?.[q.index];
  if (!t) throw new Error(outputs ? `layer ${q.index} has not run` : 'the run is no longer kept');
  const layout = displayLayout(t.shape);
  switch (q.kind) {
    case 'pixels':
      return { kind: 'pixels', ...layerPixels(q.index, t, q.maxSide) };
    case 'value': {
      const ok = q.channel >= 0 && q.channel < layout.channels && q.flat >= 0 && q.flat < layout.plane;
      return { kind: 'value', value: ok ? t.data[q.channel * layout.plane + q.flat] : NaN };
    }
    case 'sum': {
      if (t.shape.length !== 3) throw new Error(`layer ${q.index} is not a map`);
      const [c, h, w] = t.shape;
      return { kind: 'sum', height: h, width: w, values: sumChannels(t.data, c, h * w) };
    }
    case 'floats':
      return { kind: 'floats', shape: [...t.shape], data: t.data.slice() };
  }
}

/** Answers a QueryRequest (between layers when a run is going). */
function handleQuery(m: QueryRequest): void {
  try {
    const result = answer(m.query, kept.get(m.run));
    const buffers = result.kind === 'pixels' ? [result.pixels.buffer, result.min.buffer, result.max.buffer]
      : result.kind === 'sum' ? [result.values.buffer] : result.kind === 'floats' ? [result.data.buffer] : [];
    post({ type: 'answer', id: m.id, result }, buffers);
  } catch (e) {
    post({ type: 'answer', id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
}

/** He-initialised parameters for a plan, from the cache when the same layers, input shape and seed ran last. */
function heParams(p: RunPlan, seed: number): { params: LayerParams[]; cached: boolean } {
  const key = JSON.stringify([p.inputShape, p.layers, p.inputs, seed]);
  if (paramCache?.key === key) return { params: paramCache.params, cached: true };
  paramCache = undefined; // let the old parameters go before allocating the new ones
  const params = stage('weights', () => loadParams(p, undefined, seed));
  paramCache = { key, params };
  return { params, cached: false };
}

/** Plans the run, refusing it (with the estimate) when it is over budget; with the analysis it was planned from. */
function plan(req: Pick<RunRequest, 'text' | 'network' | 'defaultName' | 'budget'>): { a: Analysis; p: RunPlan } {
  const a = analyze(req.text, req.defaultName);
  const unlimited = { maxMacs: Infinity, maxMemoryBytes: Infinity };
  const p = stage('plan', () => planRun(a, req.network, unlimited));
  const estimate = { macs: p.macs, memoryBytes: p.memoryBytes };
  try {
    planRun(a, p.network.name, req.budget, 'all', 'editor');
  } catch (e) {
    throw new RunFailure('budget', (e as Error).message, estimate);
  }
  return { a, p };
}

/** The input picture for display: the tensor with any normalisation undone. */
function inputPicture(input: Tensor, fileName: string, p: RunPlan): RgbaImage {
  const scaling: InputScaling = /\.npy$/i.test(fileName) ? { kind: 'range' }
    : p.normalise === 'imagenet' ? { kind: 'normalised', mean: IMAGENET_MEAN, std: IMAGENET_STD } : { kind: 'unit' };
  return inputToRgba(input.data, input.shape, scaling);
}

async function run(req: RunRequest, signal: AbortSignal): Promise<void> {
  const { id } = req;
  const { a, p } = plan(req);
  // The panel lists the layers from this analysis (the extension has none of its own).
  const views = layerViews(a, p.network);
  const table = networkTable(a, p.network);
  const loadStart = performance.now();
  // Decoding the image counts in the run's memory budget: it may use what the network leaves of it.
  const input = stage('input', () => loadInput(req.image.bytes, req.image.fileName, p, { maxBytes: req.budget.maxMemoryBytes - p.memoryBytes }));
  const picture = inputPicture(input, req.image.fileName, p);
  let params: LayerParams[];
  let paramsCached = false;
  if (req.weights) {
    const weights = req.weights;
    params = stage('weights', () => loadParams(p, weights));
  } else {
    ({ params, cached: paramsCached } = heParams(p, req.seed));
  }
  if (signal.aborted) throw abortError();
  const { backend, name, note } = await chooseBackend(req);
  const loadMs = performance.now() - loadStart;
  const layers = p.network.layers;
  post({
    type: 'started', id, network: p.network.name, layers: views, table, kernels: networkKernels(p.network), inputShape: [...p.inputShape],
    macs: p.macs, memoryBytes: p.memoryBytes, backend: name, ...(name === 'simd' ? { kernelBuild: simdKernelVariant() ?? 'plain' } : {}), ...(note ? { backendNote: note } : {}), paramsCached, loadMs, input: picture,
  }, [picture.rgba.buffer]);

  const cam = findCamLayers(p.layers.map((l) => l.kind), p.inputs);
  // Only the last finished run is kept besides this one; the others' buffers go to the pool.
  for (const old of [...kept.keys()]) if (old !== lastFinished) forget(old);
  const outputs: Tensor[] = [];
  kept.set(id, outputs);
  const maxSide = req.maxSide ?? Infinity;
  const runStart = performance.now();
  try {
    // The panel asks about any layer after the run, so every output is kept (and none recycled mid-run).
    await forward(input, p.layers, params, {
      backend,
      inputs: p.inputs,
      signal,
      keep: 'all',
      alloc,
      onLayer: (i, out) => {
        outputs.push(out);
        post({ type: 'progress', id, index: i, count: layers.length, text: layers[i].decl.text });
        sendLayer(id, i, out, maxSide);
      },
    });
  } catch (e) {
    forget(id);
    failure('run', e);
  }
  const runMs = performance.now() - runStart;
  if (lastFinished !== undefined && lastFinished !== id) forget(lastFinished);
  lastFinished = id;
  const last = outputs[outputs.length - 1];
  const top = last ? topValues(last.data, 5) : [];
  const camResult = cam && last ? camMaps(outputs[cam.feature], params[cam.fc].weight!, last, cam, req.camClasses ?? 5) : undefined;
  post({ type: 'done', id, runMs, top, ...(camResult ? { cam: camResult } : {}) }, camResult ? camResult.classes.map((c) => c.map.buffer) : []);
}

/** The class-activation maps of the top `k` classes of the final output. */
function camMaps(features: Tensor, weight: Float32Array, last: Tensor, cam: { feature: number; gap: number; fc: number }, k: number): CamResult | undefined {
  if (features.shape.length !== 3) return undefined;
  const [c, h, w] = features.shape;
  const classes = topValues(last.data, Math.max(0, Math.floor(k))).map(({ index, value }) => ({
    index, score: value, map: classActivationMap(features.data, c, h * w, weight, index),
  }));
  return { featureLayer: cam.feature, gapLayer: cam.gap, fcLayer: cam.fc, height: h, width: w, classes };
}

/** The run in progress, so a 'cancel' (or a newer run) can stop it. */
let current: { id: number; controller: AbortController } | undefined;
/** Runs go one at a time: a new request waits for the previous one to wind down. */
let queue: Promise<void> = Promise.resolve();
/** Runs cancelled while still waiting in the queue. */
const cancelledEarly = new Set<number>();

async function handleRun(req: RunRequest): Promise<void> {
  if (cancelledEarly.delete(req.id)) {
    post({ type: 'cancelled', id: req.id });
    return;
  }
  const controller = new AbortController();
  current = { id: req.id, controller };
  try {
    await run(req, controller.signal);
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') {
      post({ type: 'cancelled', id: req.id });
    } else if (e instanceof RunFailure) {
      post({
        type: 'error', id: req.id, kind: e.kind, message: e.message, ...(e.estimate ? { estimate: e.estimate } : {}), ...(e.detail ? { detail: e.detail } : {}),
      });
    } else {
      const detail = detailOf(e, true);
      post({ type: 'error', id: req.id, kind: 'internal', message: `internal error: ${e instanceof Error ? e.message : String(e)}`, ...(detail ? { detail } : {}) });
    }
  } finally {
    if (current?.controller === controller) current = undefined;
  }
}

/**
 * Answers 'prepare' at once (between a run's layers when one is going): the network picked by the
 * extension's rule and why it may not run, if it may not. With `initialise`, a network that may run
 * then gets its He-initialised parameters, queued like a run so a run sent meanwhile waits for them
 * instead of making its own.
 */
function handlePrepare(m: PrepareRequest): void {
  let plan: RunPlan | undefined;
  try {
    const a = analyze(m.text, m.defaultName);
    const network = pickNetwork(a, m.offset, m.network);
    let refusal: string | undefined;
    if (network) {
      try {
        plan = planRun(a, network.name, m.budget, 'all', 'editor');
      } catch (e) {
        refusal = e instanceof Error ? e.message : String(e);
      }
    }
    post({
      type: 'prepared', id: m.id, networks: a.networks.map((n) => n.name),
      ...(network ? { network: preparedNetwork(network) } : {}), ...(refusal !== undefined ? { refusal } : {}),
    });
  } catch (e) {
    post({ type: 'prepared', id: m.id, networks: [], error: `internal error: ${e instanceof Error ? e.message : String(e)}` });
    return;
  }
  const { initialise } = m;
  if (!plan || !initialise) return;
  const p = plan;
  queue = queue.then(() => {
    try {
      heParams(p, initialise.seed);
    } catch {
      // The run, if it comes, meets the same problem and reports it.
    }
  });
}

/** Answers 'export' with the files (their buffers given away), or the reason there are none. */
function handleExport(m: ExportRequest): void {
  try {
    const files = exportFiles(m);
    post({ type: 'exported', id: m.id, files }, transferable([files.main, files.weights]));
  } catch (e) {
    post({ type: 'exported', id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
}

/** Answers 'import' with the model (its weights' buffer given away), or the reason there is none. */
function handleImport(m: ImportRequest): void {
  try {
    const model = importModel(m);
    post({ type: 'imported', id: m.id, model }, transferable([model.weights]));
  } catch (e) {
    post({ type: 'imported', id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
}

/**
 * The buffers of some byte arrays that can be given away: those each array fills whole. A view into a
 * larger buffer (a small Node Buffer lives in a shared pool) is copied by postMessage instead.
 */
function transferable(arrays: readonly (Uint8Array | undefined)[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const b of arrays) {
    if (b && b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) out.add(b.buffer);
  }
  return [...out];
}

function onMessage(m: ToWorker): void {
  if (m?.type === 'query') {
    handleQuery(m);
  } else if (m?.type === 'cancel') {
    if (current?.id === m.id) current.controller.abort();
    else cancelledEarly.add(m.id);
  } else if (m?.type === 'run') {
    current?.controller.abort();
    queue = queue.then(() => handleRun(m));
  } else if (m?.type === 'prepare') {
    handlePrepare(m);
  } else if (m?.type === 'export') {
    handleExport(m);
  } else if (m?.type === 'import') {
    handleImport(m);
  } else {
    const id = typeof (m as { id?: unknown })?.id === 'number' ? (m as { id: number }).id : -1;
    post({ type: 'error', id, kind: 'internal', message: `the run worker does not understand ${JSON.stringify((m as { type?: unknown })?.type)}` });
  }
}

port?.on('message', (m: ToWorker) => {
  try {
    onMessage(m);
  } catch (e) {
    const detail = detailOf(e, true);
    post({ type: 'error', id: -1, kind: 'internal', message: `internal error: ${e instanceof Error ? e.message : String(e)}`, ...(detail ? { detail } : {}) });
  }
});
