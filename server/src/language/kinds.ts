/**
 * What every kind of layer means: one record per kind with its output shape, its parameter tensors (in
 * PyTorch's layouts), its multiply-accumulates and how it moves the receptive field. The analysis, the
 * engine (buffer sizes, weight checks), the weights loader and the hovers all read this table; the
 * engine adds one kernel per kind (engine/ops.ts), and the keyword table (layers.ts) says how a kind is
 * written. Pure functions of plain records: no text, no I/O.
 */
import type { LayerKind, LayerSpec, Pair, Shape, SpecOf } from './types.js';

/** Receptive field state per axis (h, w), as Araujo, Norris and Sim (Distill 2019) define it. */
export interface Field {
  /** Receptive field size r: input pixels one unit sees along the axis. */
  readonly rf: Pair;
  /** Effective stride (jump) S: distance in input pixels between adjacent units. */
  readonly jump: Pair;
  /** Effective padding P: unit i sees input pixels [i·S − P, i·S − P + r − 1]. */
  readonly padding: Pair;
  /** Spatial extent of the last map seen, which an fc layer's kernel covers after a flatten. */
  readonly extent: Pair;
  /** True once an upsampling made the field an approximation (it is not affine in the unit index). */
  readonly approximate: boolean;
}

/** The field of the input itself: each pixel sees itself. */
export function inputField(input: Shape): Field {
  return { rf: [1, 1], jump: [1, 1], padding: [0, 0], extent: [input[1] ?? 1, input[2] ?? 1], approximate: false };
}

/** Tensor shapes of one layer's parameters and buffers; absent keys mean the layer has no such tensor. */
export interface ParamShapes {
  readonly weight?: readonly number[];
  readonly bias?: readonly number[];
  readonly runningMean?: readonly number[];
  readonly runningVar?: readonly number[];
}

/** Why a layer cannot apply to its input(s); becomes a diagnostic with this code. */
export interface KindProblem {
  readonly code: string;
  readonly message: string;
}

/** The meaning of one kind of layer. */
export interface KindRecord<K extends LayerKind> {
  readonly kind: K;
  /** One sentence for hovers: what the layer does. */
  readonly doc: string;
  /** 'many' for merges, which read several tensors; everything else reads one. */
  readonly arity: 'one' | 'many';
  /** True when the (first) input must be a C×H×W map. */
  readonly needsMap: boolean;
  /** True when the layer has learned parameters (and so takes weights when loading). */
  readonly learned: boolean;
  /**
   * True when the output is the input's values unchanged (flatten, dropout, an unrecognised line): the
   * engine hands on the input's buffer, and a run's memory estimate counts it once.
   */
  readonly sharesInput?: true;
  /** The output shape for these input shapes, or why there is none. */
  out(spec: SpecOf<K>, ins: readonly Shape[]): Shape | KindProblem;
  /** Parameter and buffer shapes for this input (the first input for merges). */
  params(spec: SpecOf<K>, inp: Shape): ParamShapes;
  /** Multiply-accumulates (torchvision's convention: convs and fc only; bias adds are not counted). */
  macs(spec: SpecOf<K>, inp: Shape, out: Shape): number;
  /** The receptive field of the output from that of the (chosen) input. */
  field(spec: SpecOf<K>, f: Field, inp: Shape, out: Shape): Field;
  /** How the parameter count is made up, e.g. `64×3×3×3 + 64`. */
  formula(spec: SpecOf<K>, inp: Shape): string;
}

/** The defaults a line gets when it does not say (PyTorch's). */
export const DEFAULTS = {
  leakySlope: 0.01,
  bnEps: 1e-5,
  dropoutP: 0.5,
  poolKernel: 2,
  lrn: { size: 5, alpha: 1e-4, beta: 0.75, k: 2 },
} as const;

import { fmtInt as fmt } from './format.js';
const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const isMap = (s: Shape): boolean => s.length === 3;
const dims = (s: Shape): string => s.map(fmt).join('×');

