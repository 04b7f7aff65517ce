/**
 * The run worker (bundled to dist/worker.js and started by the VS Code extension with worker_threads):
 * runs one network of a `.cnn` text on one image off the extension host's thread, so the editor and
 * the language server stay responsive. It reports each layer as it finishes, streams every layer's
 * output back by transferring its buffer, stops at the next layer boundary when cancelled, and answers
 * every failure with a typed 'error' message instead of dying. The messages are in runMessages.ts.
 */
import { parentPort } from 'node:worker_threads';
import { analyze } from './analysis/analyze.js';
import { abortError, IMAGENET_MEAN, IMAGENET_STD, runNetwork, tsBackend, type ConvBackend, type LayerParams, type Tensor } from './engine/index.js';
import { createSimdBackend } from './engine/simd/simd-backend.js';
import {
  channelRanges, classActivationMap, displayLayout, findCamLayers, inputToRgba, topValues, type InputScaling,
} from './interpret.js';
import type { CamResult, ErrorMessage, FromWorker, RgbaImage, RunErrorKind, RunRequest, ToWorker } from './runMessages.js';
import { loadInput, loadParams, planRun, type RunPlan } from './runner.js';

/** An Error that already knows which kind of failure it reports. */
class RunFailure extends Error {
  constructor(readonly kind: RunErrorKind, message: string, readonly estimate?: ErrorMessage['estimate']) {
    super(message);
  }
}

const port = parentPort;

/** Sends a message, giving away the buffers in `transfer` (each must be a plain ArrayBuffer, listed once). */
function post(m: FromWorker, transfer: readonly ArrayBufferLike[] = []): void {
  port?.postMessage(m, transfer as ArrayBuffer[]);
}

