/**
 * Every message between the extension host and the run worker (dist/worker.js), declared once as
 * readonly discriminated unions on `type`. The worker runs one network on one image at a time and
 * streams each layer's output back; every reply carries the `id` of the run it belongs to, so a late
 * message from a cancelled run can be told apart from the next run's.
 *
 * The worker keeps every layer's float output of the run in progress and of the last finished run
 * (a VGG16 run is 114 MB of floats, which would otherwise churn the extension host's heap): it
 * streams each layer's 8-bit pixels for display, and answers queries ('query' → 'answer') for other
 * sizes, exact values and channel sums. Typed arrays travel by transfer (the worker gives its buffers
 * away), never as JSON.
 */
import type { Budget } from './plan.js';

/** A file's bytes and its name (the name picks the format: `.npy`, else PNG/JPEG by magic bytes). */
export interface FileBytes {
  readonly bytes: Uint8Array;
  readonly fileName: string;
}

/** Extension → worker: run a network of a `.cnn` text on an image. */
export interface RunRequest {
  readonly type: 'run';
  /** Chosen by the sender, echoed in every reply about this run. */
  readonly id: number;
  /** The whole `.cnn` text; the worker analyses it itself, exactly as the editor did. */
  readonly text: string;
  /** The network to run; the first of the file when absent. */
  readonly network?: string;
  /** Name given to a network without a `network` line (the file's base name, as the server uses). */
  readonly defaultName?: string;
  /** A PNG or JPEG (resized to the input), or a float32 `.npy` of exactly the input shape. */
  readonly image: FileBytes;
  /** A `.safetensors` file or a `.pth`/`.pt` from torch.save; deterministic He initialisation from `seed` when absent. */
  readonly weights?: FileBytes;
  /** Seed of the He initialisation (ignored with weights). */
  readonly seed: number;
  /** Refuse the run up front when its estimate is over this. */
  readonly budget: Budget;
  /** Kernel threads for the SIMD backend (default 1); the TypeScript kernels use one. */
  readonly threads?: number;
  /** 'auto' (default) uses WebAssembly SIMD when it loads; 'typescript' forces the plain kernels. */
  readonly backend?: 'auto' | 'typescript';
  /** Class-activation maps for this many of the top classes when the network ends in gap + fc (default 5). */
  readonly camClasses?: number;
  /** Each layer's pixels are sent with maps larger than this many pixels either way shrunk to it (default: whole). */
  readonly maxSide?: number;
}

/**
 * Extension → worker: get ready for a likely run while the user is still picking an image: plan the
 * network and He-initialise its parameters into the worker's cache, so the run that follows starts at
 * once (VGG16's 138 million weights take over half a second). Unanswered; a problem is reported by
 * the run itself.
 */
export interface PrepareRequest {
  readonly type: 'prepare';
  readonly text: string;
  readonly network?: string;
  readonly defaultName?: string;
  readonly seed: number;
  readonly budget: Budget;
}

/** Extension → worker: stop run `id` at the next layer boundary (answered by 'cancelled'). */
export interface CancelRequest {
  readonly type: 'cancel';
  readonly id: number;
}

/** What can be asked about a layer of a run the worker keeps. */
export type LayerQuery =
  /** The layer's pixels, maps larger than `maxSide` either way shrunk to it (as in LayerMessage). */
  | { readonly kind: 'pixels'; readonly index: number; readonly maxSide: number }
  /** The exact value of unit `flat` (y·W + x, or the vector index) of channel `channel`. */
  | { readonly kind: 'value'; readonly index: number; readonly channel: number; readonly flat: number }
  /** The sum of a (C, H, W) map's channels: H×W values. */
  | { readonly kind: 'sum'; readonly index: number }
  /** A copy of the layer's whole float output. */
  | { readonly kind: 'floats'; readonly index: number };

/** Extension → worker: a question about layer `query.index` of run `run`, answered by 'answer' with the same `id`. */
export interface QueryRequest {
  readonly type: 'query';
  /** Chosen by the sender (its own sequence, apart from run ids). */
  readonly id: number;
  /** The run whose outputs are asked about (its RunRequest id). */
  readonly run: number;
  readonly query: LayerQuery;
}

/** Everything the worker accepts. */
export type ToWorker = RunRequest | PrepareRequest | CancelRequest | QueryRequest;

/** An 8-bit RGBA picture, row-major (H, W, 4): the input as the network sees it. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8ClampedArray;
}

/** Worker → extension: the run is planned, its inputs are loaded and the first layer starts. */
export interface StartedMessage {
  readonly type: 'started';
  readonly id: number;
  /** The network that runs (resolved when the request named none). */
  readonly network: string;
  readonly layerCount: number;
  readonly inputShape: readonly number[];
  /** The analysis' estimate the budget was checked against. */
  readonly macs: number;
  readonly memoryBytes: number;
  /** Which kernels run the convolutions and fc layers. */
  readonly backend: 'simd' | 'typescript';
  /**
   * Why the run is slower than it could be, when it is: the WebAssembly SIMD kernels did not load and
   * the TypeScript kernels (several times slower) run instead, or their worker threads did not start.
   * Absent when the kernels asked for run as asked.
   */
  readonly backendNote?: string;
  /** True when the parameters came from the worker's cache of the previous run (no re-initialisation). */
  readonly paramsCached: boolean;
  /** Milliseconds spent loading the input and the parameters. */
  readonly loadMs: number;
  /** The input after resizing (and with any normalisation undone), for display. */
  readonly input: RgbaImage;
}

