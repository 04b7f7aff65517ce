/**
 * Runs a network forward one layer at a time, for one image (no batch axis), checking every shape and
 * parameter before a kernel sees it and giving the caller a chance to look at (or cancel after) each layer.
 * The network is a graph: each layer reads the outputs of earlier layers (or the input), in execution order.
 */
import { KINDS } from '../language/kinds.js';
import type { LayerKind, LayerSpec, SpecOf } from '../language/types.js';
import type { ConvBackend } from './backend.js';
import { activation_forward, tsBackend } from './kernels.js';
import { foldBatchNorm, fusionPlan, type FusedChain } from './fuse.js';
import { OPS, type Op } from './ops.js';
import { layerName, layerOutputShape, layerParamShapes } from './shapes.js';
import { assert, numel, tensor, type Tensor } from './tensor.js';
import { checkLayerParams, type LayerParams } from './weights.js';

/** Options of forward (one forward pass of a network). */
export interface ForwardOptions {
  /** Conv and fc implementation; the TypeScript kernels when absent. */
  readonly backend?: ConvBackend;
  /**
   * Each layer's input layers in order (−1: the network input), as LayerDecl.inputs: every index is
   * an earlier layer. Absent, the layers form a chain (layer i reads layer i − 1).
   */
  readonly inputs?: readonly (readonly number[])[];
  /** Called after each layer with its output (awaited, so a caller can stream maps out as they come). */
  readonly onLayer?: (index: number, output: Tensor) => void | Promise<void>;
  /** Checked between layers; when aborted the run throws an Error named 'AbortError'. */
  readonly signal?: AbortSignal;
  /**
   * 'all' (default) keeps and returns every layer's output (the panel shows them all); 'last' returns
   * only the last layer's, and lets every other output go once the last layer that reads it has run
   * (and onLayer has seen it), so a run holds only the tensors still to be read.
   */
  readonly keep?: 'all' | 'last';
  /**
   * Gives the zero-filled buffer for each output of `n` values (a fresh Float32Array by default). The
   * run worker recycles the buffers of runs it no longer keeps: a new buffer costs a page fault per
   * 4 KB page on first touch, about a tenth of a VGG16 run.
   */
  readonly alloc?: Alloc;
  /**
   * With keep: 'last', takes back the buffer of an output nothing reads any more, for `alloc` to hand out
   * again (see bufferPool). Never given the input's buffer nor the returned output's.
   */
  readonly free?: (buffer: Float32Array) => void;
  /**
   * With keep: 'last', runs each conv with the batch norm and relu/relu6 that alone read it (and each fc
   * with its relu) as one kernel call, the bn folded into the conv's weights (fuse.ts). The layers of a
   * chain but its last then have no output: onLayer sees only the chain's last layer. The panel, which
   * shows every layer, runs unfused; the folded results differ from the unfused ones by float rounding.
   */
  readonly fuse?: boolean;
}

/**
 * Gives a buffer of `n` values, zero-filled unless `overwritten` says the kernel writes every value
 * itself (conv and fc through a ConvBackend, whose contract that is), so stale data may stay.
 */
export type Alloc = (n: number, overwritten?: boolean) => Float32Array;

/** The Error a cancelled run throws; its name is 'AbortError' like DOMException's. */
export function abortError(): Error {
  const e = new Error('the run was cancelled');
  e.name = 'AbortError';
  return e;
}

/** Lets queued events (a cancel message, a timer) run, so a signal can be raised mid-run. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The graph's edges: `inputs` checked (every input an earlier layer or −1), or a chain when absent. */
export function graphInputs(count: number, inputs?: readonly (readonly number[])[]): (readonly number[])[] {
  if (!inputs) return Array.from({ length: count }, (_, i) => [i - 1]);
  assert(inputs.length === count, () => `forward: ${count} layers but ${inputs.length} input lists`);
  return inputs.map((ids, i) => {
    assert(ids.length >= 1 && ids.every((j) => Number.isInteger(j) && j >= -1 && j < i),
      () => `forward: layer ${i} reads [${ids.join(', ')}]; a layer reads −1 (the input) or earlier layers`);
    return ids;
  });
}

