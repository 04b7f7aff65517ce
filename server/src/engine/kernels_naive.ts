/**
 * Reference kernels: loops that follow the textbook formulas one term at a time. They are slow on
 * purpose and exist so the fast kernels in kernels.ts have something independent to be tested against.
 */
import type { ConvSpec, LrnSpec, PoolSpec } from '../language/types.js';
import { assert, shapeStr, type MapShape } from './tensor.js';

/** The geometry of a convolution, as the kernels read it from a ConvSpec. */
export type ConvGeometry = Pick<ConvSpec, 'kernel' | 'stride' | 'padding' | 'dilation' | 'groups'>;

/** The geometry of a pooling window. */
export type PoolGeometry = Pick<PoolSpec, 'kernel' | 'stride' | 'padding'>;

/**
 * out[co, oh, ow] = bias[co] + Σ_{ci in co's group, kh, kw} weight[co, ci, kh, kw] ·
 *                   inp[g·Cin/G + ci, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw]  (zero outside the map).
 */
export function conv2d_naive(
  out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null,
  inShape: MapShape, spec: ConvGeometry, outShape: MapShape,
): void {
  // out is (Cout, OH, OW), inp is (Cin, H, W), weight is (Cout, Cin/groups, kH, kW), bias is (Cout).
  const [cin, h, w] = inShape;
  const [cout, oh, ow] = outShape;
  const [kh, kw] = spec.kernel;
  const [sh, sw] = spec.stride;
  const [ph, pw] = spec.padding;
  const [dh, dw] = spec.dilation;
  const groups = spec.groups;
  const cinG = cin / groups;
  const coutG = cout / groups;
  assert(inp.length === cin * h * w && out.length === cout * oh * ow && weight.length === cout * cinG * kh * kw,
    () => `conv2d_naive: buffers do not match in ${shapeStr(inShape)} out ${shapeStr(outShape)} weight [${cout}, ${cinG}, ${kh}, ${kw}]`);
  for (let co = 0; co < cout; co++) {
    const g = Math.floor(co / coutG);
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let sum = bias ? bias[co] : 0;
        for (let ci = 0; ci < cinG; ci++) {
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
              const iy = y * sh - ph + i * dh;
              const ix = x * sw - pw + j * dw;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              sum += weight[((co * cinG + ci) * kh + i) * kw + j] * inp[((g * cinG + ci) * h + iy) * w + ix];
            }
          }
        }
        out[(co * oh + y) * ow + x] = sum;
      }
    }
  }
}

/** out[o] = bias[o] + Σ_i weight[o, i] · inp[i], as nn.Linear. */
export function linear_naive(
  out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null,
  inFeatures: number, outFeatures: number,
): void {
  // out is (outFeatures), inp is (inFeatures), weight is (outFeatures, inFeatures).
  assert(inp.length === inFeatures && out.length === outFeatures && weight.length === inFeatures * outFeatures,
    () => `linear_naive: in ${inp.length} out ${out.length} weight ${weight.length}, expected [${outFeatures}, ${inFeatures}]`);
  for (let o = 0; o < outFeatures; o++) {
    let sum = bias ? bias[o] : 0;
    for (let i = 0; i < inFeatures; i++) sum += weight[o * inFeatures + i] * inp[i];
    out[o] = sum;
  }
}

/** out[c, oh, ow] = max over the window of inp, where padded positions are −∞ (never win). */
export function maxpool2d_naive(out: Float32Array, inp: Float32Array, inShape: MapShape, spec: PoolGeometry, outShape: MapShape): void {
  // out is (C, OH, OW), inp is (C, H, W).
  pool2d_naive(out, inp, inShape, spec, outShape, 'max');
}

/** out[c, oh, ow] = mean over the kH×kW window of inp, padded positions counting as zeros. */
export function avgpool2d_naive(out: Float32Array, inp: Float32Array, inShape: MapShape, spec: PoolGeometry, outShape: MapShape): void {
  // out is (C, OH, OW), inp is (C, H, W).
  pool2d_naive(out, inp, inShape, spec, outShape, 'avg');
}

function pool2d_naive(
  out: Float32Array, inp: Float32Array, inShape: MapShape, spec: PoolGeometry, outShape: MapShape, mode: 'max' | 'avg',
): void {
  const [c, h, w] = inShape;
  const [, oh, ow] = outShape;
  const [kh, kw] = spec.kernel;
  const [sh, sw] = spec.stride;
  const [ph, pw] = spec.padding;
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let acc = mode === 'max' ? -Infinity : 0;
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const iy = y * sh - ph + i;
            const ix = x * sw - pw + j;
            const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            const v = inside ? inp[(ch * h + iy) * w + ix] : mode === 'max' ? -Infinity : 0;
            if (mode === 'max') {
              if (v > acc || Number.isNaN(v)) acc = v; // torch propagates NaN through max pooling
            } else {
              acc += v;
            }
          }
        }
        out[(ch * oh + y) * ow + x] = mode === 'max' ? acc : acc / (kh * kw);
      }
    }
  }
}

/** out = max(inp, 0), written with a branch to differ in form from the fast kernel. */
export function relu_naive(out: Float32Array, inp: Float32Array): void {
  for (let i = 0; i < inp.length; i++) out[i] = inp[i] > 0 || Number.isNaN(inp[i]) ? inp[i] : 0;
}

/**
 * b[c] = a[c] / (k + alpha/size · Σ_{c' = c − ⌊size/2⌋}^{c + ⌊(size−1)/2⌋} a[c']²)^beta, channels outside [0, C)
 * contributing zero, as torch.nn.LocalResponseNorm.
 */
export function lrn_naive(out: Float32Array, inp: Float32Array, channels: number, plane: number, spec: LrnSpec): void {
  // out and inp are (C, H·W).
  const lo = Math.floor(spec.size / 2);
  const hi = Math.floor((spec.size - 1) / 2);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < plane; p++) {
      let sum = 0;
      for (let cc = c - lo; cc <= c + hi; cc++) {
        if (cc < 0 || cc >= channels) continue;
        const a = inp[cc * plane + p];
        sum += a * a;
      }
      out[c * plane + p] = inp[c * plane + p] / Math.pow(spec.k + (spec.alpha / spec.size) * sum, spec.beta);
    }
  }
}
