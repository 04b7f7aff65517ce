/**
 * The layer vocabulary of the language: one record per keyword with its spelling, its options, a
 * snippet and a short explanation. The parser's statements are interpreted against this table, and
 * completion, hover and "did you mean" read the same table, so a layer is described in one place.
 */
import { DEFAULTS } from './kinds.js';
import type { ActivationKind, LayerSpec, Pair, TeachingKernel } from './types.js';

/** The option families a layer may accept. */
export type OptionKind =
  | 'pad' | 'stride' | 'dilation' | 'groups' | 'nobias' | 'teaching' | 'noact' | 'repeat'
  | 'lrn' | 'eps' | 'mode' | 'slope' | 'p' | 'outpad' | 'ceil';

/** One option's documentation, for completion and the README. */
export interface OptionDoc {
  readonly kind: OptionKind;
  readonly label: string;
  readonly snippet: string;
  readonly doc: string;
}

/** A layer keyword: how its head is spelled and which options it takes. */
export interface LayerKeyword {
  /** The keyword as reported in summaries (`conv`, `dwconv`, `maxpool`, …). */
  readonly keyword: string;
  /** How the paper-style head is written, e.g. `convK-N`. */
  readonly synopsis: string;
  /** Completion snippet in VS Code/LSP snippet syntax. */
  readonly snippet: string;
  /** One or two sentences for hovers and completion. */
  readonly doc: string;
  readonly options: readonly OptionKind[];
  /** Matches the lower-cased head; returns the head's numbers or undefined. */
  readonly match: (head: string) => HeadNumbers | undefined;
}

/** Numbers read from a head such as `conv3x5-64` (kernel 3×5, 64 filters). */
export interface HeadNumbers {
  readonly kernel?: Pair;
  readonly count?: number;
  readonly value?: number;
  readonly text?: string;
}

const int = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));

function re(r: RegExp, f: (m: RegExpExecArray) => HeadNumbers): (h: string) => HeadNumbers | undefined {
  return (h) => {
    const m = r.exec(h);
    return m ? f(m) : undefined;
  };
}

const CONV_OPTIONS: readonly OptionKind[] = ['pad', 'stride', 'dilation', 'groups', 'nobias', 'teaching', 'noact', 'repeat'];
const POOL_OPTIONS: readonly OptionKind[] = ['stride', 'pad', 'ceil', 'repeat'];

/** A parameterless activation written as its own name. */
function activation(keyword: ActivationKind, doc: string, aliases: readonly string[] = []): LayerKeyword {
  const names = new Set([keyword, ...aliases]);
  return { keyword, synopsis: keyword, snippet: keyword, doc, options: ['repeat'], match: (h) => (names.has(h) ? {} : undefined) };
}

