/**
 * The lowered form of a network: plain records that the analysis, the engine, the CLI and the
 * language server all share. Nothing here knows about text positions beyond offsets. They live in
 * language/ because lowering produces them; the analysis and the engine read them.
 */

/** A half-open range of character offsets [start, end) in the source text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A pair of values for the (height, width) axes. */
export type Pair = readonly [number, number];

/** Names of the fixed teaching kernels a conv layer can carry instead of random weights. */
export type TeachingKernel =
  | 'sobelx' | 'sobely' | 'prewittx' | 'prewitty' | 'laplacian' | 'boxblur' | 'gaussian' | 'identity';

/**
 * Convolution, full or grouped. `depthwise` marks a `dwconv` line: its channel count is only known from
 * the input shape, so the lowered spec has outChannels 0 and groups 1, and the analysis (and the runner,
 * before handing the spec to the engine) take groups = out channels = in channels.
 */
export interface ConvSpec {
  readonly kind: 'conv';
  readonly kernel: Pair;
  readonly outChannels: number;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly groups: number;
  readonly bias: boolean;
  readonly depthwise: boolean;
  /** A fixed teaching kernel applied to every (output, input) channel pair, if the line names one. */
  readonly teaching?: TeachingKernel;
}

/**
 * Transposed convolution exactly as `nn.ConvTranspose2d`: out = (in − 1)·s − 2p + d·(k − 1) + outpad + 1
 * per axis; weights are (in, out/groups, kH, kW).
 */
export interface DeconvSpec {
  readonly kind: 'deconv';
  readonly kernel: Pair;
  readonly outChannels: number;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly outputPadding: Pair;
  readonly dilation: Pair;
  readonly groups: number;
  readonly bias: boolean;
}

/**
 * Max or average pooling with PyTorch semantics: avg counts padding zeros; `ceil` is PyTorch's
 * ceil_mode (a last, partial window is kept unless it would start in the right padding).
 */
export interface PoolSpec {
  readonly kind: 'maxpool' | 'avgpool';
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  /** PyTorch's ceil_mode; absent means floor. */
  readonly ceil?: boolean;
}

/** Global average pooling: C×H×W → C×1×1. */
export interface GapSpec { readonly kind: 'gap' }

/** C×H×W → C·H·W. */
export interface FlattenSpec { readonly kind: 'flatten' }

/** Fully connected layer; a map input is flattened implicitly (C, H, W order, as torch.flatten). */
export interface FcSpec {
  readonly kind: 'fc';
  readonly outFeatures: number;
  readonly bias: boolean;
}

/** The element-wise activations without a setting. */
export type ActivationKind = 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'silu' | 'hardswish' | 'hardsigmoid';

/** Shape-preserving element-wise activations. */
export interface ActivationSpec { readonly kind: ActivationKind }

/** Leaky ReLU: x for x > 0, slope·x otherwise. */
export interface LeakyReluSpec { readonly kind: 'leakyrelu'; readonly slope: number }

/** Softmax over a vector, or over channels at each position of a map. */
export interface SoftmaxSpec { readonly kind: 'softmax' }

/** Batch normalisation at inference: 2 parameters per channel, running mean/var are buffers. */
export interface BatchNormSpec { readonly kind: 'bn'; readonly eps: number }

/** Local response normalisation with PyTorch's LocalResponseNorm formula (alpha divided by size). */
export interface LrnSpec {
  readonly kind: 'lrn';
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
}

/** Dropout: identity at inference; `p` is kept for display. */
export interface DropoutSpec { readonly kind: 'dropout'; readonly p: number }

/**
 * Upsampling by an integer factor to H·F × W·F. `zeros` keeps each sample at (i·F, j·F) and fills
 * the rest with zeros (zero insertion); `nearest` repeats each sample F×F times.
 */
export interface UpsampleSpec { readonly kind: 'upsample'; readonly factor: number; readonly mode: 'zeros' | 'nearest' | 'bilinear' }

/**
 * A merge of several tensors (the graph's joins): `add` and `mul` element-wise (`mul` broadcasts a
 * C×1×1 side over C×H×W), `concat` along channels in the order of the node's inputs.
 */
export interface MergeSpec { readonly kind: 'add' | 'concat' | 'mul' }

/** A line the language did not recognise: it passes its input through so later lines are checked. */
export interface UnknownSpec { readonly kind: 'unknown' }

/** Every layer the language knows, as a discriminated union on `kind`. */
export type LayerSpec =
  | ConvSpec | DeconvSpec | PoolSpec | GapSpec | FlattenSpec | FcSpec | ActivationSpec | LeakyReluSpec | SoftmaxSpec
  | BatchNormSpec | LrnSpec | DropoutSpec | UpsampleSpec | MergeSpec | UnknownSpec;

/** The kinds of layer, one record each in the kind table (language/kinds.ts). */
export type LayerKind = LayerSpec['kind'];

/** The spec of one kind. */
export type SpecOf<K extends LayerKind> = Extract<LayerSpec, { kind: K }>;

/** A tensor shape without the batch axis: [C, H, W] for maps, [N] for vectors. */
export type Shape = readonly number[];

/** How bad a diagnostic is; the names are LSP's, the CLI prints them as they are. */
export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** A text edit by offsets: replace `span` with `text`. */
export interface Edit {
  readonly span: Span;
  readonly text: string;
}

/** A quick fix attached to a diagnostic: a title and the edits that carry it out. */
export interface Fix {
  readonly title: string;
  readonly edits: readonly Edit[];
  /** The fix a user most likely wants (shown first, applied by "fix all"). */
  readonly preferred?: boolean;
}

/** A problem found in the text, with a stable kebab-case code users can look up. */
export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly related?: readonly { readonly span: Span; readonly message: string }[];
  readonly fixes?: readonly Fix[];
}
