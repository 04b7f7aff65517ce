/**
 * Per-layer parameters and the deterministic initialisation that gives every network the same
 * pictures every time it runs without a weights file.
 */
import type { LayerSpec } from '../analysis/types.js';
import { inferShapes, layerName, layerParamShapes, type ParamShapes } from './shapes.js';
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

/** A small fast seeded PRNG (mulberry32) returning uniform numbers in [0, 1). */
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
 * Fills `out` with N(0, std²) samples from the mulberry32 stream of `seed`, by Marsaglia's polar form
 * of Box–Muller (no trigonometry). The generator is inlined because VGG16 alone needs 138 million
 * samples and a closure call per number doubles the time.
 */
export function fillNormal(out: Float32Array, std: number, seed: number): void {
  let a = seed >>> 0;
  const n = out.length;
  let i = 0;
  while (i < n) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 2147483648 - 1;
    a = (a + 0x6d2b79f5) >>> 0;
    t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const v = ((t ^ (t >>> 14)) >>> 0) / 2147483648 - 1;
    const s = u * u + v * v;
    if (s >= 1 || s === 0) continue; // outside the unit disc: draw again (about 21% of pairs)
    const f = std * Math.sqrt((-2 * Math.log(s)) / s);
    out[i++] = u * f;
    if (i < n) out[i++] = v * f;
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
 * Deterministic parameters for every layer: He (Kaiming normal, fan_in, gain √2) conv and fc weights
 * drawn from a per-layer seeded stream (fillNormal), zero biases, bn as identity (weight 1, bias 0, mean 0,
 * var 1), and the fixed kernel for convs that name a teaching kernel.
 */
export function initParams(inputShape: readonly number[], layers: readonly LayerSpec[], seed = 0): LayerParams[] {
  const outShapes = inferShapes(inputShape, layers);
  return layers.map((spec, i) => {
    const inShape = i === 0 ? inputShape : outShapes[i - 1];
    if (spec.kind === 'conv' && spec.teaching) return teachingParams(spec, inShape);
    const shapes = layerParamShapes(spec, inShape);
    const p: LayerParams = {};
    if (spec.kind === 'conv' || spec.kind === 'fc') {
      const wShape = shapes.weight!;
      const fanIn = numel(wShape) / wShape[0];
      p.weight = new Float32Array(numel(wShape));
      fillNormal(p.weight, Math.sqrt(2 / fanIn), layerSeed(seed, i));
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
