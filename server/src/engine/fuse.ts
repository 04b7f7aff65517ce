/**
 * Layer fusion for runs that keep only the last output (the CLI, the benchmark): a conv followed by
 * its batch norm and its relu or relu6, or an fc followed by its relu, runs as one kernel call whose
 * weights have the batch norm folded in and whose epilogue adds the bias and clamps; a residual add
 * that alone reads such a conv (a ResNet or MobileNetV2 block's end) joins it too, its other input
 * added in the same epilogue; any other add applies the relu after it in place. The panel keeps
 * every layer's output (it shows the conv's, the bn's and the relu's maps), so it runs unfused.
 */
import type { LayerSpec } from '../language/types.js';
import type { Activation } from './backend.js';
import type { LayerParams } from './weights.js';

/**
 * Layers that run as one call: a conv or fc `head`, then optionally its `bn`, then for a conv
 * optionally a two-input `add` of it and `residual`, then optionally its activation; or an add `head`
 * and its relu.
 */
export interface FusedChain {
  readonly head: number;
  readonly bn?: number;
  /** The add that sums the conv (+ bn) with `residual`, when it joined. */
  readonly add?: number;
  /** The add's other input (−1: the network's input), computed before the head runs. */
  readonly residual?: number;
  readonly act?: Activation;
  /** The chain's last layer, whose output the call produces. */
  readonly last: number;
}

/**
 * For each layer, the chain it heads, or 'absorbed' when an earlier layer's chain computes it, or
 * undefined when it runs on its own. A layer joins the chain before it only when it is that layer's
 * only reader and reads nothing else, so no absorbed output is ever needed.
 */
export function fusionPlan(layers: readonly LayerSpec[], edges: readonly (readonly number[])[]): (FusedChain | 'absorbed' | undefined)[] {
  const readers: number[][] = layers.map(() => []);
  edges.forEach((ids, i) => { for (const j of new Set(ids)) if (j >= 0) readers[j].push(i); });
  /** The layer that alone reads `i` and reads only `i`, if any. */
  const sole = (i: number): number | undefined => {
    const r = readers[i];
    return r.length === 1 && edges[r[0]].length === 1 ? r[0] : undefined;
  };
  const plan: (FusedChain | 'absorbed' | undefined)[] = new Array(layers.length).fill(undefined);
  layers.forEach((spec, i) => {
    if (plan[i] || (spec.kind !== 'conv' && spec.kind !== 'fc' && spec.kind !== 'add')) return;
    let last = i;
    let bn: number | undefined;
    let add: number | undefined;
    let residual: number | undefined;
    let act: Activation | undefined;
    const next = sole(i);
    if (spec.kind === 'conv' && next !== undefined && layers[next].kind === 'bn') { bn = next; last = next; }
    if (spec.kind === 'conv') {
      const other = residualOf(layers, edges, readers, last);
      // The other input must exist when the head runs: an earlier layer than the head (or the input).
      if (other !== undefined && other < i) { add = readers[last][0]; residual = other; last = add; }
    }
    const after = sole(last);
    if (after !== undefined) {
      const k = layers[after].kind;
      if (k === 'relu' || k === 'relu6') { act = k; last = after; }
    }
    if (last === i) return;
    plan[i] = add === undefined ? { head: i, bn, act, last } : { head: i, bn, add, residual, act, last };
    for (const j of [bn, add, act ? last : undefined]) if (j !== undefined) plan[j] = 'absorbed';
  });
  return plan;
}

/**
 * When layer `i`'s only reader is an add of two different inputs, the add's other input; else undefined.
 * An add of more inputs stays on its own: the fused epilogue adds exactly one.
 */
function residualOf(layers: readonly LayerSpec[], edges: readonly (readonly number[])[], readers: readonly number[][], i: number): number | undefined {
  const r = readers[i];
  if (r.length !== 1 || layers[r[0]].kind !== 'add') return undefined;
  const ins = edges[r[0]];
  if (ins.length !== 2 || ins[0] === ins[1]) return undefined;
  return ins[0] === i ? ins[1] : ins[0];
}

/** Folded weights per conv weight array, so a network run again does not fold again. */
const folded = new WeakMap<Float32Array, { readonly bn: LayerParams; readonly eps: number; readonly weight: Float32Array; readonly bias: Float32Array }>();

/**
 * The conv weight (Cout, …) and bias with an inference batch norm folded in:
 * w' = w · γ/√(σ² + ε) per output channel, b' = (b − μ) · γ/√(σ² + ε) + β (float64 arithmetic).
 * Cached per weight array and bn record.
 */
export function foldBatchNorm(weight: Float32Array, bias: Float32Array | null, bn: LayerParams, eps: number): { weight: Float32Array; bias: Float32Array } {
  const hit = folded.get(weight);
  if (hit && hit.bn === bn && hit.eps === eps && hit.bn.weight === bn.weight && hit.bn.runningVar === bn.runningVar) return hit;
  const gamma = bn.weight!, beta = bn.bias!, mean = bn.runningMean!, variance = bn.runningVar!;
  const cout = gamma.length;
  const per = weight.length / cout;
  const w = new Float32Array(weight.length);
  const b = new Float32Array(cout);
  for (let c = 0; c < cout; c++) {
    const scale = gamma[c] / Math.sqrt(variance[c] + eps);
    for (let i = c * per, end = i + per; i < end; i++) w[i] = weight[i] * scale;
    b[c] = ((bias ? bias[c] : 0) - mean[c]) * scale + beta[c];
  }
  const entry = { bn, eps, weight: w, bias: b };
  folded.set(weight, entry);
  return entry;
}
