/**
 * Runs a network forward one layer at a time, for one image (no batch axis), checking every shape and
 * parameter before a kernel sees it and giving the caller a chance to look at (or cancel after) each layer.
 */
import type { LayerSpec } from '../language/types.js';
import type { ConvBackend } from './backend.js';
import {
  avgpool2d_forward, batchnorm_forward, gap_forward, leakyrelu_forward, lrn_forward, maxpool2d_forward,
  relu_forward, sigmoid_forward, softmax_channels_forward, softmax_forward, tanh_forward, tsBackend,
  upsample_nearest_forward, upsample_zeros_forward,
} from './kernels.js';
import { layerName, layerOutputShape, layerParamShapes } from './shapes.js';
import { mapShape, numel, tensor, type Tensor } from './tensor.js';
import { checkLayerParams, type LayerParams } from './weights.js';

/** Options of runNetwork. */
export interface RunOptions {
  /** Conv and fc implementation; the TypeScript kernels when absent. */
  readonly backend?: ConvBackend;
  /** Called after each layer with its output (awaited, so a caller can stream maps out as they come). */
  readonly onLayer?: (index: number, output: Tensor) => void | Promise<void>;
  /** Checked between layers; when aborted the run throws an Error named 'AbortError'. */
  readonly signal?: AbortSignal;
  /** 'all' (default) returns every layer's output; 'last' drops each output once the next layer has run. */
  readonly keep?: 'all' | 'last';
  /**
   * Gives the zero-filled buffer for each output of `n` values (a fresh Float32Array by default). The
   * run worker recycles the buffers of runs it no longer keeps: a new buffer costs a page fault per
   * 4 KB page on first touch, about a tenth of a VGG16 run.
   */
  readonly alloc?: (n: number) => Float32Array;
}

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

/**
 * Runs `layers` on `input` with `params` (one record per layer, empty for layers without parameters).
 * Returns every layer's output in order, or with keep: 'last' a one-element array with the final output.
 * Layers that do not change values (dropout, flatten, unknown) return a tensor sharing the input's data.
 */
export async function runNetwork(
  input: Tensor, layers: readonly LayerSpec[], params: readonly LayerParams[], opts: RunOptions = {},
): Promise<Tensor[]> {
  if (params.length !== layers.length) {
    throw new Error(`runNetwork: ${layers.length} layers but ${params.length} parameter records`);
  }
  const backend = opts.backend ?? tsBackend;
  const outputs: Tensor[] = [];
  let cur = input;
  for (let i = 0; i < layers.length; i++) {
    if (opts.signal) {
      await yieldToEventLoop();
      if (opts.signal.aborted) throw abortError();
    }
    cur = runLayer(i, layers[i], params[i], cur, backend, opts.alloc);
    if (opts.keep !== 'last') outputs.push(cur);
    if (opts.onLayer) await opts.onLayer(i, cur);
  }
  if (opts.signal?.aborted) throw abortError();
  return opts.keep === 'last' ? [cur] : outputs;
}

/** Runs one layer: checks the input shape and the parameters, allocates the output and calls its kernel. */
export function runLayer(
  index: number, spec: LayerSpec, p: LayerParams, x: Tensor, backend: ConvBackend = tsBackend, alloc?: (n: number) => Float32Array,
): Tensor {
  const outShape = layerOutputShape(spec, x.shape, index);
  const fresh = (shape: readonly number[]): Tensor => tensor(shape, alloc?.(numel(shape)));
  checkLayerParams(index, spec, layerParamShapes(spec, x.shape), p);
  const where = layerName(index, spec);
  switch (spec.kind) {
    case 'conv': {
      const out = fresh(outShape);
      backend.conv2d(out.data, x.data, p.weight!, p.bias ?? null, mapShape(x.shape, where), spec, mapShape(outShape, where));
      return out;
    }
    case 'fc': {
      const out = fresh(outShape);
      backend.fc(out.data, x.data, p.weight!, p.bias ?? null, x.data.length, spec.outFeatures);
      return out;
    }
    case 'maxpool':
    case 'avgpool': {
      const out = fresh(outShape);
      const pool = spec.kind === 'maxpool' ? maxpool2d_forward : avgpool2d_forward;
      pool(out.data, x.data, mapShape(x.shape, where), spec, mapShape(outShape, where));
      return out;
    }
    case 'gap': {
      const out = fresh(outShape);
      gap_forward(out.data, x.data, mapShape(x.shape, where));
      return out;
    }
    case 'flatten':
    case 'dropout':
    case 'unknown':
      return tensor(outShape, x.data);
    case 'relu':
    case 'leakyrelu':
    case 'sigmoid':
    case 'tanh': {
      const out = fresh(outShape);
      if (spec.kind === 'relu') relu_forward(out.data, x.data);
      else if (spec.kind === 'leakyrelu') leakyrelu_forward(out.data, x.data, spec.slope ?? 0.01);
      else if (spec.kind === 'sigmoid') sigmoid_forward(out.data, x.data);
      else tanh_forward(out.data, x.data);
      return out;
    }
    case 'softmax': {
      const out = fresh(outShape);
      if (x.shape.length === 1) softmax_forward(out.data, x.data);
      else softmax_channels_forward(out.data, x.data, x.shape[0], numel(x.shape.slice(1)));
      return out;
    }
    case 'bn': {
      const out = fresh(outShape);
      batchnorm_forward(out.data, x.data, x.shape[0], numel(x.shape.slice(1)),
        p.weight!, p.bias!, p.runningMean!, p.runningVar!, spec.eps ?? 1e-5);
      return out;
    }
    case 'lrn': {
      const out = fresh(outShape);
      lrn_forward(out.data, x.data, x.shape[0], numel(x.shape.slice(1)), spec);
      return out;
    }
    case 'upsample': {
      if (spec.mode === 'bilinear') throw new Error(`${where}: the engine cannot run bilinear upsampling yet`);
      const out = fresh(outShape);
      const up = spec.mode === 'nearest' ? upsample_nearest_forward : upsample_zeros_forward;
      up(out.data, x.data, mapShape(x.shape, where), spec.factor);
      return out;
    }
    default:
      throw new Error(`${where}: the engine cannot run ${spec.kind} layers yet`);
  }
}
