/**
 * What one layer does to its input: output shape, parameters, multiply-accumulates and how it moves
 * the receptive field. Pure functions of (spec, input shape); the checks that judge the result live
 * in checks.ts.
 */
import type { LayerSpec, Pair, Shape } from './types.js';

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

/** The outcome of one layer on a known input shape. */
export interface LayerOutcome {
  /** Output shape, or undefined when the layer cannot apply (an error explains why). */
  readonly out?: Shape;
  readonly weights: number;
  readonly biases: number;
  readonly macs: number;
  /** How the parameters are counted, e.g. `64×3×3×3 + 64`. */
  readonly formula: string;
  readonly field: Field;
  /** Set when an fc layer flattens a map on its own. */
  readonly implicitFlatten?: boolean;
  /** Why the layer cannot apply to this input (becomes a diagnostic). */
  readonly error?: { code: string; message: string };
}

/** Output length of a window sliding along one axis, as PyTorch computes it (may be ≤ 0). */
export function slide(size: number, kernel: number, stride: number, pad: number, dilation = 1): number {
  return Math.floor((size + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1;
}

import { fmtInt as fmt } from './format.js';

/** Moves the receptive field through a window of kernel k (dilated), stride s and padding p per axis. */
function through(f: Field, k: Pair, s: Pair, p: Pair, d: Pair, outExtent: Pair): Field {
  const ax = (i: 0 | 1) => {
    const keff = d[i] * (k[i] - 1) + 1;
    return { rf: f.rf[i] + (keff - 1) * f.jump[i], padding: f.padding[i] + p[i] * f.jump[i], jump: f.jump[i] * s[i] };
  };
  const h = ax(0);
  const w = ax(1);
  return { rf: [h.rf, w.rf], jump: [h.jump, w.jump], padding: [h.padding, w.padding], extent: outExtent, approximate: f.approximate };
}

/** Applies one layer to an input shape. */
export function applyLayer(spec: LayerSpec, input: Shape, field: Field): LayerOutcome {
  // Every outcome is built by `make` with the same property order: object spread here was the
  // analysis' hot spot (V8 builds a dictionary-mode copy), ~10 µs per layer.
  type Parts = { out?: Shape; weights?: number; biases?: number; macs?: number; formula?: string; field?: Field; implicitFlatten?: boolean; error?: { code: string; message: string } };
  const make = (p: Parts): LayerOutcome => ({
    out: p.out, weights: p.weights ?? 0, biases: p.biases ?? 0, macs: p.macs ?? 0, formula: p.formula ?? '0',
    field: p.field ?? field, implicitFlatten: p.implicitFlatten, error: p.error,
  });
  const isMap = input.length === 3;
  const needMap = (what: string): LayerOutcome => make({
    error: { code: 'shape-mismatch', message: `${what} needs a C×H×W map, but its input is a vector of ${fmt(input[0])} (after flatten or fc)` },
  });
  switch (spec.kind) {
    case 'conv': {
      if (!isMap) return needMap(spec.depthwise ? 'dwconv' : 'conv');
      const [c, h, w] = input;
      const groups = spec.depthwise ? c : spec.groups;
      const outC = spec.depthwise ? c : spec.outChannels;
      if (c % groups !== 0 || outC % groups !== 0) {
        return make({
          error: {
            code: 'groups-mismatch',
            message: `groups${groups} needs in and out channels divisible by ${groups}, but they are ${fmt(c)} and ${fmt(outC)}`,
          },
        });
      }
      const oh = slide(h, spec.kernel[0], spec.stride[0], spec.padding[0], spec.dilation[0]);
      const ow = slide(w, spec.kernel[1], spec.stride[1], spec.padding[1], spec.dilation[1]);
      const cin = c / groups;
      const weights = outC * cin * spec.kernel[0] * spec.kernel[1];
      const biases = spec.bias ? outC : 0;
      const formula = `${fmt(outC)}×${fmt(cin)}×${spec.kernel[0]}×${spec.kernel[1]}${spec.bias ? ` + ${fmt(outC)}` : ''}`;
      const f = through(field, spec.kernel, spec.stride, spec.padding, spec.dilation, [oh, ow]);
      if (oh < 1 || ow < 1) return make({ weights, biases, formula, field: f, error: collapse(spec.kernel, spec.dilation, spec.padding, h, w) });
      return make({ out: [outC, oh, ow], weights, biases, macs: outC * oh * ow * cin * spec.kernel[0] * spec.kernel[1], formula, field: f });
    }
    case 'maxpool':
    case 'avgpool': {
      if (!isMap) return needMap(spec.kind);
      const [c, h, w] = input;
      const oh = slide(h, spec.kernel[0], spec.stride[0], spec.padding[0]);
      const ow = slide(w, spec.kernel[1], spec.stride[1], spec.padding[1]);
      const f = through(field, spec.kernel, spec.stride, spec.padding, [1, 1], [oh, ow]);
      if (oh < 1 || ow < 1) return make({ field: f, error: collapse(spec.kernel, [1, 1], spec.padding, h, w) });
      return make({ out: [c, oh, ow], field: f });
    }
    case 'gap': {
      if (!isMap) return needMap('gap');
      const [c, h, w] = input;
      return make({ out: [c, 1, 1], field: through(field, [h, w], [1, 1], [0, 0], [1, 1], [1, 1]) });
    }
    case 'flatten':
      return make({ out: [input.reduce((a, b) => a * b, 1)] });
    case 'fc': {
      const inF = input.reduce((a, b) => a * b, 1);
      const weights = inF * spec.outFeatures;
      const biases = spec.bias ? spec.outFeatures : 0;
      // The fc kernel covers the whole map it reads, whether flattened here or by a flatten line.
      const ext: Pair = isMap ? [input[1], input[2]] : field.extent;
      return make({
        out: [spec.outFeatures], weights, biases, macs: weights,
        formula: `${fmt(spec.outFeatures)}×${isMap ? `(${input.map(fmt).join('×')})` : fmt(inF)}${spec.bias ? ` + ${fmt(spec.outFeatures)}` : ''}`,
        field: through(field, ext, [1, 1], [0, 0], [1, 1], [1, 1]),
        implicitFlatten: isMap,
      });
    }
    case 'bn': {
      const c = input[0];
      return make({ out: input, weights: c, biases: c, formula: `2×${fmt(c)}` });
    }
    case 'lrn':
      if (!isMap) return needMap('lrn');
      return make({ out: input });
    case 'upsample': {
      if (!isMap) return needMap('upsample');
      const [c, h, w] = input;
      const F = spec.factor;
      return make({
        out: [c, h * F, w * F],
        field: { rf: field.rf, jump: [field.jump[0] / F, field.jump[1] / F], padding: field.padding, extent: [h * F, w * F], approximate: true },
      });
    }
    default:
      // Activations, dropout and unknown lines keep the shape.
      return make({ out: input });
  }
}

function collapse(kernel: Pair, dilation: Pair, padding: Pair, h: number, w: number): { code: string; message: string } {
  const kh = dilation[0] * (kernel[0] - 1) + 1;
  const kw = dilation[1] * (kernel[1] - 1) + 1;
  return {
    code: 'shape-collapse',
    message: `the ${kh}×${kw} window is larger than its padded ${h + 2 * padding[0]}×${w + 2 * padding[1]} input (${h}×${w} plus padding ${padding[0]}${padding[1] !== padding[0] ? `×${padding[1]}` : ''}): the output would have no rows or columns`,
  };
}
