/**
 * The engine's half of the kind table (language/kinds.ts): one kernel call per layer kind. The runner
 * allocates the output at the shape the kind table gives and hands it here with the inputs and the
 * checked parameters; a kind whose output shares its input's buffer (kinds.ts `sharesInput`) has no
 * entry to call. The mapped type makes a kind without a kernel a compile error.
 */
import { convChannels } from '../language/kinds.js';
import type { LayerKind, SpecOf } from '../language/types.js';
import type { Activation, ConvBackend } from './backend.js';
import {
  add_forward, avgpool2d_forward, batchnorm_forward, concat_forward, deconv2d_forward, gap_forward, hardsigmoid_forward,
  hardswish_forward, leakyrelu_forward, lrn_forward, maxpool2d_forward, mul_forward, relu6_forward, relu_forward,
  sigmoid_forward, silu_forward, softmax_channels_forward, softmax_forward, tanh_forward, upsample_bilinear_forward,
  upsample_nearest_forward, upsample_zeros_forward,
} from './kernels.js';
import { mapShape, numel, type Tensor } from './tensor.js';
import type { LayerParams } from './weights.js';

/** What a kernel call gets: the spec, the inputs in order, the output buffer and shape, the parameters. */
export interface OpArgs<K extends LayerKind> {
  readonly spec: SpecOf<K>;
  readonly ins: readonly Tensor[];
  readonly out: Float32Array;
  readonly outShape: readonly number[];
  readonly p: LayerParams;
  readonly backend: ConvBackend;
  /** "layer 3 (conv)", for the kernels' shape asserts. */
  readonly where: string;
  /** For conv and fc in a fused chain (fuse.ts): the activation their epilogue applies. */
  readonly act?: Activation;
  /** For a conv in a fused chain with a residual add: the add's other input, added before `act`. */
  readonly residual?: Float32Array;
}

/** Computes a layer's output into `out`, or `null` for a kind whose output is its input's buffer. */
export type Op<K extends LayerKind> = ((a: OpArgs<K>) => void) | null;

/** An element-wise kernel of one input. */
const unary = <K extends LayerKind>(f: (out: Float32Array, inp: Float32Array) => void): Op<K> => ({ ins, out }) => f(out, ins[0].data);

/** The pooling kernels read the same geometry. */
function pool<K extends 'maxpool' | 'avgpool'>(f: typeof maxpool2d_forward): Op<K> {
  return ({ spec, ins, out, outShape, where }) => f(out, ins[0].data, mapShape(ins[0].shape, where), spec, mapShape(outShape, where));
}

/** The kernel of every layer kind. */
export const OPS: { readonly [K in LayerKind]: Op<K> } = {
  conv({ spec, ins, out, outShape, p, backend, where, act, residual }) {
    // A dwconv's spec may still say groups 1 and 0 channels; its input decides both.
    const x = ins[0];
    const { groups, outC } = convChannels(spec, x.shape[0]);
    backend.conv2d(out, x.data, p.weight!, p.bias ?? null, mapShape(x.shape, where), { ...spec, groups, outChannels: outC }, mapShape(outShape, where), act, residual);
  },
  deconv: ({ spec, ins, out, outShape, p, where }) =>
    deconv2d_forward(out, ins[0].data, p.weight!, p.bias ?? null, mapShape(ins[0].shape, where), spec, mapShape(outShape, where)),
  fc: ({ spec, ins, out, p, backend, act }) => backend.fc(out, ins[0].data, p.weight!, p.bias ?? null, ins[0].data.length, spec.outFeatures, act),
  maxpool: ({ spec, ins, out, outShape, backend, where }) => {
    const inShape = mapShape(ins[0].shape, where), shape = mapShape(outShape, where);
    if (!backend.maxPool2d?.(out, ins[0].data, inShape, spec, shape)) maxpool2d_forward(out, ins[0].data, inShape, spec, shape);
  },
  avgpool: pool(avgpool2d_forward),
  gap: ({ ins, out, where }) => gap_forward(out, ins[0].data, mapShape(ins[0].shape, where)),
  flatten: null,
  dropout: null,
  unknown: null,
  relu: unary(relu_forward),
  relu6: unary(relu6_forward),
  sigmoid: unary(sigmoid_forward),
  tanh: unary(tanh_forward),
  silu: unary(silu_forward),
  hardswish: unary(hardswish_forward),
  hardsigmoid: unary(hardsigmoid_forward),
  leakyrelu: ({ spec, ins, out }) => leakyrelu_forward(out, ins[0].data, spec.slope ?? 0.01),
  softmax({ ins, out }) {
    const x = ins[0];
    if (x.shape.length === 1) softmax_forward(out, x.data);
    else softmax_channels_forward(out, x.data, x.shape[0], numel(x.shape.slice(1)));
  },
  bn({ spec, ins, out, p }) {
    const x = ins[0];
    batchnorm_forward(out, x.data, x.shape[0], numel(x.shape.slice(1)), p.weight!, p.bias!, p.runningMean!, p.runningVar!, spec.eps ?? 1e-5);
  },
  lrn: ({ spec, ins, out }) => lrn_forward(out, ins[0].data, ins[0].shape[0], numel(ins[0].shape.slice(1)), spec),
  upsample({ spec, ins, out, where }) {
    const up = spec.mode === 'bilinear' ? upsample_bilinear_forward : spec.mode === 'nearest' ? upsample_nearest_forward : upsample_zeros_forward;
    up(out, ins[0].data, mapShape(ins[0].shape, where), spec.factor);
  },
  add: ({ ins, out }) => add_forward(out, ins.map((t) => t.data)),
  mul: ({ ins, out, outShape }) => mul_forward(out, ins.map((t) => t.data), outShape[0], numel(outShape.slice(1))),
  concat: ({ ins, out }) => concat_forward(out, ins.map((t) => t.data)),
};
