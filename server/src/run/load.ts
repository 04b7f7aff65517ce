/**
 * What a run needs besides the kernels, shared by `cnnlab run` and the VS Code worker: turn an image
 * or .npy into the input tensor, and load or initialise the parameters (planning is in plan.ts).
 */
import type { Shape } from '../language/types.js';
import type { RunPlan } from './plan.js';
import {
  IMAGENET_MEAN, IMAGENET_STD, ImageTooLarge, initParams, loadImageTensor, paramsFromWeights, readNpy, tensor,
  type LayerParams, type Tensor,
} from '../engine/index.js';

/**
 * Reads the input: a .npy float32 array of exactly C×H×W, or a PNG/JPEG resized to the input size.
 * `decode.maxBytes` is the memory decoding an image may use: what the run's budget leaves after the
 * network (the default limit of the engine when absent).
 */
export function loadInput(bytes: Uint8Array, fileName: string, plan: RunPlan, decode?: { readonly maxBytes: number }): Tensor {
  if (/\.npy$/i.test(fileName)) {
    const arr = readNpy(bytes, fileName);
    const want: Shape = plan.inputShape;
    const got = arr.shape.length === 4 && arr.shape[0] === 1 ? arr.shape.slice(1) : arr.shape;
    if (got.join() !== want.join()) throw new Error(`${fileName}: has shape [${arr.shape.join(', ')}], the network's input is [${want.join(', ')}]`);
    return tensor([...want], arr.data);
  }
  const norm = plan.normalise === 'imagenet' ? { mean: IMAGENET_MEAN, std: IMAGENET_STD } : undefined;
  try {
    return loadImageTensor(bytes, plan.inputShape, norm, fileName, decode);
  } catch (e) {
    if (!(e instanceof ImageTooLarge) || !decode || !/memory/.test(e.message)) throw e;
    const network = Math.ceil(plan.memoryBytes / 1e6).toLocaleString('en-US');
    throw new ImageTooLarge(`${e.message} (what the run's memory budget leaves after the network's ${network} MB); use a smaller image or raise the budget`);
  }
}

/** Parameters from a weights file (.safetensors, or .pth/.pt from torch.save), or deterministic He initialisation (teaching kernels stay fixed). */
export function loadParams(plan: RunPlan, weights?: { bytes: Uint8Array; fileName: string }, seed = 0): LayerParams[] {
  return weights
    ? paramsFromWeights(weights.bytes, plan.inputShape, plan.layers, weights.fileName, plan.inputs, { paths: plan.paths, lines: plan.lines })
    : initParams(plan.inputShape, plan.layers, seed, plan.inputs);
}

/** The k largest values of a tensor with their indices, for `--top`. */
export function topK(t: Tensor, k: number): { index: number; value: number }[] {
  const idx = Array.from(t.data.keys());
  idx.sort((a, b) => t.data[b] - t.data[a]);
  return idx.slice(0, k).map((index) => ({ index, value: t.data[index] }));
}