/** For each layer, the last layer that reads its output (the layer itself when none does). */
export function lastReaders(inputs: readonly (readonly number[])[]): number[] {
  const last = inputs.map((_, i) => i);
  inputs.forEach((ids, i) => {
    for (const j of ids) if (j >= 0) last[j] = Math.max(last[j], i);
  });
  return last;
}

/** A recycler for forward's alloc and free: freed buffers wait by length and come back zero-filled. */
export function bufferPool(): { alloc: Alloc; free: (buffer: Float32Array) => void } {
  const waiting = new Map<number, Float32Array[]>();
  return {
    alloc(n, overwritten) {
      const b = waiting.get(n)?.pop();
      return b ? (overwritten ? b : b.fill(0)) : new Float32Array(n);
    },
    free(buffer) {
      const list = waiting.get(buffer.length) ?? [];
      list.push(buffer);
      waiting.set(buffer.length, list);
    },
  };
}

/**
 * Runs `layers` on `input` with `params` (one record per layer, empty for layers without parameters),
 * each layer reading the layers `opts.inputs` names (a chain without it). Returns every layer's output in
 * order, or with keep: 'last' a one-element array with the last layer's output. Layers that do not change
 * values (dropout, flatten, unknown) return a tensor sharing their input's data.
 */
export async function forward(
  input: Tensor, layers: readonly LayerSpec[], params: readonly LayerParams[], opts: ForwardOptions = {},
): Promise<Tensor[]> {
  if (params.length !== layers.length) {
    throw new Error(`forward: ${layers.length} layers but ${params.length} parameter records`);
  }
  const n = layers.length;
  const edges = graphInputs(n, opts.inputs);
  const lastReader = lastReaders(edges);
  const backend = opts.backend ?? tsBackend;
  const keepAll = opts.keep !== 'last';
  assert(!opts.fuse || !keepAll, () => 'forward: fuse needs keep: \'last\' (a fused chain has no output for its inner layers)');
  const fused = opts.fuse ? fusionPlan(layers, edges) : [];
  const outputs: Tensor[] = [];
  /** Outputs still to be read (all of them with keep: 'all'). */
  const live: (Tensor | undefined)[] = new Array(n);
  /** Live tensors per buffer: a buffer is free when the last tensor over it goes. */
  const holders = new Map<Float32Array, number>();
  const release = (j: number): void => {
    const t = live[j];
    // An absorbed layer of a fused chain never had an output.
    if (!t) return;
    live[j] = undefined;
    const left = holders.get(t.data)! - 1;
    if (left > 0) {
      holders.set(t.data, left);
      return;
    }
    holders.delete(t.data);
    if (opts.free && t.data !== input.data) opts.free(t.data);
  };
  for (let i = 0; i < n; i++) {
    if (opts.signal) {
      await yieldToEventLoop();
      if (opts.signal.aborted) throw abortError();
    }
    const chain = fused[i];
    if (chain !== 'absorbed') {
      const ins = edges[i].map((j) => (j < 0 ? input : live[j]!));
      const at = chain ? chain.last : i;
      const residual = chain?.residual === undefined ? undefined : chain.residual < 0 ? input : live[chain.residual]!;
      const out = chain ? forwardChain(chain, layers, params, ins, backend, opts.alloc, residual) : forwardLayer(i, layers[i], params[i], ins, backend, opts.alloc);
      live[at] = out;
      holders.set(out.data, (holders.get(out.data) ?? 0) + 1);
      if (keepAll) outputs.push(out);
      if (opts.onLayer) await opts.onLayer(at, out);
    }
    if (keepAll) continue;
    for (const j of new Set(edges[i])) if (j >= 0 && j < n - 1 && lastReader[j] === i) release(j);
    if (i < n - 1 && lastReader[i] === i) release(i);
  }
  if (opts.signal?.aborted) throw abortError();
  return keepAll ? outputs : n ? [live[n - 1]!] : [];
}