/** Output length of a window sliding along one axis, as PyTorch computes it (may be ≤ 0). */
export function slide(size: number, kernel: number, stride: number, pad: number, dilation = 1, ceil = false): number {
  const span = size + 2 * pad - dilation * (kernel - 1) - 1;
  if (!ceil) return Math.floor(span / stride) + 1;
  let out = Math.ceil(span / stride) + 1;
  // PyTorch's ceil_mode: the last window must start inside the input or the left padding.
  if ((out - 1) * stride >= size + pad) out--;
  return out;
}

/** Output length of a transposed convolution along one axis (nn.ConvTranspose2d). */
export function slideBack(size: number, kernel: number, stride: number, pad: number, dilation: number, outPad: number): number {
  return (size - 1) * stride - 2 * pad + dilation * (kernel - 1) + outPad + 1;
}

/** Moves the receptive field through a window of kernel k (dilated), stride s and padding p per axis. */
export function through(f: Field, k: Pair, s: Pair, p: Pair, d: Pair, outExtent: Pair): Field {
  const ax = (i: 0 | 1) => {
    const keff = d[i] * (k[i] - 1) + 1;
    return { rf: f.rf[i] + (keff - 1) * f.jump[i], padding: f.padding[i] + p[i] * f.jump[i], jump: f.jump[i] * s[i] };
  };
  const h = ax(0);
  const w = ax(1);
  return { rf: [h.rf, w.rf], jump: [h.jump, w.jump], padding: [h.padding, w.padding], extent: outExtent, approximate: f.approximate };
}

/** The field after an upsampling by `factor` whose output units read `taps` neighbouring inputs (an approximation). */
function finer(f: Field, factor: Pair, taps: Pair, out: Shape): Field {
  return {
    rf: [f.rf[0] + (taps[0] - 1) * f.jump[0], f.rf[1] + (taps[1] - 1) * f.jump[1]],
    jump: [f.jump[0] / factor[0], f.jump[1] / factor[1]], padding: f.padding, extent: [out[1], out[2]], approximate: true,
  };
}

const needMap = (what: string, inp: Shape): KindProblem => ({
  code: 'shape-mismatch', message: `${what} needs a C×H×W map, but its input is a vector of ${fmt(inp[0])} (after flatten or fc)`,
});

function collapse(kernel: Pair, dilation: Pair, padding: Pair, h: number, w: number): KindProblem {
  const kh = dilation[0] * (kernel[0] - 1) + 1;
  const kw = dilation[1] * (kernel[1] - 1) + 1;
  return {
    code: 'shape-collapse',
    message: `the ${kh}×${kw} window is larger than its padded ${h + 2 * padding[0]}×${w + 2 * padding[1]} input (${h}×${w} plus padding ${padding[0]}${padding[1] !== padding[0] ? `×${padding[1]}` : ''}): the output would have no rows or columns`,
  };
}

/** The group count and out channels of a conv on `c` input channels (a dwconv takes both from the input). */
export function convChannels(spec: SpecOf<'conv'>, c: number): { groups: number; outC: number } {
  return spec.depthwise ? { groups: c, outC: c } : { groups: spec.groups, outC: spec.outChannels };
}

/** A shape-preserving layer without parameters (activations, dropout, unknown lines). */
function elementwise<K extends LayerKind>(kind: K, doc: string, needsMap = false, sharesInput = false): KindRecord<K> {
  return {
    kind, doc, arity: 'one', needsMap, learned: false, ...(sharesInput ? { sharesInput: true as const } : {}),
    out: (_s, ins) => ins[0], params: () => ({}), macs: () => 0, field: (_s, f) => f, formula: () => '0',
  };
}

/** A merge: no parameters, no MACs (torchvision's convention), the field of its widest input. */
function merge<K extends 'add' | 'concat' | 'mul'>(kind: K, doc: string, out: KindRecord<K>['out']): KindRecord<K> {
  return { kind, doc, arity: 'many', needsMap: false, learned: false, out, params: () => ({}), macs: () => 0, field: (_s, f) => f, formula: () => '0' };
}