/** The table of every layer keyword. */
export const LAYER_KEYWORDS: readonly LayerKeyword[] = [
  {
    keyword: 'conv', synopsis: 'convK-N', snippet: 'conv${1:3}-${2:64} pad${3:1}',
    doc: 'Convolution with N filters of size K×K (`convKxL-N` for K×L). Each filter spans all input channels and is slid over the whole map, so the same few weights find a pattern anywhere.',
    options: CONV_OPTIONS,
    match: re(/^conv(\d+)(?:x(\d+))?-(\d+)$/, (m) => ({ kernel: [Number(m[1]), int(m[2]) ?? Number(m[1])], count: Number(m[3]) })),
  },
  {
    keyword: 'dwconv', synopsis: 'dwconvK', snippet: 'dwconv${1:3} pad${2:1}',
    doc: 'Depthwise convolution: one K×K filter per input channel (groups = channels), so channels are filtered separately and the output has as many channels as the input.',
    options: CONV_OPTIONS.filter((o) => o !== 'groups'),
    match: re(/^dwconv(\d+)(?:x(\d+))?$/, (m) => ({ kernel: [Number(m[1]), int(m[2]) ?? Number(m[1])] })),
  },
  {
    keyword: 'deconv', synopsis: 'deconvK-N', snippet: 'deconv${1:2}-${2:64} stride${3:2}',
    doc: 'Transposed convolution with N filters of size K×K, exactly as nn.ConvTranspose2d: each input unit stamps the kernel onto the output, S pixels apart, so `deconv2-64 stride2` doubles the map (U-Net\'s up-convolution). Options: strideS, padP, outpadP, groupsG, dilationD, nobias.',
    options: ['pad', 'stride', 'dilation', 'groups', 'nobias', 'outpad', 'noact', 'repeat'],
    match: re(/^deconv(\d+)(?:x(\d+))?-(\d+)$/, (m) => ({ kernel: [Number(m[1]), int(m[2]) ?? Number(m[1])], count: Number(m[3]) })),
  },
  {
    keyword: 'maxpool', synopsis: 'maxpool[K]', snippet: 'maxpool',
    doc: 'Max pooling over K×K windows (default 2×2, stride = K): keeps the strongest response of each window, shrinks the map, keeps the depth, has no parameters.',
    options: POOL_OPTIONS,
    match: re(/^maxpool(?:(\d+)(?:x(\d+))?)?$/, (m) => ({ kernel: m[1] ? [Number(m[1]), int(m[2]) ?? Number(m[1])] : undefined })),
  },
  {
    keyword: 'avgpool', synopsis: 'avgpool[K]', snippet: 'avgpool',
    doc: 'Average pooling over K×K windows (default 2×2, stride = K); padding zeros count in the average, as in PyTorch. No parameters.',
    options: POOL_OPTIONS,
    match: re(/^avgpool(?:(\d+)(?:x(\d+))?)?$/, (m) => ({ kernel: m[1] ? [Number(m[1]), int(m[2]) ?? Number(m[1])] : undefined })),
  },
  {
    keyword: 'gap', synopsis: 'gap', snippet: 'gap',
    doc: 'Global average pooling: the mean of each whole channel, C×H×W → C×1×1. Replaces flatten + a large fc layer in modern networks.',
    options: ['repeat'], match: re(/^(?:gap|globalavgpool)$/, () => ({})),
  },
  {
    keyword: 'flatten', synopsis: 'flatten', snippet: 'flatten',
    doc: 'Flattens a C×H×W map into a vector of C·H·W numbers (channel-major, as torch.flatten).',
    options: [], match: re(/^flatten$/, () => ({})),
  },
  {
    keyword: 'fc', synopsis: 'fc-N', snippet: 'fc-${1:4096}',
    doc: 'Fully connected layer with N outputs: every output sees every input, so it has in·N weights + N biases. A map before it is flattened implicitly.',
    options: ['nobias', 'noact', 'repeat'],
    match: re(/^(?:fc|linear)-(\d+)$/, (m) => ({ count: Number(m[1]) })),
  },
  activation('relu', 'Rectified linear unit max(0, x): the usual nonlinearity between layers.'),
  activation('relu6', 'ReLU capped at 6, min(max(0, x), 6): MobileNet\'s activation, robust in low precision.'),
  activation('silu', 'SiLU (swish) x·sigmoid(x): a smooth ReLU (EfficientNet). Also written `swish`.', ['swish']),
  activation('hardswish', 'Hard swish x·relu6(x + 3)/6: a cheap swish (MobileNetV3).'),
  activation('hardsigmoid', 'Hard sigmoid relu6(x + 3)/6: a cheap sigmoid (MobileNetV3\'s squeeze-and-excitation).'),
  {
    keyword: 'leakyrelu', synopsis: 'leakyrelu[SLOPE]', snippet: 'leakyrelu',
    doc: 'Leaky ReLU: x for x > 0, slope·x otherwise (slope 0.01 unless written, e.g. `leakyrelu0.2`).',
    options: ['slope', 'repeat'], match: re(/^leakyrelu(\d*\.?\d+)?$/, (m) => ({ value: m[1] === undefined ? undefined : Number(m[1]) })),
  },
  activation('sigmoid', 'Logistic sigmoid 1/(1+e^−x), squashing to (0, 1).'),
  activation('tanh', 'Hyperbolic tangent, squashing to (−1, 1).'),
  {
    keyword: 'softmax', synopsis: 'softmax', snippet: 'softmax',
    doc: 'Softmax: turns scores into probabilities that sum to 1 (over the vector, or over channels at each position of a map). The paper writes `soft-max`.',
    options: [], match: re(/^soft-?max$/, () => ({})),
  },
  {
    keyword: 'bn', synopsis: 'bn', snippet: 'bn',
    doc: 'Batch normalisation: a learned scale and shift per channel (2 parameters each); the running mean and variance are buffers, not parameters.',
    options: ['eps', 'repeat'], match: re(/^(?:bn|batchnorm)$/, () => ({})),
  },
  {
    keyword: 'lrn', synopsis: 'lrn', snippet: 'lrn',
    doc: 'Local response normalisation across neighbouring channels (AlexNet; VGG\'s A-LRN). No parameters. Defaults as the VGG paper: size 5, alpha 1e-4, beta 0.75, k 2.',
    options: ['lrn', 'repeat'], match: re(/^lrn$/, () => ({})),
  },
  {
    keyword: 'dropout', synopsis: 'dropout[P]', snippet: 'dropout',
    doc: 'Dropout with probability P (0.5 unless written, e.g. `dropout0.3`): active only in training, the identity at inference. No parameters.',
    options: ['p', 'repeat'], match: re(/^dropout(\d*\.?\d+)?$/, (m) => ({ value: m[1] === undefined ? undefined : Number(m[1]) })),
  },
  {
    keyword: 'upsample', synopsis: 'upsampleF', snippet: 'upsample${1:2} ${2|nearest,zeros|}',
    doc: 'Upsampling by F to H·F × W·F: `nearest` repeats each value F×F times; `zeros` inserts zeros between samples (zero insertion, smoothed by the conv that follows); `bilinear` interpolates as PyTorch with align_corners=False.',
    options: ['mode', 'repeat'], match: re(/^upsample(\d+)$/, (m) => ({ value: Number(m[1]) })),
  },
];