/**
 * Runs one layer on its inputs (one tensor, or several for a merge, in order): checks the input shapes
 * and the parameters, allocates the output at the kind table's shape and calls the kind's kernel.
 */
export function forwardLayer(
  index: number, spec: LayerSpec, p: LayerParams, x: Tensor | readonly Tensor[], backend: ConvBackend = tsBackend,
  alloc?: Alloc,
): Tensor {
  const ins = Array.isArray(x) ? (x as readonly Tensor[]) : [x as Tensor];
  const outShape = layerOutputShape(spec, ins.map((t) => t.shape), index);
  checkLayerParams(index, spec, layerParamShapes(spec, ins[0].shape), p);
  const op = OPS[spec.kind] as Op<LayerKind>;
  if (op === null) {
    assert(KINDS[spec.kind].sharesInput === true, () => `${layerName(index, spec)}: no kernel`);
    return tensor(outShape, ins[0].data);
  }
  // Conv and fc go through the backend, which writes every value: their buffers need no zeroing.
  const out = tensor(outShape, alloc?.(numel(outShape), spec.kind === 'fc' || (spec.kind === 'conv' && !spec.teaching)));
  op({ spec: spec as SpecOf<LayerKind>, ins, out: out.data, outShape, p, backend, where: layerName(index, spec) });
  return out;
}

/**
 * Runs a fused chain (fuse.ts) on its head's inputs: the head conv or fc with the bn folded into its
 * weights and the residual add and activation in its epilogue, or an add and its relu in place. Checks
 * every member's parameters and shapes as forwardLayer would.
 */
function forwardChain(
  chain: FusedChain, layers: readonly LayerSpec[], params: readonly LayerParams[], ins: readonly Tensor[], backend: ConvBackend,
  alloc?: Alloc, residual?: Tensor,
): Tensor {
  const spec = layers[chain.head];
  if (spec.kind === 'add') {
    const out = forwardLayer(chain.head, spec, params[chain.head], ins, backend, alloc);
    activation_forward(out.data, chain.act!);
    return out;
  }
  const x = ins[0];
  const p = params[chain.head];
  const outShape = layerOutputShape(spec, [x.shape], chain.head);
  checkLayerParams(chain.head, spec, layerParamShapes(spec, x.shape), p);
  let weight = p.weight!;
  let bias = p.bias ?? null;
  if (chain.bn !== undefined) {
    const bnSpec = layers[chain.bn];
    checkLayerParams(chain.bn, bnSpec, layerParamShapes(bnSpec, outShape), params[chain.bn]);
    ({ weight, bias } = foldBatchNorm(weight, bias, params[chain.bn], bnSpec.kind === 'bn' ? bnSpec.eps ?? 1e-5 : 1e-5));
  }
  if (chain.add !== undefined) {
    assert(residual !== undefined, () => `${layerName(chain.add!, layers[chain.add!])}: fused without its other input`);
    // The add's shape rule checks that the two inputs agree, with the add's own message.
    const sum = layerOutputShape(layers[chain.add], [outShape, residual.shape], chain.add);
    assert(sum.join() === outShape.join(), () => `${layerName(chain.add!, layers[chain.add!])}: (${sum.join(', ')}) from a conv of (${outShape.join(', ')})`);
  }
  const out = tensor(outShape, alloc?.(numel(outShape), true));
  const op = OPS[spec.kind] as Op<LayerKind>;
  op!({ spec: spec as SpecOf<LayerKind>, ins: [x], out: out.data, outShape, p: { weight, bias: bias ?? undefined }, backend, where: layerName(chain.head, spec), act: chain.act, residual: residual?.data });
  return out;
}
