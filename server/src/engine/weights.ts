/**
 * Per-layer parameters and the deterministic initialisation that gives every network the same
 * pictures every time it runs without a weights file.
 */
import type { LayerSpec } from '../language/types.js';
import { firstInputShapes, layerName, layerParamShapes, type ParamShapes } from './shapes.js';
import { teachingWeight } from './teaching.js';
import { numel, shapeStr } from './tensor.js';

/**
 * The parameters of one layer in PyTorch layouts: conv weight (Cout, Cin/groups, kH, kW), fc weight
 * (out, in), bn weight/bias/running stats (C). Layers without parameters get an empty record.
 */
export interface LayerParams {
  weight?: Float32Array;
  bias?: Float32Array;
  runningMean?: Float32Array;
  runningVar?: Float32Array;
}

/** The record keys and the PyTorch state_dict suffix each one is stored under. */
export const PARAM_NAMES = [
  ['weight', 'weight'],
  ['bias', 'bias'],
  ['runningMean', 'running_mean'],
  ['runningVar', 'running_var'],
] as const;

/** A small fast seeded PRNG (mulberry32) returning uniform numbers in [0, 1): the tests' and benchmarks' random data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fills `out` with uniform samples in [−bound, bound) from a xorshift32 stream seeded by `seed`. The
 * initialiser draws every conv and fc weight with it, so it is built for speed: three shifts, three
 * xors and a multiply per number, inlined (VGG16 alone needs 138 million), about eight times faster
 * than normal samples by Box–Muller (0.27 s instead of 2.3 s for VGG16). The seed goes through
 * murmur3's finaliser first, so nearby seeds start far apart and the state is never 0 (the one state
 * xorshift cannot leave).
 */
export function fillUniform(out: Float32Array, bound: number, seed: number): void {
  let s = seed >>> 0;
  s = Math.imul(s ^ (s >>> 16), 0x85ebca6b);
  s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35);
  s = (s ^ (s >>> 16)) | 0;
  if (s === 0) s = 0x6d2b79f5;
  // The state read as a signed 32-bit integer is uniform over [−2³¹, 2³¹) without 0.
  const scale = bound / 2147483648;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s * scale;
  }
}

/**
 * Seed of layer `index`'s generator, mixed from the run seed so that editing one layer leaves every
 * other layer's weights (and so its feature maps) unchanged.
 */
function layerSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}

/** Parameters of a conv layer with a teaching kernel: the fixed weight and a zero bias. */
export function teachingParams(spec: LayerSpec, inShape: readonly number[]): LayerParams {
  if (spec.kind !== 'conv' || !spec.teaching) return {};
  const inPerGroup = inShape[0] / spec.groups;
  const p: LayerParams = {
    weight: teachingWeight(spec.teaching, spec.outChannels, inPerGroup, spec.kernel[0], spec.kernel[1]),
  };
  if (spec.bias) p.bias = new Float32Array(spec.outChannels);
  return p;
}

/**
 * Deterministic parameters for every layer: He-initialised conv and fc weights, zero biases, bn as
 * identity (weight 1, bias 0, mean 0, var 1), and the fixed kernel for convs that name a teaching kernel.
 * The weights follow PyTorch's `kaiming_uniform_` (gain √2, mode fan_in): U(−b, b) with
 * b = √(6 / fan_in), the same variance 2 / fan_in as He normal, which is several times slower to
 * draw. Each layer has its own seeded stream (fillUniform, layerSeed). `inputs` gives a graph's edges
 * (each layer's parameters follow the shape it reads); a chain without it.
 */
export function initParams(inputShape: readonly number[], layers: readonly LayerSpec[], seed = 0, inputs?: readonly (readonly number[])[]): LayerParams[] {
  const inShapes = firstInputShapes(inputShape, layers, inputs);
  return layers.map((spec, i) => {
    const inShape = inShapes[i];
    if (spec.kind === 'conv' && spec.teaching) return teachingParams(spec, inShape);
    const shapes = layerParamShapes(spec, inShape);
    const p: LayerParams = {};
    // A transposed conv's weight is (in, out/groups, kH, kW): PyTorch's fan_in is out/groups·kH·kW, as here.
    if (spec.kind === 'conv' || spec.kind === 'deconv' || spec.kind === 'fc') {
      const wShape = shapes.weight!;
      const fanIn = numel(wShape) / wShape[0];
      p.weight = new Float32Array(numel(wShape));
      fillUniform(p.weight, Math.sqrt(6 / fanIn), layerSeed(seed, i));
      if (shapes.bias) p.bias = new Float32Array(numel(shapes.bias));
    } else if (spec.kind === 'bn') {
      const c = numel(shapes.weight!);
      p.weight = new Float32Array(c).fill(1);
      p.bias = new Float32Array(c);
      p.runningMean = new Float32Array(c);
      p.runningVar = new Float32Array(c).fill(1);
    }
    return p;
  });
}

/**
 * Throws unless `params` holds exactly the tensors `shapes` asks for, each of the right length, naming
 * the layer, the tensor and both sizes. The runner calls it so a bad record never reaches a kernel.
 */
export function checkLayerParams(index: number, spec: LayerSpec, shapes: ParamShapes, params: LayerParams | undefined): void {
  for (const [key, torchName] of PARAM_NAMES) {
    const want = shapes[key];
    const got = params?.[key];
    if (want && !got) throw new Error(`${layerName(index, spec)}: missing ${torchName} of shape ${shapeStr(want)}`);
    if (!want && got) throw new Error(`${layerName(index, spec)}: has a ${torchName} (${got.length} values) the layer does not use`);
    if (want && got && got.length !== numel(want)) {
      throw new Error(`${layerName(index, spec)}: ${torchName} has ${got.length} values, shape ${shapeStr(want)} needs ${numel(want)}`);
    }
  }
}
