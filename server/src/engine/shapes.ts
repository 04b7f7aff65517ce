/**
 * Output and parameter shapes of each layer, as the engine needs them to allocate buffers and to
 * check loaded weights: the kind table's rules (language/kinds.ts), which the analysis reads too, behind
 * the engine's own guards, so a run can never write past a buffer whatever spec it is handed.
 */
import { isProblem, KINDS, slide as convOutSize, type KindProblem, type ParamShapes } from '../language/kinds.js';
import type { LayerSpec } from '../language/types.js';
import { assert, shapeStr } from './tensor.js';

/** PyTorch's output length along one axis: floor((n + 2p − d·(k−1) − 1)/s) + 1 (the analysis' function). */
export { convOutSize };

export type { ParamShapes };

/** Describes a layer for error messages: "layer 3 (conv)". */
export function layerName(index: number, spec: LayerSpec): string {
  return `layer ${index} (${spec.kind})`;
}

/**
 * Shape of a layer's output for its input shapes (the kind table's rule), or an Error naming the layer
 * and the shapes when the layer cannot run on them. The asserts on the spec's numbers are the engine's
 * own guard: whatever spec it is handed, a kernel never writes past a buffer.
 */
export function layerOutputShape(spec: LayerSpec, inShapes: readonly number[] | readonly (readonly number[])[], index = 0): number[] {
  const ins = (typeof inShapes[0] === 'number' ? [inShapes] : inShapes) as readonly (readonly number[])[];
  const where = (): string => `${layerName(index, spec)} on input ${ins.map(shapeStr).join(', ')}`;
  const rec = KINDS[spec.kind];
  assert(ins.length >= 1 && (rec.arity === 'many' || ins.length === 1), () => `${where()}: takes ${rec.arity === 'many' ? 'one or more inputs' : 'one input'}`);
  for (const s of ins) assert(s.length === 1 || s.length === 3, () => `${where()}: inputs are [C, H, W] maps or [N] vectors`);
  if (rec.needsMap) assert(ins[0].length === 3, () => `${where()}: needs a (C, H, W) map`);
  if (spec.kind === 'conv' || spec.kind === 'deconv' || spec.kind === 'maxpool' || spec.kind === 'avgpool') {
    const d = spec.kind === 'conv' || spec.kind === 'deconv' ? spec.dilation : [1, 1];
    assert(spec.kernel.every((k) => k >= 1) && spec.stride.every((k) => k >= 1) && spec.padding.every((p) => p >= 0) && d.every((k) => k >= 1),
      () => `${where()}: kernel, stride and dilation must be ≥ 1 and padding ≥ 0`);
    if (spec.kind === 'maxpool' || spec.kind === 'avgpool') {
      // PyTorch rejects padding over half the window, which would make all-padding windows.
      assert(2 * spec.padding[0] <= spec.kernel[0] && 2 * spec.padding[1] <= spec.kernel[1], () => `${where()}: padding must be at most half the kernel`);
    }
  }
  if (spec.kind === 'upsample') assert(Number.isInteger(spec.factor) && spec.factor >= 1, () => `${where()}: factor must be a positive integer, got ${spec.factor}`);
  const out = (rec.out as (s: LayerSpec, i: readonly (readonly number[])[]) => readonly number[] | KindProblem)(spec, ins);
  if (isProblem(out)) throw new Error(`${where()}: ${out.message}`);
  assert(out.every((v) => Number.isInteger(v) && v >= 1), () => `${where()}: output would be ${shapeStr(out)}; the window does not fit`);
  return [...out];
}

/** Shapes of a layer's parameter tensors, in PyTorch's layouts; conv layers with a teaching kernel included. */
export function layerParamShapes(spec: LayerSpec, inShape: readonly number[]): ParamShapes {
  return (KINDS[spec.kind].params as (s: LayerSpec, i: readonly number[]) => ParamShapes)(spec, inShape);
}

/** True for layers that carry parameters (conv, deconv, fc, bn). */
export function hasParams(spec: LayerSpec): boolean {
  return KINDS[spec.kind].learned;
}

/**
 * Every layer's output shape from the input shape on, throwing at the first layer that cannot run.
 * `inputs` gives each layer's input layers (−1: the network input) for a graph; a chain without it.
 */
export function inferShapes(inputShape: readonly number[], layers: readonly LayerSpec[], inputs?: readonly (readonly number[])[]): number[][] {
  const shapes: number[][] = [];
  layers.forEach((spec, i) => {
    const ids = inputs?.[i] ?? [i - 1];
    shapes.push(layerOutputShape(spec, ids.map((j) => (j < 0 ? inputShape : shapes[j])), i));
  });
  return shapes;
}

/**
 * The shape each layer reads first (its only input, or a merge's first), which its parameter shapes
 * follow: from `inputs` for a graph, a chain without it.
 */
export function firstInputShapes(inputShape: readonly number[], layers: readonly LayerSpec[], inputs?: readonly (readonly number[])[]): (readonly number[])[] {
  const outShapes = inferShapes(inputShape, layers, inputs);
  return layers.map((_, i) => {
    const j = inputs?.[i]?.[0] ?? i - 1;
    return j < 0 ? inputShape : outShapes[j];
  });
}
