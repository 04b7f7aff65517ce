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
 *
 * The worker is also the extension's one analyser of `.cnn` text: it says which network a run would
 * run and whether it may before the extension asks for an image ('prepare' → 'prepared'), describes
 * each layer for the panel when a run starts, and exports and imports models ('export' → 'exported',
 * 'import' → 'imported'), so the extension host bundles neither the analysis nor the engine.
 */
import type { SummaryTable } from '../analysis/summary.js';
import type { ImportProblem } from '../interop/onnxImport.js';
import type { Budget } from './budget.js';
import type { DisplayLayout, FieldGeometry } from './display.js';

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
 * Extension → worker: which network would run and may it, answered at once by 'prepared' with the
 * same `id` (the extension asks before it asks for an image). With `initialise`, the worker then plans
 * the network and He-initialises its parameters into its cache while the user is still picking an
 * image, so the run that follows starts at once (VGG16's 138 million weights take over half a second).
 */
export interface PrepareRequest {
  readonly type: 'prepare';
  /** Chosen by the sender from its own sequence (apart from run ids), echoed by 'prepared'. */
  readonly id: number;
  readonly text: string;
  /** The network by name (a code lens, a re-run); without it, the network at `offset`, else the first. */
  readonly network?: string;
  /** The cursor's offset in `text`: the language server's rule for "the network at the cursor" picks. */
  readonly offset?: number;
  readonly defaultName?: string;
  /** The run's budget; the refusal says when the network is over it. */
  readonly budget: Budget;
  /** He-initialise the parameters for a run with this seed (absent when the run will load a weights file). */
  readonly initialise?: { readonly seed: number };
}

/** A network as a run, an export or the progress notification needs it before the run starts. */
export interface PreparedNetwork {
  readonly name: string;
  /** Where its weights come from without a weights file (see RunKernels). */
  readonly kernels: RunKernels;
  /** Each layer's normalised text, in execution order (`conv3-64 pad1`). */
  readonly layers: readonly string[];
}

/** Worker → extension: the answer to 'prepare'. */
export interface PreparedMessage {
  readonly type: 'prepared';
  readonly id: number;
  /** Every network of the text, by name, in file order. */
  readonly networks: readonly string[];
  /** The network picked; absent when there is none (no network at all, or none of the name asked for). */
  readonly network?: PreparedNetwork;
  /** Why it may not run, meant for the user as it is (errors in the network, or over the budget). */
  readonly refusal?: string;
  /** What went wrong in the worker itself (no answer then). */
  readonly error?: string;
}

/** The formats the worker exports to: ONNX with the weights as initializers, or a PyTorch module (.py). */
export type ExportFormatName = 'onnx' | 'pytorch';

/** Extension → worker: export a network of a `.cnn` text, answered by 'exported' with the same `id`. */
export interface ExportRequest {
  readonly type: 'export';
  readonly id: number;
  readonly text: string;
  readonly defaultName?: string;
  readonly network: string;
  readonly format: ExportFormatName;
  /** The `.cnn` file's base name, which the exported model says it came from. */
  readonly source: string;
  /** A `.safetensors` file to take the weights from. */
  readonly weights?: FileBytes;
  /** Without `weights`: He-initialise from this seed (ONNX always has weights; PyTorch writes none without either). */
  readonly seed?: number;
}

/** What an export writes: the model file, and for PyTorch with weights the state_dict's safetensors beside it. */
export interface ExportedFiles {
  /** The .onnx file, or the .py source as UTF-8. */
  readonly main: Uint8Array;
  /** What the file is, for the user (the format's description, e.g. the ONNX IR version and opset). */
  readonly description: string;
  readonly weights?: Uint8Array;
}

/** Worker → extension: the files of an export (transferred), or why there are none (meant for the user). */
export interface ExportedMessage {
  readonly type: 'exported';
  readonly id: number;
  readonly files?: ExportedFiles;
  readonly error?: string;
}

/** Extension → worker: read an ONNX model as `.cnn` text, answered by 'imported' with the same `id`. */
export interface ImportRequest {
  readonly type: 'import';
  readonly id: number;
  readonly bytes: Uint8Array;
  /** The network's name in the text, and the file's name for messages. */
  readonly name: string;
  readonly label: string;
}

/** An imported model: its text, its figures and its weights as a safetensors file. */
export interface ImportedModel {
  readonly text: string;
  readonly network: string;
  readonly layers: number;
  readonly params: number;
  readonly macs: number;
  /** What the text cannot express; when there is any, the text is not to be opened. */
  readonly problems: readonly ImportProblem[];
  /** The weights as a `.safetensors` file, when the model has any (and no problems). */
  readonly weights?: Uint8Array;
}

/** Worker → extension: the imported model, or why there is none (meant for the user). */
export interface ImportedMessage {
  readonly type: 'imported';
  readonly id: number;
  readonly model?: ImportedModel;
  readonly error?: string;
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
export type ToWorker = RunRequest | PrepareRequest | CancelRequest | QueryRequest | ExportRequest | ImportRequest;

/** An 8-bit RGBA picture, row-major (H, W, 4): the input as the network sees it. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8ClampedArray;
}

/** A layer's receptive-field geometry, marked when an upsampling made it an approximation. */
export interface LayerField extends FieldGeometry {
  readonly approximate: boolean;
}

/** One layer as the panel lists it, from the worker's analysis of the text that runs. */
export interface LayerView {
  readonly index: number;
  /** The layer's normalised text (`conv3-64 pad1`, `relu (auto)`). */
  readonly text: string;
  /** The keyword: conv, dwconv, maxpool, fc, relu, … */
  readonly keyword: string;
  /** The layer kind the engine ran (the LayerSpec kind). */
  readonly kind: string;
  /** 0-based line of the statement in the `.cnn` file. */
  readonly line: number;
  /** The layers it reads, by index (−1 is the network input); a merge (add, concat, mul) reads several. */
  readonly inputs: readonly number[];
  readonly shape: readonly number[];
  readonly params: number;
  readonly formula: string;
  readonly macs: number;
  /** Inserted by an `auto` line. */
  readonly auto: boolean;
  /** Absent when the analysis has none (it always has one for a network that ran). */
  readonly field?: LayerField;
  /** How the output is tiled (channels of a map, or one tile for a vector). */
  readonly layout: DisplayLayout;
}

/**
 * What a network's layers' weights are without a weights file: 'fixed' when every layer with
 * parameters carries a teaching kernel (sobelx…), 'mixed' when some do, 'random' when none do, 'none'
 * without parameters.
 */
export type RunKernels = 'fixed' | 'mixed' | 'random' | 'none';

/** Worker → extension: the run is planned, its inputs are loaded and the first layer starts. */
export interface StartedMessage {
  readonly type: 'started';
  readonly id: number;
  /** The network that runs (resolved when the request named none). */
  readonly network: string;
  /** Each layer as the panel lists it, before any has run. */
  readonly layers: readonly LayerView[];
  /** The summary table of the network, as the panel shows it. */
  readonly table: SummaryTable;
  readonly kernels: RunKernels;
  readonly inputShape: readonly number[];
  /** The analysis' estimate the budget was checked against. */
  readonly macs: number;
  readonly memoryBytes: number;
  /** Which kernels run the convolutions and fc layers. */
  readonly backend: 'simd' | 'typescript';
  /**
   * With backend 'simd', which build of the kernels: 'fma' (relaxed SIMD's fused multiply-add, loaded
   * where the runtime has it: VS Code's Electron, Node 22+) or 'plain'.
   */
  readonly kernelBuild?: 'fma' | 'plain';
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
export type FromWorker =
  | StartedMessage | ProgressMessage | LayerMessage | DoneMessage | CancelledMessage | ErrorMessage | AnswerMessage
  | PreparedMessage | ExportedMessage | ImportedMessage;

/** The worker's replies to requests other than runs and queries, each with the `id` of its request. */
export type ReplyMessage = PreparedMessage | ExportedMessage | ImportedMessage;

/** True when a value received from a port is a worker message (a cheap guard against stray posts). */
export function isFromWorker(m: unknown): m is FromWorker {
  if (!m || typeof m !== 'object') return false;
  const { type, id } = m as { type?: unknown; id?: unknown };
  return typeof id === 'number' && (type === 'started' || type === 'progress' || type === 'layer' || type === 'done' ||
    type === 'cancelled' || type === 'error' || type === 'answer' || type === 'prepared' || type === 'exported' || type === 'imported');
}