const sameShapes = (ins: readonly Shape[]): boolean => ins.every((s) => s.length === ins[0].length && s.every((v, i) => v === ins[0][i]));

/** The table: one record per kind. TypeScript checks that every kind has one. */
export const KINDS: { readonly [K in LayerKind]: KindRecord<K> } = {
  conv: {
    kind: 'conv', arity: 'one', needsMap: true, learned: true,
    doc: 'Convolution: each filter spans all input channels of its group and slides over the map.',
    out(s, [inp]) {
      if (!isMap(inp)) return needMap(s.depthwise ? 'dwconv' : 'conv', inp);
      const [c, h, w] = inp;
      const { groups, outC } = convChannels(s, c);
      if (c % groups !== 0 || outC % groups !== 0) {
        return { code: 'groups-mismatch', message: `groups${groups} needs in and out channels divisible by ${groups}, but they are ${fmt(c)} and ${fmt(outC)}` };
      }
      const oh = slide(h, s.kernel[0], s.stride[0], s.padding[0], s.dilation[0]);
      const ow = slide(w, s.kernel[1], s.stride[1], s.padding[1], s.dilation[1]);
      if (oh < 1 || ow < 1) return collapse(s.kernel, s.dilation, s.padding, h, w);
      return [outC, oh, ow];
    },
    params(s, inp) {
      const { groups, outC } = convChannels(s, inp[0]);
      const weight = [outC, inp[0] / groups, s.kernel[0], s.kernel[1]];
      return s.bias ? { weight, bias: [outC] } : { weight };
    },
    macs: (s, inp, out) => numel(out) * (inp[0] / convChannels(s, inp[0]).groups) * s.kernel[0] * s.kernel[1],
    field: (s, f, _i, out) => through(f, s.kernel, s.stride, s.padding, s.dilation, [out[1], out[2]]),
    formula(s, inp) {
      const { groups, outC } = convChannels(s, inp[0]);
      return `${fmt(outC)}×${fmt(inp[0] / groups)}×${s.kernel[0]}×${s.kernel[1]}${s.bias ? ` + ${fmt(outC)}` : ''}`;
    },
  },
  deconv: {
    kind: 'deconv', arity: 'one', needsMap: true, learned: true,
    doc: 'Transposed convolution (nn.ConvTranspose2d): each input unit stamps a K×K kernel onto the output, S pixels apart, enlarging the map.',
    out(s, [inp]) {
      if (!isMap(inp)) return needMap('deconv', inp);
      const [c, h, w] = inp;
      if (c % s.groups !== 0 || s.outChannels % s.groups !== 0) {
        return { code: 'groups-mismatch', message: `groups${s.groups} needs in and out channels divisible by ${s.groups}, but they are ${fmt(c)} and ${fmt(s.outChannels)}` };
      }
      const oh = slideBack(h, s.kernel[0], s.stride[0], s.padding[0], s.dilation[0], s.outputPadding[0]);
      const ow = slideBack(w, s.kernel[1], s.stride[1], s.padding[1], s.dilation[1], s.outputPadding[1]);
      if (oh < 1 || ow < 1) return { code: 'shape-collapse', message: `the padding ${s.padding.join('×')} removes every row or column of the ${oh + 2 * s.padding[0]}×${ow + 2 * s.padding[1]} transposed-conv output` };
      return [s.outChannels, oh, ow];
    },
    params(s, inp) {
      const weight = [inp[0], s.outChannels / s.groups, s.kernel[0], s.kernel[1]];
      return s.bias ? { weight, bias: [s.outChannels] } : { weight };
    },
    macs: (s, inp) => numel(inp) * (s.outChannels / s.groups) * s.kernel[0] * s.kernel[1],
    // Each output unit reads about ceil(k·d/s) input units per axis: an approximation, as for upsampling.
    field: (s, f, _i, out) => finer(f, s.stride, [Math.ceil((s.dilation[0] * (s.kernel[0] - 1) + 1) / s.stride[0]), Math.ceil((s.dilation[1] * (s.kernel[1] - 1) + 1) / s.stride[1])], out),
    formula: (s, inp) => `${fmt(inp[0])}×${fmt(s.outChannels / s.groups)}×${s.kernel[0]}×${s.kernel[1]}${s.bias ? ` + ${fmt(s.outChannels)}` : ''}`,
  },
  maxpool: pool('maxpool', 'Max pooling: keeps the strongest response of each window; no parameters.'),
  avgpool: pool('avgpool', 'Average pooling: the mean of each window (padding zeros count, as in PyTorch); no parameters.'),
  gap: {
    kind: 'gap', arity: 'one', needsMap: true, learned: false,
    doc: 'Global average pooling: the mean of each whole channel, C×H×W → C×1×1.',
    out: (_s, [inp]) => (isMap(inp) ? [inp[0], 1, 1] : needMap('gap', inp)),
    params: () => ({}), macs: () => 0, formula: () => '0',
    field: (_s, f, inp) => through(f, [inp[1], inp[2]], [1, 1], [0, 0], [1, 1], [1, 1]),
  },
  flatten: {
    kind: 'flatten', arity: 'one', needsMap: false, learned: false, sharesInput: true,
    doc: 'Flattens a C×H×W map into a vector (channel-major, as torch.flatten).',
    out: (_s, [inp]) => [numel(inp)], params: () => ({}), macs: () => 0, field: (_s, f) => f, formula: () => '0',
  },
  fc: {
    kind: 'fc', arity: 'one', needsMap: false, learned: true,
    doc: 'Fully connected layer: every output sees every input.',
    out: (s) => [s.outFeatures],
    params(s, inp) {
      const weight = [s.outFeatures, numel(inp)];
      return s.bias ? { weight, bias: [s.outFeatures] } : { weight };
    },
    macs: (s, inp) => numel(inp) * s.outFeatures,
    // The fc kernel covers the whole map it reads, whether flattened here or by a flatten line.
    field: (_s, f, inp) => through(f, isMap(inp) ? [inp[1], inp[2]] : f.extent, [1, 1], [0, 0], [1, 1], [1, 1]),
    formula: (s, inp) => `${fmt(s.outFeatures)}×${isMap(inp) ? `(${dims(inp)})` : fmt(numel(inp))}${s.bias ? ` + ${fmt(s.outFeatures)}` : ''}`,
  },
  relu: elementwise('relu', 'ReLU max(0, x).'),
  relu6: elementwise('relu6', 'ReLU6 min(max(0, x), 6) (MobileNet).'),
  sigmoid: elementwise('sigmoid', 'Logistic sigmoid 1/(1+e^−x).'),
  tanh: elementwise('tanh', 'Hyperbolic tangent.'),
  silu: elementwise('silu', 'SiLU (swish) x·sigmoid(x) (EfficientNet).'),
  hardswish: elementwise('hardswish', 'Hard swish x·relu6(x+3)/6 (MobileNetV3).'),
  hardsigmoid: elementwise('hardsigmoid', 'Hard sigmoid relu6(x+3)/6 (MobileNetV3).'),
  leakyrelu: elementwise('leakyrelu', 'Leaky ReLU: x for x > 0, slope·x otherwise.'),
  softmax: elementwise('softmax', 'Softmax over the vector, or over channels at each position.'),
  dropout: elementwise('dropout', 'Dropout: the identity at inference.', false, true),
  unknown: elementwise('unknown', 'An unrecognised line: passes its input through so later lines are checked.', false, true),
  lrn: elementwise('lrn', 'Local response normalisation across neighbouring channels.', true),
  bn: {
    kind: 'bn', arity: 'one', needsMap: false, learned: true,
    doc: 'Batch normalisation: a learned scale and shift per channel; running mean and variance are buffers.',
    out: (_s, [inp]) => inp,
    params: (_s, inp) => ({ weight: [inp[0]], bias: [inp[0]], runningMean: [inp[0]], runningVar: [inp[0]] }),
    macs: () => 0, field: (_s, f) => f, formula: (_s, inp) => `2×${fmt(inp[0])}`,
  },
  upsample: {
    kind: 'upsample', arity: 'one', needsMap: true, learned: false,
    doc: 'Upsampling by an integer factor (nearest, zero insertion or bilinear).',
    out: (s, [inp]) => (isMap(inp) ? [inp[0], inp[1] * s.factor, inp[2] * s.factor] : needMap('upsample', inp)),
    params: () => ({}), macs: () => 0, formula: () => '0',
    field: (s, f, _i, out) => finer(f, [s.factor, s.factor], s.mode === 'bilinear' ? [2, 2] : [1, 1], out),
  },
  add: merge('add', 'Element-wise sum of its inputs (a residual connection).', (_s, ins) => (sameShapes(ins) ? ins[0] : mismatch('add', ins))),
  mul: merge('mul', 'Element-wise product of its inputs; a C×1×1 side is broadcast over C×H×W (squeeze-and-excitation).', (_s, ins) => {
    const big = ins.find((s) => s.length === 3 && (s[1] > 1 || s[2] > 1)) ?? ins[0];
    const fits = ins.every((s) => (s.length === big.length && s.every((v, i) => v === big[i])) || (s.length === 3 && s[0] === big[0] && s[1] === 1 && s[2] === 1));
    return fits ? big : mismatch('mul', ins);
  }),
  concat: merge('concat', 'Concatenation along channels, in the order of its inputs.', (_s, ins) => {
    const first = ins[0];
    const ok = ins.every((s) => s.length === first.length && (s.length !== 3 || (s[1] === first[1] && s[2] === first[2])));
    if (!ok) return mismatch('concat', ins);
    return first.length === 3 ? [ins.reduce((a, s) => a + s[0], 0), first[1], first[2]] : [ins.reduce((a, s) => a + s[0], 0)];
  }),
};