/** Words that start statements other than layers. */
export const STATEMENT_KEYWORDS = ['network', 'input', 'auto', 'block', 'repeat', 'residual', 'shortcut', 'parallel', 'branch', 'add', 'concat', 'mul', 'end'] as const;

/** Documentation of statements other than layers, for hover and completion. */
export const STATEMENT_DOCS: Readonly<Record<(typeof STATEMENT_KEYWORDS)[number], { snippet: string; doc: string }>> = {
  network: { snippet: 'network ${1:name}', doc: 'Starts a network. Optional when a file holds one; a file may hold several side by side.' },
  input: { snippet: 'input ${1:3}x${2:224}x${3:224}', doc: 'The input tensor as C×H×W (channels × height × width). First statement of a network. `input 3x224x224 imagenet` normalises images with ImageNet\'s mean and std before a run.' },
  auto: { snippet: 'auto ${1:relu}', doc: 'Adds the named layers after every conv and every hidden fc (all fc but the last) from here on, e.g. `auto relu` or `auto bn relu` (bn after convs only). The added layers are listed in the summary. `auto none` stops it; `noact` on a line skips it there.' },
  block: { snippet: 'block ${1:name}\n\t$0\nend', doc: 'Defines a named block of layers, used later by writing its name on a line (`name x3` repeats it).' },
  repeat: { snippet: 'repeat ${1:2}\n\t$0\nend', doc: 'Repeats the lines up to `end` N times.' },
  residual: { snippet: 'residual\n\t$0\nend', doc: 'A residual connection: `out = merge(shortcut(x), body(x))`, with the body up to `shortcut` (or `end`) and the shortcut after it (the identity when there is none). The merge is `add` unless written: `residual concat` (DenseNet: shortcut then body), `residual mul` (squeeze-and-excitation).' },
  shortcut: { snippet: 'shortcut', doc: 'Starts the shortcut of a `residual` (e.g. a projection `conv1-C strideS nobias` + `bn`); without it the shortcut is the identity.' },
  parallel: { snippet: 'parallel\nbranch\n\t$1\nbranch\n\t$0\nend', doc: 'Parallel branches that all read the same input, merged at `end` by `concat` (channels in the order written; the default) or `add`. An empty branch is the identity.' },
  branch: { snippet: 'branch', doc: 'Starts a branch of a `parallel`.' },
  add: { snippet: 'add ${1:label}', doc: 'Adds earlier labelled outputs to the current tensor, element-wise (a long skip connection).' },
  concat: { snippet: 'concat ${1:label}', doc: 'Joins earlier labelled outputs and the current tensor along channels, in the order written and the current one last (U-Net\'s `torch.cat([skip, up])` is `concat skip`).' },
  mul: { snippet: 'mul ${1:label}', doc: 'Multiplies the current tensor element-wise by an earlier labelled output; a C×1×1 side is broadcast over C×H×W.' },
  end: { snippet: 'end', doc: 'Ends a `block`, `repeat`, `residual` or `parallel`.' },
};

