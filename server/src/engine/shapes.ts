/**
 * Output and parameter shapes of each layer, as the engine needs them to allocate buffers and to
 * check loaded weights. The output size per axis is the analysis' own formula (`slide`); the checks
 * here are the engine's guard, so a run can never write past a buffer whatever spec it is handed.
 */
import { slide as convOutSize } from '../analysis/layer.js';
import type { LayerSpec } from '../analysis/types.js';
import { assert, shapeStr } from './tensor.js';

/** PyTorch's output length along one axis: floor((n + 2p − d·(k−1) − 1)/s) + 1 (the analysis' function). */
export { convOutSize };

/** Tensor shapes of one layer's parameters; absent keys mean the layer has no such tensor. */
export interface ParamShapes {
  readonly weight?: readonly number[];
  readonly bias?: readonly number[];
  readonly runningMean?: readonly number[];
  readonly runningVar?: readonly number[];
}

/** Describes a layer for error messages: "layer 3 (conv)". */
export function layerName(index: number, spec: LayerSpec): string {
  return `layer ${index} (${spec.kind})`;
}

/** Channels of a map or features of a vector: what bn and lrn normalise over. */
function channelsOf(inShape: readonly number[]): number {
  return inShape[0];
}

/**
 * Shape of a layer's output for an input of shape `inShape`, or an Error naming the layer and the
 * shape when the layer cannot run on it (a conv on a vector, a window larger than the padded map).
 */
export function layerOutputShape(spec: LayerSpec, inShape: readonly number[], index = 0): number[] {
  const where = (): string => `${layerName(index, spec)} on input ${shapeStr(inShape)}`;
  assert(inShape.length === 1 || inShape.length === 3, () => `${where()}: inputs are [C, H, W] maps or [N] vectors`);
  const isMap = inShape.length === 3;
  switch (spec.kind) {
    case 'conv':
    case 'maxpool':
    case 'avgpool': {
      assert(isMap, () => `${where()}: needs a (C, H, W) map`);
      const [c, h, w] = inShape;
      const [kh, kw] = spec.kernel;
      const [sh, sw] = spec.stride;
      const [ph, pw] = spec.padding;
      const [dh, dw] = spec.kind === 'conv' ? spec.dilation : [1, 1];
      assert(kh >= 1 && kw >= 1 && sh >= 1 && sw >= 1 && ph >= 0 && pw >= 0 && dh >= 1 && dw >= 1,
        () => `${where()}: kernel, stride and dilation must be ≥ 1 and padding ≥ 0`);
      const oh = convOutSize(h, kh, sh, ph, dh);
      const ow = convOutSize(w, kw, sw, pw, dw);
      assert(oh >= 1 && ow >= 1, () => `${where()}: output would be ${oh}×${ow}; the window does not fit`);
      if (spec.kind !== 'conv') {
        // PyTorch rejects padding over half the window, which would make all-padding windows.
        assert(2 * ph <= kh && 2 * pw <= kw, () => `${where()}: padding must be at most half the kernel`);
        return [c, oh, ow];
      }
      const g = spec.groups;
      assert(Number.isInteger(g) && g >= 1 && c % g === 0 && spec.outChannels % g === 0,
        () => `${where()}: groups=${g} must divide in channels ${c} and out channels ${spec.outChannels}`);
      return [spec.outChannels, oh, ow];
    }
    case 'gap':
      assert(isMap, () => `${where()}: needs a (C, H, W) map`);
      return [inShape[0], 1, 1];
    case 'flatten':
      return [inShape.reduce((a, b) => a * b, 1)];
    case 'fc':
      return [spec.outFeatures];
    case 'upsample': {
      assert(isMap, () => `${where()}: needs a (C, H, W) map`);
      const f = spec.factor;
      assert(Number.isInteger(f) && f >= 1, () => `${where()}: factor must be a positive integer, got ${f}`);
      return [inShape[0], inShape[1] * f, inShape[2] * f];
    }
    case 'relu': case 'leakyrelu': case 'sigmoid': case 'tanh': case 'softmax':
    case 'bn': case 'lrn': case 'dropout': case 'unknown':
      return [...inShape];
  }
}

/** Shapes of a layer's parameter tensors, in PyTorch's layouts; conv layers with a teaching kernel included. */
export function layerParamShapes(spec: LayerSpec, inShape: readonly number[]): ParamShapes {
  switch (spec.kind) {
    case 'conv': {
      const cin = inShape[0];
      const w = [spec.outChannels, cin / spec.groups, spec.kernel[0], spec.kernel[1]];
      return spec.bias ? { weight: w, bias: [spec.outChannels] } : { weight: w };
    }
    case 'fc': {
      const inFeatures = inShape.reduce((a, b) => a * b, 1);
      const w = [spec.outFeatures, inFeatures];
      return spec.bias ? { weight: w, bias: [spec.outFeatures] } : { weight: w };
    }
    case 'bn': {
      const c = [channelsOf(inShape)];
      return { weight: c, bias: c, runningMean: c, runningVar: c };
    }
    default:
      return {};
  }
}

/** True for layers that carry parameters (conv, fc, bn). */
export function hasParams(spec: LayerSpec): boolean {
  return spec.kind === 'conv' || spec.kind === 'fc' || spec.kind === 'bn';
}

/** Every layer's output shape from the input shape on, throwing at the first layer that cannot run. */
export function inferShapes(inputShape: readonly number[], layers: readonly LayerSpec[]): number[][] {
  const shapes: number[][] = [];
  let cur: readonly number[] = inputShape;
  layers.forEach((spec, i) => {
    cur = layerOutputShape(spec, cur, i);
    shapes.push([...cur]);
  });
  return shapes;
}