/** Worker → extension: layer `index` of `count` has finished (sent as each layer ends, before its data). */
export interface ProgressMessage {
  readonly type: 'progress';
  readonly id: number;
  readonly index: number;
  readonly count: number;
  /** The layer's normalised text, e.g. `conv3-64 pad1`. */
  readonly text: string;
}

/**
 * A layer's output as the panel shows it: the tiles of `displayLayout(shape)` (one per channel of a
 * map, one for a vector or a C×1×1 map), each tileHeight×tileWidth bytes (the map itself, or shrunk
 * by averaging), scaled from the tile's finite range [min, max] to 0..255. A constant tile has min = max
 * and is all 0. A vector's tile is its `plane` values (its last row may be partly empty).
 */
export interface LayerPixels {
  readonly index: number;
  readonly shape: readonly number[];
  readonly tileHeight: number;
  readonly tileWidth: number;
  readonly pixels: Uint8Array;
  readonly min: Float32Array;
  readonly max: Float32Array;
}

/** Worker → extension: layer `index` has finished; its pixels at the request's maxSide (the floats stay in the worker). */
export interface LayerMessage extends LayerPixels {
  readonly type: 'layer';
  readonly id: number;
}

/** The answer to each kind of LayerQuery. */
export type QueryResult =
  | ({ readonly kind: 'pixels' } & LayerPixels)
  | { readonly kind: 'value'; readonly value: number }
  | { readonly kind: 'sum'; readonly height: number; readonly width: number; readonly values: Float32Array }
  | { readonly kind: 'floats'; readonly shape: readonly number[]; readonly data: Float32Array };

/** Worker → extension: the answer to query `id`, or why there is none (an unknown run or layer). */
export interface AnswerMessage {
  readonly type: 'answer';
  readonly id: number;
  readonly result?: QueryResult;
  readonly error?: string;
}

/** One entry of the last layer's largest values. */
export interface TopEntry {
  readonly index: number;
  readonly value: number;
}

/**
 * Class-activation maps (Zhou et al. 2016) for a network ending in gap + fc: for class k,
 * CAM_k = Σ_c w[k, c] · A_c, where A is the map gap averages and w the fc weight. Since gap is an
 * average, the class score is mean(CAM_k) + bias_k.
 */
export interface CamResult {
  /** The layer whose output A the maps weigh (the one just before gap). */
  readonly featureLayer: number;
  /** The gap layer and the fc layer whose weights are used. */
  readonly gapLayer: number;
  readonly fcLayer: number;
  /** Height and width of each map (those of A). */
  readonly height: number;
  readonly width: number;
  /** One map per class, best class first; `score` is the network's final output for that class. */
  readonly classes: readonly { readonly index: number; readonly score: number; readonly map: Float32Array }[];
}

/** Worker → extension: the run finished; every layer has been sent. */
export interface DoneMessage {
  readonly type: 'done';
  readonly id: number;
  /** Milliseconds spent in the layers (excluding loading). */
  readonly runMs: number;
  /** The last layer's largest values (at most 5). */
  readonly top: readonly TopEntry[];
  /** Present when the network ends in gap + fc. */
  readonly cam?: CamResult;
}

/** Worker → extension: the run stopped because it was asked to. */
export interface CancelledMessage {
  readonly type: 'cancelled';
  readonly id: number;
}

/** What went wrong, so the extension can offer the right remedy (e.g. the budget settings). */
export type RunErrorKind = 'plan' | 'budget' | 'input' | 'weights' | 'run' | 'internal';

/** Worker → extension: the run failed; `message` is meant for the user as it is. */
export interface ErrorMessage {
  readonly type: 'error';
  readonly id: number;
  readonly kind: RunErrorKind;
  readonly message: string;
  /** For 'budget' (and whenever the plan was made): the analysis' estimate. */
  readonly estimate?: { readonly macs: number; readonly memoryBytes: number };
  /**
   * For the log, not the user: what lies behind `message` when it has more (the stack of an internal
   * error or of a WebAssembly trap, the decoder's own words about a damaged file).
   */
  readonly detail?: string;
}

/** Everything the worker sends. */
export type FromWorker = StartedMessage | ProgressMessage | LayerMessage | DoneMessage | CancelledMessage | ErrorMessage | AnswerMessage;

/** True when a value received from a port is a worker message (a cheap guard against stray posts). */
export function isFromWorker(m: unknown): m is FromWorker {
  if (!m || typeof m !== 'object') return false;
  const { type, id } = m as { type?: unknown; id?: unknown };
  return typeof id === 'number' && (type === 'started' || type === 'progress' || type === 'layer' || type === 'done' ||
    type === 'cancelled' || type === 'error' || type === 'answer');
}