/** Options of every family, for completion. */
export const OPTION_DOCS: readonly OptionDoc[] = [
  { kind: 'pad', label: 'padP', snippet: 'pad${1:1}', doc: 'Zero padding of P pixels on every side (`padPxQ` for height × width).' },
  { kind: 'pad', label: 'same', snippet: 'same', doc: 'Padding (K−1)/2 (dilated kernel), which keeps the size at stride 1. Needs an odd kernel.' },
  { kind: 'stride', label: 'strideS', snippet: 'stride${1:2}', doc: 'Step of S pixels between positions (`strideSxT` for height × width).' },
  { kind: 'dilation', label: 'dilationD', snippet: 'dilation${1:2}', doc: 'Spaces the kernel taps D pixels apart: a 3×3 kernel with dilation 2 covers 5×5.' },
  { kind: 'groups', label: 'groupsG', snippet: 'groups${1:2}', doc: 'Splits channels into G groups convolved separately; in and out channels must be divisible by G.' },
  { kind: 'nobias', label: 'nobias', snippet: 'nobias', doc: 'No bias term (common before batch norm).' },
  { kind: 'noact', label: 'noact', snippet: 'noact', doc: 'Do not add the `auto` layers after this line.' },
  { kind: 'repeat', label: 'xN', snippet: 'x${1:2}', doc: 'Repeats the line N times (`conv3-256 pad1 x3`).' },
  { kind: 'teaching', label: 'sobelx', snippet: 'sobelx', doc: 'Fixed Sobel kernel for vertical edges (responds to left-to-right changes). 3×3.' },
  { kind: 'teaching', label: 'sobely', snippet: 'sobely', doc: 'Fixed Sobel kernel for horizontal edges. 3×3.' },
  { kind: 'teaching', label: 'prewittx', snippet: 'prewittx', doc: 'Fixed Prewitt kernel for vertical edges. 3×3.' },
  { kind: 'teaching', label: 'prewitty', snippet: 'prewitty', doc: 'Fixed Prewitt kernel for horizontal edges. 3×3.' },
  { kind: 'teaching', label: 'laplacian', snippet: 'laplacian', doc: 'Fixed Laplacian kernel: responds to spots and edges in every direction. 3×3.' },
  { kind: 'teaching', label: 'boxblur', snippet: 'boxblur', doc: 'Fixed box-car kernel: the mean of the K×K window (the lecture\'s 5×5 blur).' },
  { kind: 'teaching', label: 'gaussian', snippet: 'gaussian', doc: 'Fixed Gaussian blur kernel of the layer\'s size.' },
  { kind: 'teaching', label: 'identity', snippet: 'identity', doc: 'Fixed kernel with 1 at the centre: passes the input through.' },
  { kind: 'lrn', label: 'sizeN', snippet: 'size${1:5}', doc: 'Number of neighbouring channels in the normalisation (default 5).' },
  { kind: 'lrn', label: 'alphaA', snippet: 'alpha${1:1e-4}', doc: 'Scale of the squared sum (default 1e-4; divided by size, as PyTorch).' },
  { kind: 'lrn', label: 'betaB', snippet: 'beta${1:0.75}', doc: 'Exponent (default 0.75).' },
  { kind: 'lrn', label: 'kK', snippet: 'k${1:2}', doc: 'Additive constant (default 2, as AlexNet and VGG).' },
  { kind: 'slope', label: 'slopeS', snippet: 'slope${1:0.2}', doc: 'Negative slope of leakyrelu (default 0.01).' },
  { kind: 'p', label: 'pP', snippet: 'p${1:0.5}', doc: 'Dropout probability (default 0.5).' },
  { kind: 'eps', label: 'epsE', snippet: 'eps${1:1e-5}', doc: 'Added to the variance for stability (default 1e-5, as PyTorch).' },
  { kind: 'mode', label: 'nearest', snippet: 'nearest', doc: 'Repeat each value F×F times.' },
  { kind: 'mode', label: 'zeros', snippet: 'zeros', doc: 'Zero insertion: each value followed by F−1 zeros along each axis.' },
  { kind: 'mode', label: 'bilinear', snippet: 'bilinear', doc: 'Bilinear interpolation, as PyTorch with align_corners=False.' },
  { kind: 'outpad', label: 'outpadP', snippet: 'outpad${1:1}', doc: 'Extra rows/columns on one side of a transposed conv\'s output (output_padding), to reach an odd size.' },
  { kind: 'ceil', label: 'ceil', snippet: 'ceil', doc: 'Ceil mode (PyTorch\'s ceil_mode): a last, partial window is kept, so no row or column is dropped.' },
];

