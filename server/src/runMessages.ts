/**
 * Every message between the extension host and the run worker (dist/worker.js), declared once as
 * readonly discriminated unions on `type`. The worker runs one network on one image at a time and
 * streams each layer's output back; every reply carries the `id` of the run it belongs to, so a late
 * message from a cancelled run can be told apart from the next run's.
 *
 * Typed arrays travel by transfer (the worker gives its buffers away), never as JSON.
 */
import type { Budget } from './runner.js';

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
  /** A `.safetensors` file; deterministic He initialisation from `seed` when absent. */
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

/** Everything the worker accepts. */
export type ToWorker = RunRequest | PrepareRequest | CancelRequest;

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
 * Worker → extension: one layer's output. `data` is transferred; `min`/`max` hold the finite range of
 * each tile of `displayLayout(shape)` (one per channel of a map, a single one for a vector or a C×1×1
 * map), so the extension can scale to 8 bits without another pass. A constant tile has min = max.
 */
export interface LayerMessage {
  readonly type: 'layer';
  readonly id: number;
  readonly index: number;
  readonly shape: readonly number[];
  readonly data: Float32Array;
  readonly min: Float32Array;
  readonly max: Float32Array;
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
}

/** Everything the worker sends. */
export type FromWorker = StartedMessage | ProgressMessage | LayerMessage | DoneMessage | CancelledMessage | ErrorMessage;

/** True when a value received from a port is a worker message (a cheap guard against stray posts). */
export function isFromWorker(m: unknown): m is FromWorker {
  if (!m || typeof m !== 'object') return false;
  const { type, id } = m as { type?: unknown; id?: unknown };
  return typeof id === 'number' && (type === 'started' || type === 'progress' || type === 'layer' || type === 'done' ||
    type === 'cancelled' || type === 'error');
}