/** Re-throws `e` as a RunFailure of `kind`, keeping a RunFailure or an AbortError as it is. */
function failure(kind: RunErrorKind, e: unknown): never {
  if (e instanceof RunFailure || (e as Error)?.name === 'AbortError') throw e;
  throw new RunFailure(kind, e instanceof Error ? e.message : String(e));
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

/** The SIMD backends created so far, by thread count (null where WebAssembly SIMD is unavailable). */
const backends = new Map<number, Promise<ConvBackend | null>>();

async function chooseBackend(req: RunRequest): Promise<{ backend: ConvBackend; name: 'simd' | 'typescript' }> {
  if (req.backend === 'typescript') return { backend: tsBackend, name: 'typescript' };
  const threads = Math.max(1, Math.min(16, Math.floor(req.threads ?? 1)));
  let simd = backends.get(threads);
  if (!simd) {
    simd = createSimdBackend({ threads }).catch(() => null);
    backends.set(threads, simd);
  }
  const b = await simd;
  return b ? { backend: b, name: 'simd' } : { backend: tsBackend, name: 'typescript' };
}

/** A copy of a tensor's data when its buffer cannot be given away as it is (shared, a view, or a SharedArrayBuffer). */
function ownedData(data: Float32Array, mustCopy: boolean): Float32Array {
  const whole = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return mustCopy || !whole ? data.slice() : data;
}

/** Posts one layer's output, giving its buffer away. */
function sendLayer(id: number, index: number, t: Tensor, mustCopy: boolean): void {
  const data = ownedData(t.data, mustCopy);
  const layout = displayLayout(t.shape);
  const { min, max } = channelRanges(data, layout.channels, layout.plane);
  post({ type: 'layer', id, index, shape: [...t.shape], data, min, max }, [data.buffer, min.buffer, max.buffer]);
}

/** He-initialised parameters for a plan, from the cache when the same layers, input shape and seed ran last. */
function heParams(p: RunPlan, seed: number): { params: LayerParams[]; cached: boolean } {
  const key = JSON.stringify([p.inputShape, p.layers, seed]);
  if (paramCache?.key === key) return { params: paramCache.params, cached: true };
  paramCache = undefined; // let the old parameters go before allocating the new ones
  const params = stage('weights', () => loadParams(p, undefined, seed));
  paramCache = { key, params };
  return { params, cached: false };
}

/** Plans the run, refusing it (with the estimate) when it is over budget. */
function plan(req: Pick<RunRequest, 'text' | 'network' | 'defaultName' | 'budget'>): RunPlan {
  const a = analyze(req.text, req.defaultName);
  const unlimited = { maxMacs: Infinity, maxMemoryBytes: Infinity };
  const p = stage('plan', () => planRun(a, req.network, unlimited));
  const estimate = { macs: p.macs, memoryBytes: p.memoryBytes };
  try {
    planRun(a, p.network.name, req.budget);
  } catch (e) {
    throw new RunFailure('budget', (e as Error).message, estimate);
  }
  return p;
}

/** The input picture for display: the tensor with any normalisation undone. */
function inputPicture(input: Tensor, fileName: string, p: RunPlan): RgbaImage {
  const scaling: InputScaling = /\.npy$/i.test(fileName) ? { kind: 'range' }
    : p.normalise === 'imagenet' ? { kind: 'normalised', mean: IMAGENET_MEAN, std: IMAGENET_STD } : { kind: 'unit' };
  return inputToRgba(input.data, input.shape, scaling);
}

async function run(req: RunRequest, signal: AbortSignal): Promise<void> {
  const { id } = req;
  const p = plan(req);
  const loadStart = performance.now();
  const input = stage('input', () => loadInput(req.image.bytes, req.image.fileName, p));
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
  const { backend, name } = await chooseBackend(req);
  const loadMs = performance.now() - loadStart;
  const layers = p.network.layers;
  post({
    type: 'started', id, network: p.network.name, layerCount: layers.length, inputShape: [...p.inputShape],
    macs: p.macs, memoryBytes: p.memoryBytes, backend: name, paramsCached, loadMs, input: picture,
  }, [picture.rgba.buffer]);

  const cam = findCamLayers(p.layers.map((l) => l.kind));
  let camFeatures: Tensor | undefined;
  // Each output is sent one layer late: by then the next layer has read it, so its buffer can be given
  // away. An output sharing its buffer with the next one (flatten, dropout) is copied instead.
  let pending: { index: number; t: Tensor } | undefined;
  const runStart = performance.now();
  const outputs = await runNetwork(input, p.layers, params, {
    backend,
    signal,
    keep: 'last',
    onLayer: (i, out) => {
      post({ type: 'progress', id, index: i, count: layers.length, text: layers[i].decl.text });
      if (pending) sendLayer(id, pending.index, pending.t, pending.t.data.buffer === out.data.buffer);
      if (cam && i === cam.feature) camFeatures = { shape: [...out.shape], data: out.data.slice() };
      pending = { index: i, t: out };
    },
  }).catch((e: unknown) => failure('run', e));
  const runMs = performance.now() - runStart;
  const last = layers.length ? outputs[outputs.length - 1] : undefined;
  const top = last ? topValues(last.data, 5) : [];
  const camResult = cam && camFeatures && last ? camMaps(camFeatures, params[cam.fc].weight!, last, cam, req.camClasses ?? 5) : undefined;
  if (pending) sendLayer(id, pending.index, pending.t, false);
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
      post({ type: 'error', id: req.id, kind: e.kind, message: e.message, ...(e.estimate ? { estimate: e.estimate } : {}) });
    } else {
      post({ type: 'error', id: req.id, kind: 'internal', message: `internal error: ${e instanceof Error ? e.message : String(e)}` });
    }
  } finally {
    if (current?.controller === controller) current = undefined;
  }
}

function onMessage(m: ToWorker): void {
  if (m?.type === 'cancel') {
    if (current?.id === m.id) current.controller.abort();
    else cancelledEarly.add(m.id);
  } else if (m?.type === 'run') {
    current?.controller.abort();
    queue = queue.then(() => handleRun(m));
  } else if (m?.type === 'prepare') {
    // Queued like a run, so a run sent meanwhile waits for the parameters instead of making its own.
    queue = queue.then(() => {
      try {
        heParams(plan(m), m.seed);
      } catch {
        // The run, if it comes, meets the same problem and reports it.
      }
    });
  } else {
    const id = typeof (m as { id?: unknown })?.id === 'number' ? (m as { id: number }).id : -1;
    post({ type: 'error', id, kind: 'internal', message: `the run worker does not understand ${JSON.stringify((m as { type?: unknown })?.type)}` });
  }
}

port?.on('message', (m: ToWorker) => {
  try {
    onMessage(m);
  } catch (e) {
    post({ type: 'error', id: -1, kind: 'internal', message: `internal error: ${e instanceof Error ? e.message : String(e)}` });
  }
});