/** A merge whose inputs do not fit; the analysis names the inputs in its own message. */
function mismatch(kind: string, ins: readonly Shape[]): KindProblem {
  return { code: 'merge-mismatch', message: `${kind}: the inputs are ${ins.map(dims).join(', ')}` };
}

function pool<K extends 'maxpool' | 'avgpool'>(kind: K, doc: string): KindRecord<K> {
  const record: KindRecord<'maxpool' | 'avgpool'> = {
    kind, doc, arity: 'one', needsMap: true, learned: false,
    out(s, [inp]) {
      if (!isMap(inp)) return needMap(kind, inp);
      const [c, h, w] = inp;
      const oh = slide(h, s.kernel[0], s.stride[0], s.padding[0], 1, s.ceil);
      const ow = slide(w, s.kernel[1], s.stride[1], s.padding[1], 1, s.ceil);
      if (oh < 1 || ow < 1) return collapse(s.kernel, [1, 1], s.padding, h, w);
      return [c, oh, ow];
    },
    params: () => ({}), macs: () => 0, formula: () => '0',
    field: (s, f, _i, out) => through(f, s.kernel, s.stride, s.padding, [1, 1], [out[1], out[2]]),
  };
  return record as unknown as KindRecord<K>;
}

/** The record of a spec's kind. */
export function kindOf<K extends LayerKind>(spec: SpecOf<K>): KindRecord<K> {
  return KINDS[spec.kind as K] as KindRecord<K>;
}

/** True for a problem rather than a shape. */
export function isProblem(x: Shape | KindProblem): x is KindProblem {
  return !Array.isArray(x);
}

/** True when the spec merges several tensors. */
export const isMerge = (spec: LayerSpec): spec is SpecOf<'add' | 'concat' | 'mul'> => KINDS[spec.kind].arity === 'many';
