/**
 * Reference kernels: loops that follow the textbook formulas one term at a time. They are slow on
 * purpose and exist so the fast kernels in kernels.ts have something independent to be tested against.
 */
import type { ConvSpec, DeconvSpec, LrnSpec, PoolSpec } from '../language/types.js';
import { assert, shapeStr, type MapShape } from './tensor.js';

/** The geometry of a convolution, as the kernels read it from a ConvSpec. */
export type ConvGeometry = Pick<ConvSpec, 'kernel' | 'stride' | 'padding' | 'dilation' | 'groups'>;

/** The geometry of a pooling window. */
export type PoolGeometry = Pick<PoolSpec, 'kernel' | 'stride' | 'padding' | 'ceil'>;

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

/**
 * out[c, oh, ow] = mean over the kH×kW window of inp, padded positions counting as zeros; a ceil-mode
 * window that runs past the padding divides by the taps inside the padded map only (PyTorch's rule).
 */
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
        out[(ch * oh + y) * ow + x] = mode === 'max' ? acc : acc / (inPadded(y * sh - ph, kh, h, ph) * inPadded(x * sw - pw, kw, w, pw));
      }
    }
  }
}

/**
 * How many of the taps [start, start + k) lie in the padded axis [−p, n + p): PyTorch's avg-pool divisor
 * (count_include_pad=True), which is k except for a ceil-mode window running past the padding.
 */
function inPadded(start: number, k: number, n: number, p: number): number {
  let count = 0;
  for (let t = start; t < start + k; t++) if (t >= -p && t < n + p) count++;
  return count;
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

/** The geometry of a transposed convolution, as the kernels read it from a DeconvSpec. */
export type DeconvGeometry = Pick<DeconvSpec, 'kernel' | 'stride' | 'padding' | 'dilation' | 'groups'>;

/**
 * Transposed convolution as nn.ConvTranspose2d, written as a gather: output pixel (oy, ox) receives
 * weight[ci, co − g·Cout/G, i, j] · inp[ci, iy, ix] from every input pixel with iy·sh − ph + i·dh = oy and
 * ix·sw − pw + j·dw = ox, for ci in co's group g; out[co] starts at bias[co].
 */
export function deconv2d_naive(
  out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null,
  inShape: MapShape, spec: DeconvGeometry, outShape: MapShape,
): void {
  // out is (Cout, OH, OW), inp is (Cin, H, W), weight is (Cin, Cout/groups, kH, kW), bias is (Cout) or null.
  const [cin, h, w] = inShape;
  const [cout, oh, ow] = outShape;
  const [kh, kw] = spec.kernel;
  const [sh, sw] = spec.stride;
  const [ph, pw] = spec.padding;
  const [dh, dw] = spec.dilation;
  const cinG = cin / spec.groups;
  const coutG = cout / spec.groups;
  assert(inp.length === cin * h * w && out.length === cout * oh * ow && weight.length === cin * coutG * kh * kw,
    () => `deconv2d_naive: buffers do not match in ${shapeStr(inShape)} out ${shapeStr(outShape)} weight [${cin}, ${coutG}, ${kh}, ${kw}]`);
  for (let co = 0; co < cout; co++) {
    const g = Math.floor(co / coutG);
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let sum = bias ? bias[co] : 0;
        for (let ci = g * cinG; ci < (g + 1) * cinG; ci++) {
          for (let i = 0; i < kh; i++) {
            const ty = y + ph - i * dh;
            if (ty < 0 || ty % sh !== 0 || ty / sh >= h) continue;
            for (let j = 0; j < kw; j++) {
              const tx = x + pw - j * dw;
              if (tx < 0 || tx % sw !== 0 || tx / sw >= w) continue;
              sum += weight[((ci * coutG + (co - g * coutG)) * kh + i) * kw + j] * inp[(ci * h + ty / sh) * w + tx / sw];
            }
          }
        }
        out[(co * oh + y) * ow + x] = sum;
      }
    }
  }
}

/**
 * Bilinear upsampling by an integer factor F as F.interpolate(mode='bilinear', align_corners=False):
 * output pixel y reads source row s = max((y + ½)/F − ½, 0) between rows ⌊s⌋ and min(⌊s⌋ + 1, H − 1),
 * weighted by the distances; the same along x.
 */
export function upsample_bilinear_naive(out: Float32Array, inp: Float32Array, inShape: MapShape, factor: number): void {
  // out is (C, H·F, W·F), inp is (C, H, W).
  const [c, h, w] = inShape;
  const src = (o: number, n: number): [number, number, number] => {
    const s = Math.max((o + 0.5) / factor - 0.5, 0);
    const i0 = Math.floor(s);
    return [i0, Math.min(i0 + 1, n - 1), s - i0];
  };
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h * factor; y++) {
      const [y0, y1, ly] = src(y, h);
      for (let x = 0; x < w * factor; x++) {
        const [x0, x1, lx] = src(x, w);
        const at = (yy: number, xx: number) => inp[(ch * h + yy) * w + xx];
        out[(ch * h * factor + y) * w * factor + x] =
          (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1));
      }
    }
  }
}

/** out = Σ_k ins[k], element by element (a residual add); every input has out's length. */
export function add_naive(out: Float32Array, ins: readonly Float32Array[]): void {
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (const a of ins) s += a[i];
    out[i] = s;
  }
}

/**
 * out = Π_k ins[k], element by element over out's (C, plane) layout, where an input of C values (a
 * C×1×1 map, as squeeze-and-excitation gives) stands for its value repeated over the plane.
 */
export function mul_naive(out: Float32Array, ins: readonly Float32Array[], channels: number, plane: number): void {
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < plane; p++) {
      let m = 1;
      for (const a of ins) m *= a.length === channels && plane > 1 ? a[c] : a[c * plane + p];
      out[c * plane + p] = m;
    }
  }
}

/** out[c, p] = the input that channel c falls in, at (c − its first channel, p): channels stacked in input order. */
export function concat_naive(out: Float32Array, ins: readonly Float32Array[], channels: readonly number[], plane: number): void {
  let c0 = 0;
  ins.forEach((a, k) => {
    for (let c = 0; c < channels[k]; c++) for (let p = 0; p < plane; p++) out[(c0 + c) * plane + p] = a[c * plane + p];
    c0 += channels[k];
  });
}

/** out = min(max(x, 0), 6), with branches. */
export function relu6_naive(out: Float32Array, inp: Float32Array): void {
  for (let i = 0; i < inp.length; i++) {
    const x = inp[i];
    out[i] = x < 0 ? 0 : x > 6 ? 6 : x;
  }
}

/** out = x · σ(x) = x / (1 + e^(−x)). */
export function silu_naive(out: Float32Array, inp: Float32Array): void {
  for (let i = 0; i < inp.length; i++) out[i] = inp[i] * (1 / (1 + Math.exp(-inp[i])));
}

/** out = 0 for x ≤ −3, x for x ≥ 3, x·(x + 3)/6 between. */
export function hardswish_naive(out: Float32Array, inp: Float32Array): void {
  for (let i = 0; i < inp.length; i++) {
    const x = inp[i];
    out[i] = x <= -3 ? 0 : x >= 3 ? x : (x * (x + 3)) / 6;
  }
}

/** out = 0 for x ≤ −3, 1 for x ≥ 3, x/6 + ½ between. */
export function hardsigmoid_naive(out: Float32Array, inp: Float32Array): void {
  for (let i = 0; i < inp.length; i++) {
    const x = inp[i];
    out[i] = x <= -3 ? 0 : x >= 3 ? 1 : x / 6 + 0.5;
  }
}