/** The teaching kernels' names. */
export const TEACHING_KERNELS: readonly TeachingKernel[] = ['sobelx', 'sobely', 'prewittx', 'prewitty', 'laplacian', 'boxblur', 'gaussian', 'identity'];

/** A parsed option: its family and value(s). */
export type ParsedOption =
  | { kind: 'pad'; value: Pair | 'same' }
  | { kind: 'stride'; value: Pair }
  | { kind: 'dilation'; value: Pair }
  | { kind: 'groups'; value: number }
  | { kind: 'repeat'; value: number }
  | { kind: 'nobias' }
  | { kind: 'noact' }
  | { kind: 'teaching'; value: TeachingKernel }
  | { kind: 'lrn'; key: 'size' | 'alpha' | 'beta' | 'k'; value: number }
  | { kind: 'eps'; value: number }
  | { kind: 'slope'; value: number }
  | { kind: 'p'; value: number }
  | { kind: 'mode'; value: 'zeros' | 'nearest' | 'bilinear' }
  | { kind: 'outpad'; value: Pair }
  | { kind: 'ceil' };

const NUM = '(\\d+(?:\\.\\d+)?(?:e[-+]?\\d+)?|\\.\\d+)';
const LRN_RE = new RegExp(`^(size|alpha|beta|k)${NUM}$`);
const EPS_RE = new RegExp(`^eps${NUM}$`);
const SLOPE_RE = new RegExp(`^slope${NUM}$`);
const P_RE = new RegExp(`^p${NUM}$`);
const PAIR = /^(\d+)(?:x(\d+))?$/;

function pair(s: string): Pair | undefined {
  const m = PAIR.exec(s);
  return m ? [Number(m[1]), Number(m[2] ?? m[1])] : undefined;
}

/** Reads one option word (lower-cased), or undefined when it is not an option at all. */
export function parseOption(w: string): ParsedOption | undefined {
  let m: RegExpExecArray | null;
  if (w === 'same' || w === 'padsame' || w === 'pad-same') return { kind: 'pad', value: 'same' };
  if ((m = /^pad(.+)$/.exec(w))) { const p = pair(m[1]); return p ? { kind: 'pad', value: p } : undefined; }
  if ((m = /^stride(.+)$/.exec(w))) { const p = pair(m[1]); return p ? { kind: 'stride', value: p } : undefined; }
  if ((m = /^(?:dilation|dil)(.+)$/.exec(w))) { const p = pair(m[1]); return p ? { kind: 'dilation', value: p } : undefined; }
  if ((m = /^outpad(.+)$/.exec(w))) { const p = pair(m[1]); return p ? { kind: 'outpad', value: p } : undefined; }
  if (w === 'ceil') return { kind: 'ceil' };
  if ((m = /^groups?(\d+)$/.exec(w))) return { kind: 'groups', value: Number(m[1]) };
  if ((m = /^[x×](\d+)$/.exec(w))) return { kind: 'repeat', value: Number(m[1]) };
  if (w === 'nobias') return { kind: 'nobias' };
  if (w === 'noact') return { kind: 'noact' };
  if ((TEACHING_KERNELS as readonly string[]).includes(w)) return { kind: 'teaching', value: w as TeachingKernel };
  if ((m = LRN_RE.exec(w))) return { kind: 'lrn', key: m[1] as 'size', value: Number(m[2]) };
  if ((m = EPS_RE.exec(w))) return { kind: 'eps', value: Number(m[1]) };
  if ((m = SLOPE_RE.exec(w))) return { kind: 'slope', value: Number(m[1]) };
  if ((m = P_RE.exec(w))) return { kind: 'p', value: Number(m[1]) };
  if (w === 'zeros' || w === 'nearest' || w === 'bilinear') return { kind: 'mode', value: w };
  return undefined;
}

/** Option words that take a value, so `pad 1` can be written for `pad1`. */
export const VALUE_OPTIONS = ['pad', 'stride', 'dilation', 'groups', 'size', 'alpha', 'beta', 'k', 'eps', 'slope', 'p', 'x', 'outpad'];

/** Finds the keyword whose head pattern matches (head lower-cased). */
export function matchLayer(head: string): { kw: LayerKeyword; nums: HeadNumbers } | undefined {
  for (const kw of LAYER_KEYWORDS) {
    const nums = kw.match(head);
    if (nums) return { kw, nums };
  }
  return undefined;
}

/** The keyword a head starts with, even if its numbers are malformed (`conv3` → conv). */
export function keywordPrefix(head: string): LayerKeyword | undefined {
  const letters = /^[a-z]+/.exec(head)?.[0] ?? '';
  return LAYER_KEYWORDS.find((k) => k.keyword === letters) ?? (letters === 'linear' ? LAYER_KEYWORDS.find((k) => k.keyword === 'fc') : undefined);
}

/** Builds the spec of a layer from its head numbers and options; errors are returned as text. */
export function buildSpec(kw: LayerKeyword, nums: HeadNumbers, opts: readonly ParsedOption[]): LayerSpec {
  const get = <K extends ParsedOption['kind']>(k: K) => opts.find((o) => o.kind === k) as Extract<ParsedOption, { kind: K }> | undefined;
  switch (kw.keyword) {
    case 'conv':
    case 'dwconv': {
      const kernel = nums.kernel!;
      const dilation = get('dilation')?.value ?? [1, 1];
      const pad = get('pad')?.value ?? [0, 0];
      const padding: Pair = pad === 'same'
        ? [Math.floor((dilation[0] * (kernel[0] - 1)) / 2), Math.floor((dilation[1] * (kernel[1] - 1)) / 2)]
        : pad;
      return {
        kind: 'conv', kernel, outChannels: nums.count ?? 0, stride: get('stride')?.value ?? [1, 1], padding, dilation,
        groups: get('groups')?.value ?? 1, bias: !get('nobias'), depthwise: kw.keyword === 'dwconv', teaching: get('teaching')?.value,
      };
    }
    case 'deconv': {
      const pad = get('pad')?.value;
      return {
        kind: 'deconv', kernel: nums.kernel!, outChannels: nums.count ?? 0, stride: get('stride')?.value ?? [1, 1],
        padding: pad === undefined || pad === 'same' ? [0, 0] : pad, outputPadding: get('outpad')?.value ?? [0, 0],
        dilation: get('dilation')?.value ?? [1, 1], groups: get('groups')?.value ?? 1, bias: !get('nobias'),
      };
    }
    case 'maxpool':
    case 'avgpool': {
      const kernel = nums.kernel ?? [DEFAULTS.poolKernel, DEFAULTS.poolKernel];
      const pad = get('pad')?.value ?? [0, 0];
      const padding: Pair = pad === 'same' ? [Math.floor((kernel[0] - 1) / 2), Math.floor((kernel[1] - 1) / 2)] : pad;
      return { kind: kw.keyword, kernel, stride: get('stride')?.value ?? kernel, padding, ceil: !!get('ceil') };
    }
    case 'gap': return { kind: 'gap' };
    case 'flatten': return { kind: 'flatten' };
    case 'fc': return { kind: 'fc', outFeatures: nums.count!, bias: !get('nobias') };
    case 'relu': case 'relu6': case 'sigmoid': case 'tanh': case 'silu': case 'hardswish': case 'hardsigmoid': case 'softmax':
      return { kind: kw.keyword };
    case 'leakyrelu': return { kind: 'leakyrelu', slope: nums.value ?? get('slope')?.value ?? DEFAULTS.leakySlope };
    case 'bn': return { kind: 'bn', eps: get('eps')?.value ?? DEFAULTS.bnEps };
    case 'lrn': {
      const v = (key: 'size' | 'alpha' | 'beta' | 'k', d: number) =>
        (opts.find((o) => o.kind === 'lrn' && o.key === key) as { value: number } | undefined)?.value ?? d;
      const d = DEFAULTS.lrn;
      return { kind: 'lrn', size: v('size', d.size), alpha: v('alpha', d.alpha), beta: v('beta', d.beta), k: v('k', d.k) };
    }
    case 'dropout': return { kind: 'dropout', p: nums.value ?? get('p')?.value ?? DEFAULTS.dropoutP };
    case 'upsample': return { kind: 'upsample', factor: nums.value!, mode: get('mode')?.value ?? 'nearest' };
    default: return { kind: 'unknown' };
  }
}

/** Edit distance, for "did you mean". */
export function levenshtein(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
