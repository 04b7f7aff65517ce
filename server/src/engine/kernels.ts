/**
 * Fast forward kernels in plain TypeScript. Each computes the same formula as its reference in
 * kernels_naive.ts (the tests hold them to it); the speed comes from memory order, not from cleverness
 * in the arithmetic. All buffers are row-major float32; accumulation happens in float64 JS numbers.
 */
import type { ConvSpec, LrnSpec } from '../language/types.js';
import type { Activation, ConvBackend } from './backend.js';
import type { ConvGeometry, DeconvGeometry, PoolGeometry } from './kernels_naive.js';
import { assert, shapeStr, type MapShape } from './tensor.js';

/** Output pixels per im2col tile: the packed tile (K × 128 floats) stays in L2 for K up to a few thousand. */
const CONV_TILE = 128;

/**
 * out[co, oh, ow] = bias[co] + Σ_{ci, kh, kw} weight[co, ci, kh, kw] · inp[g·Cin/G + ci, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw].
 *
 * Per group this is a GEMM, out_g (M × P) = W_g (M × K) · col (K × P), with M = Cout/G output channels,
 * K = Cin/G·kH·kW taps and P = OH·OW pixels. The columns are built a tile of pixels at a time (im2col)
 * so memory stays bounded at any image size, and both operands are packed in panels of four so the
 * 4×4 inner block reads two contiguous streams and keeps sixteen sums in registers.
 */
export function conv2d_forward(
  out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null,
  inShape: MapShape, spec: ConvGeometry, outShape: MapShape,
): void {
  // out is (Cout, OH, OW), inp is (Cin, H, W), weight is (Cout, Cin/groups, kH, kW), bias is (Cout) or null.
  const [cin, h, w] = inShape;
  const [cout, oh, ow] = outShape;
  const [kh, kw] = spec.kernel;
  const [sh, sw] = spec.stride;
  const [ph, pw] = spec.padding;
  const [dh, dw] = spec.dilation;
  const groups = spec.groups;
  const cinG = cin / groups;
  const M = cout / groups;
  const K = cinG * kh * kw;
  const P = oh * ow;
  assert(Number.isInteger(cinG) && Number.isInteger(M),
    () => `conv2d_forward: groups=${groups} must divide Cin and Cout (in ${shapeStr(inShape)}, out ${shapeStr(outShape)})`);
  assert(inp.length === cin * h * w, () => `conv2d_forward: inp has ${inp.length} elements, in shape ${shapeStr(inShape)}`);
  assert(out.length === cout * P, () => `conv2d_forward: out has ${out.length} elements, out shape ${shapeStr(outShape)}`);
  assert(weight.length === cout * K, () => `conv2d_forward: weight has ${weight.length} elements, expected [${cout}, ${cinG}, ${kh}, ${kw}]`);
  assert(bias === null || bias.length === cout, () => `conv2d_forward: bias has ${bias?.length} elements, expected [${cout}]`);

  const mBlocks = Math.ceil(M / 4);
  const wp = new Float32Array(mBlocks * K * 4);
  const colp = new Float32Array(Math.ceil(CONV_TILE / 4) * K * 4);
  const acc = new Float64Array(16);
  for (let g = 0; g < groups; g++) {
    packWeights(wp, weight, g * M, M, K);
    for (let p0 = 0; p0 < P; p0 += CONV_TILE) {
      const np = Math.min(CONV_TILE, P - p0);
      const pBlocks = Math.ceil(np / 4);
      im2colPanels(colp, inp, g * cinG, cinG, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ow, P, p0, pBlocks);
      for (let mb = 0; mb < mBlocks; mb++) {
        for (let pb = 0; pb < pBlocks; pb++) {
          gemmBlock4x4(acc, wp, mb * K * 4, colp, pb * K * 4, K);
          // Store the valid part of the 4×4 block: rows past M and pixels past P are padding.
          const rows = Math.min(4, M - mb * 4);
          const cols = Math.min(4, np - pb * 4);
          for (let i = 0; i < rows; i++) {
            const co = g * M + mb * 4 + i;
            const b = bias ? bias[co] : 0;
            const base = co * P + p0 + pb * 4;
            for (let j = 0; j < cols; j++) out[base + j] = acc[i * 4 + j] + b;
          }
        }
      }
    }
  }
}

/** Packs rows [m0, m0+M) of a (Cout, K) weight into panels wp[(mb·K + k)·4 + i], zero-filling past M. */
function packWeights(wp: Float32Array, weight: Float32Array, m0: number, M: number, K: number): void {
  const mBlocks = Math.ceil(M / 4);
  for (let mb = 0; mb < mBlocks; mb++) {
    for (let i = 0; i < 4; i++) {
      const m = mb * 4 + i;
      let dst = mb * K * 4 + i;
      if (m < M) {
        const src = (m0 + m) * K;
        for (let k = 0; k < K; k++, dst += 4) wp[dst] = weight[src + k];
      } else {
        for (let k = 0; k < K; k++, dst += 4) wp[dst] = 0;
      }
    }
  }
}

/**
 * Writes the im2col columns of pixels [p0, p0 + 4·pBlocks) into panels colp[(pb·K + k)·4 + j], where
 * k runs over (ci, kh, kw) as the weight does; taps in the zero padding and pixels past P are 0.
 */
function im2colPanels(
  colp: Float32Array, inp: Float32Array, c0: number, cinG: number, h: number, w: number,
  kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number,
  ow: number, P: number, p0: number, pBlocks: number,
): void {
  const K = cinG * kh * kw;
  for (let pb = 0; pb < pBlocks; pb++) {
    for (let j = 0; j < 4; j++) {
      const p = p0 + pb * 4 + j;
      let dst = pb * K * 4 + j;
      if (p >= P) {
        for (let k = 0; k < K; k++, dst += 4) colp[dst] = 0;
        continue;
      }
      const y = Math.floor(p / ow);
      const iy0 = y * sh - ph;
      const ix0 = (p - y * ow) * sw - pw;
      for (let ci = 0; ci < cinG; ci++) {
        const plane = (c0 + ci) * h * w;
        for (let i = 0; i < kh; i++) {
          const iy = iy0 + i * dh;
          const rowInside = iy >= 0 && iy < h;
          const row = plane + iy * w;
          for (let jj = 0; jj < kw; jj++, dst += 4) {
            const ix = ix0 + jj * dw;
            colp[dst] = rowInside && ix >= 0 && ix < w ? inp[row + ix] : 0;
          }
        }
      }
    }
  }
}

/** acc (4×4, row = output channel, column = pixel) = Σ_k wp[wa + 4k + i] · colp[ca + 4k + j]. */
function gemmBlock4x4(acc: Float64Array, wp: Float32Array, wa: number, colp: Float32Array, ca: number, K: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  const end = wa + K * 4;
  for (; wa < end; wa += 4, ca += 4) {
    const w0 = wp[wa], w1 = wp[wa + 1], w2 = wp[wa + 2], w3 = wp[wa + 3];
    const x0 = colp[ca], x1 = colp[ca + 1], x2 = colp[ca + 2], x3 = colp[ca + 3];
    c00 += w0 * x0; c01 += w0 * x1; c02 += w0 * x2; c03 += w0 * x3;
    c10 += w1 * x0; c11 += w1 * x1; c12 += w1 * x2; c13 += w1 * x3;
    c20 += w2 * x0; c21 += w2 * x1; c22 += w2 * x2; c23 += w2 * x3;
    c30 += w3 * x0; c31 += w3 * x1; c32 += w3 * x2; c33 += w3 * x3;
  }
  acc[0] = c00; acc[1] = c01; acc[2] = c02; acc[3] = c03;
  acc[4] = c10; acc[5] = c11; acc[6] = c12; acc[7] = c13;
  acc[8] = c20; acc[9] = c21; acc[10] = c22; acc[11] = c23;
  acc[12] = c30; acc[13] = c31; acc[14] = c32; acc[15] = c33;
}

/** out[o] = bias[o] + Σ_i weight[o, i] · inp[i]: a matrix-vector product, four rows per pass over inp. */
export function linear_forward(
  out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null,
  inFeatures: number, outFeatures: number,
): void {
  // out is (outFeatures), inp is (inFeatures), weight is (outFeatures, inFeatures) as nn.Linear.
  assert(inp.length === inFeatures && out.length === outFeatures,
    () => `linear_forward: inp [${inp.length}] out [${out.length}], expected [${inFeatures}] → [${outFeatures}]`);
  assert(weight.length === inFeatures * outFeatures,
    () => `linear_forward: weight has ${weight.length} elements, expected [${outFeatures}, ${inFeatures}]`);
  assert(bias === null || bias.length === outFeatures, () => `linear_forward: bias has ${bias?.length} elements, expected [${outFeatures}]`);
  const n = inFeatures;
  let o = 0;
  for (; o + 4 <= outFeatures; o += 4) {
    const r0 = o * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let i = 0; i < n; i++) {
      const x = inp[i];
      s0 += weight[r0 + i] * x; s1 += weight[r1 + i] * x; s2 += weight[r2 + i] * x; s3 += weight[r3 + i] * x;
    }
    out[o] = s0 + (bias ? bias[o] : 0);
    out[o + 1] = s1 + (bias ? bias[o + 1] : 0);
    out[o + 2] = s2 + (bias ? bias[o + 2] : 0);
    out[o + 3] = s3 + (bias ? bias[o + 3] : 0);
  }
  for (; o < outFeatures; o++) {
    const r = o * n;
    let s = 0;
    for (let i = 0; i < n; i++) s += weight[r + i] * inp[i];
    out[o] = s + (bias ? bias[o] : 0);
  }
}

/** The default backend: the TypeScript conv and linear kernels above. */
export const tsBackend: ConvBackend = {
  conv2d(out, inp, weight, bias, inShape, spec: ConvSpec, outShape, act, residual) {
    conv2d_forward(out, inp, weight, bias, inShape, spec, outShape);
    if (residual) add_forward(out, [out, residual]);
    if (act) activation_forward(out, act);
  },
  fc(out, inp, weight, bias, inFeatures, outFeatures, act) {
    linear_forward(out, inp, weight, bias, inFeatures, outFeatures);
    if (act) activation_forward(out, act);
  },
};

/** Applies a fused activation in place (the epilogue of a conv or fc). */
export function activation_forward(x: Float32Array, act: Activation): void {
  if (act === 'relu') relu_forward(x, x);
  else relu6_forward(x, x);
}

/**
 * Clamped input ranges of every pooling window along one axis: window o covers [lo[o], hi[o]).
 * Computing them once per axis takes every padding test out of the inner loops.
 */
function windowRanges(outLen: number, inLen: number, k: number, s: number, p: number): [Int32Array, Int32Array, Int32Array] {
  const lo = new Int32Array(outLen);
  const hi = new Int32Array(outLen);
  // Taps inside the padded axis [−p, inLen + p): k, except for a ceil-mode window running past the padding.
  const taps = new Int32Array(outLen);
  for (let o = 0; o < outLen; o++) {
    const start = o * s - p;
    lo[o] = Math.max(start, 0);
    hi[o] = Math.min(start + k, inLen);
    taps[o] = Math.min(start + k, inLen + p) - start;
  }
  return [lo, hi, taps];
}

/** VGG's 2x2 stride-2 max pool, (C, H, W) -> (C, ⌊H/2⌋, ⌊W/2⌋), without the general kernel's window tables. */
function maxpool2x2_forward(out: Float32Array, inp: Float32Array, c: number, h: number, w: number): void {
  const oh = h >> 1, ow = w >> 1;
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < oh; y++) {
      const r0 = (ch * h + 2 * y) * w, r1 = r0 + w, o = (ch * oh + y) * ow;
      for (let x = 0; x < ow; x++) {
        const i = 2 * x;
        out[o + x] = Math.max(inp[r0 + i], inp[r0 + i + 1], inp[r1 + i], inp[r1 + i + 1]);
      }
    }
  }
}

/** out[c, oh, ow] = max of inp over the window; padding is −∞, so it is simply left out of the max. */
export function maxpool2d_forward(out: Float32Array, inp: Float32Array, inShape: MapShape, spec: PoolGeometry, outShape: MapShape): void {
  // out is (C, OH, OW), inp is (C, H, W).
  const [c, h, w] = inShape;
  const [, oh, ow] = outShape;
  assert(inp.length === c * h * w && out.length === c * oh * ow,
    () => `maxpool2d_forward: buffers do not match in ${shapeStr(inShape)} out ${shapeStr(outShape)}`);
  if (spec.kernel[0] === 2 && spec.kernel[1] === 2 && spec.stride[0] === 2 && spec.stride[1] === 2 &&
      spec.padding[0] === 0 && spec.padding[1] === 0 && oh === h >> 1 && ow === w >> 1) {
    maxpool2x2_forward(out, inp, c, h, w);
    return;
  }
  const [ylo, yhi] = windowRanges(oh, h, spec.kernel[0], spec.stride[0], spec.padding[0]);
  const [xlo, xhi] = windowRanges(ow, w, spec.kernel[1], spec.stride[1], spec.padding[1]);
  // The max over a window is the max of its rows' maxima: each input row's window maxima first (H×OW
  // per channel), then each output row's over its window's rows. ResNet's 3×3 stride-2 pool does 6
  // maxima per output instead of 9, windows of 3 without an inner loop (its pool in a ResNet-50 forward:
  // 12.4 → 4.9 ms, test/bench/engine-profile.ts). Math.max keeps the loops free of
  // data-dependent branches, propagates NaN as torch does and gives +0 over −0 in any order: exact.
  const rows = new Float32Array(h * ow);
  for (let ch = 0; ch < c; ch++) {
    const plane = ch * h * w;
    for (let iy = 0; iy < h; iy++) {
      const src = plane + iy * w;
      const dst = iy * ow;
      for (let x = 0; x < ow; x++) {
        const a = src + xlo[x];
        const n = xhi[x] - xlo[x];
        if (n === 3) {
          rows[dst + x] = Math.max(inp[a], inp[a + 1], inp[a + 2]);
          continue;
        }
        let m = -Infinity;
        for (let i = 0; i < n; i++) m = Math.max(m, inp[a + i]);
        rows[dst + x] = m;
      }
    }
    for (let y = 0; y < oh; y++) {
      const dst = (ch * oh + y) * ow;
      const a = ylo[y];
      const b = yhi[y];
      if (a >= b) {
        out.fill(-Infinity, dst, dst + ow); // a window wholly in the padding (ceil mode)
        continue;
      }
      if (b - a === 3) {
        const r0 = a * ow, r1 = r0 + ow, r2 = r1 + ow;
        for (let x = 0; x < ow; x++) out[dst + x] = Math.max(rows[r0 + x], rows[r1 + x], rows[r2 + x]);
        continue;
      }
      out.set(rows.subarray(a * ow, (a + 1) * ow), dst);
      for (let iy = a + 1; iy < b; iy++) {
        const r = iy * ow;
        for (let x = 0; x < ow; x++) out[dst + x] = Math.max(out[dst + x], rows[r + x]);
      }
    }
  }
}

/**
 * out[c, oh, ow] = (Σ of inp over the window) / (taps of the window inside the padded map): padding zeros
 * count (count_include_pad=True), so the divisor is kH·kW except for a ceil-mode window that runs past
 * the padding, which PyTorch divides by the part inside it.
 */
export function avgpool2d_forward(out: Float32Array, inp: Float32Array, inShape: MapShape, spec: PoolGeometry, outShape: MapShape): void {
  // out is (C, OH, OW), inp is (C, H, W).
  const [c, h, w] = inShape;
  const [, oh, ow] = outShape;
  assert(inp.length === c * h * w && out.length === c * oh * ow,
    () => `avgpool2d_forward: buffers do not match in ${shapeStr(inShape)} out ${shapeStr(outShape)}`);
  const [ylo, yhi, ytaps] = windowRanges(oh, h, spec.kernel[0], spec.stride[0], spec.padding[0]);
  const [xlo, xhi, xtaps] = windowRanges(ow, w, spec.kernel[1], spec.stride[1], spec.padding[1]);
  for (let ch = 0; ch < c; ch++) {
    const plane = ch * h * w;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let s = 0;
        for (let iy = ylo[y]; iy < yhi[y]; iy++) {
          const row = plane + iy * w;
          for (let ix = xlo[x]; ix < xhi[x]; ix++) s += inp[row + ix];
        }
        out[(ch * oh + y) * ow + x] = s / (ytaps[y] * xtaps[x]);
      }
    }
  }
}

/** out[c] = mean of inp[c, :, :] (global average pooling). */
export function gap_forward(out: Float32Array, inp: Float32Array, inShape: MapShape): void {
  // out is (C, 1, 1), inp is (C, H, W).
  const [c, h, w] = inShape;
  const plane = h * w;
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let i = ch * plane, end = i + plane; i < end; i++) s += inp[i];
    out[ch] = s / plane;
  }
}

/**
 * out = max(inp, 0), branch-free: (x + |x|) / 2 is exact (x + |x| is 2x or 0) and keeps NaN, four
 * times faster than Math.max, which V8 compiles to a branch that random signs mispredict half the
 * time. Only −∞ (where it gives NaN) takes the other arm of a branch that is almost never taken.
 */
export function relu_forward(out: Float32Array, inp: Float32Array): void {
  for (let i = 0; i < inp.length; i++) {
    const x = inp[i];
    out[i] = x !== -Infinity ? (x + Math.abs(x)) * 0.5 : 0;
  }
}

/** out = x for x ≥ 0, slope·x otherwise; max/min keep it branch-free for 0 ≤ slope ≤ 1. */
export function leakyrelu_forward(out: Float32Array, inp: Float32Array, slope: number): void {
  if (slope >= 0 && slope <= 1) {
    for (let i = 0; i < inp.length; i++) {
      const x = inp[i];
      out[i] = Math.max(x, 0) + slope * Math.min(x, 0);
    }
  } else {
    for (let i = 0; i < inp.length; i++) {
      const x = inp[i];
      out[i] = x >= 0 ? x : slope * x;
    }
  }
}

/** out = 1 / (1 + e^(−x)). */
export function sigmoid_forward(out: Float32Array, inp: Float32Array): void {
  for (let i = 0; i < inp.length; i++) out[i] = 1 / (1 + Math.exp(-inp[i]));
}

/** out = tanh(x). */
export function tanh_forward(out: Float32Array, inp: Float32Array): void {
  for (let i = 0; i < inp.length; i++) out[i] = Math.tanh(inp[i]);
}

/** out = softmax(inp) over the whole vector, shifted by the max so exp never overflows. */
export function softmax_forward(out: Float32Array, inp: Float32Array): void {
  // out and inp are (N).
  let m = -Infinity;
  for (let i = 0; i < inp.length; i++) m = Math.max(m, inp[i]);
  let s = 0;
  for (let i = 0; i < inp.length; i++) s += Math.exp(inp[i] - m);
  for (let i = 0; i < inp.length; i++) out[i] = Math.exp(inp[i] - m) / s;
}

/** out[:, p] = softmax over channels of inp[:, p] at every position p, as nn.Softmax(dim=1). */
export function softmax_channels_forward(out: Float32Array, inp: Float32Array, channels: number, plane: number): void {
  // out and inp are (C, H·W); channel-outer loops keep each pass contiguous.
  const m = new Float64Array(plane).fill(-Infinity);
  const s = new Float64Array(plane);
  for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) m[p] = Math.max(m[p], inp[c * plane + p]);
  for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) s[p] += Math.exp(inp[c * plane + p] - m[p]);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < plane; p++) out[c * plane + p] = Math.exp(inp[c * plane + p] - m[p]) / s[p];
  }
}

/** out[c] = (inp[c] − mean[c]) / √(var[c] + eps) · gamma[c] + beta[c], at inference. */
export function batchnorm_forward(
  out: Float32Array, inp: Float32Array, channels: number, plane: number,
  gamma: Float32Array, beta: Float32Array, mean: Float32Array, variance: Float32Array, eps: number,
): void {
  // out and inp are (C, H·W) (plane = 1 for a vector); the four parameter vectors are (C).
  for (let c = 0; c < channels; c++) {
    const scale = gamma[c] / Math.sqrt(variance[c] + eps);
    const shift = beta[c] - mean[c] * scale;
    for (let i = c * plane, end = i + plane; i < end; i++) out[i] = inp[i] * scale + shift;
  }
}

/**
 * Local response normalisation as torch.nn.LocalResponseNorm: the sum of squares over the channel
 * window [c − ⌊size/2⌋, c + ⌊(size−1)/2⌋] slides one channel at a time instead of being recomputed.
 */
export function lrn_forward(out: Float32Array, inp: Float32Array, channels: number, plane: number, spec: LrnSpec): void {
  // out and inp are (C, H·W).
  const lo = Math.floor(spec.size / 2);
  const hi = Math.floor((spec.size - 1) / 2);
  const a = spec.alpha / spec.size;
  const sum = new Float64Array(plane);
  for (let c = 0; c <= Math.min(hi, channels - 1); c++) {
    for (let p = 0; p < plane; p++) sum[p] += inp[c * plane + p] * inp[c * plane + p];
  }
  for (let c = 0; c < channels; c++) {
    if (c > 0) {
      const enter = c + hi;
      const leave = c - 1 - lo;
      if (enter < channels) for (let p = 0; p < plane; p++) sum[p] += inp[enter * plane + p] * inp[enter * plane + p];
      if (leave >= 0) for (let p = 0; p < plane; p++) sum[p] -= inp[leave * plane + p] * inp[leave * plane + p];
    }
    for (let p = 0; p < plane; p++) {
      // The running sum can dip a rounding error below zero after subtractions; squares never do.
      out[c * plane + p] = inp[c * plane + p] / Math.pow(spec.k + a * Math.max(sum[p], 0), spec.beta);
    }
  }
}

/** out[c, i·F + a, j·F + b] = inp[c, i, j] for 0 ≤ a, b < F: nearest-neighbour upsampling. */
export function upsample_nearest_forward(out: Float32Array, inp: Float32Array, inShape: MapShape, factor: number): void {
  // out is (C, H·F, W·F), inp is (C, H, W).
  const [c, h, w] = inShape;
  const ow = w * factor;
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h * factor; y++) {
      const src = (ch * h + Math.floor(y / factor)) * w;
      const dst = (ch * h * factor + y) * ow;
      for (let x = 0; x < ow; x++) out[dst + x] = inp[src + Math.floor(x / factor)];
    }
  }
}

/** out[c, i·F, j·F] = inp[c, i, j], zero elsewhere: zero insertion (a transposed conv's input). */
export function upsample_zeros_forward(out: Float32Array, inp: Float32Array, inShape: MapShape, factor: number): void {
  // out is (C, H·F, W·F), inp is (C, H, W).
  const [c, h, w] = inShape;
  const ow = w * factor;
  out.fill(0);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      const src = (ch * h + y) * w;
      const dst = (ch * h * factor + y * factor) * ow;
      for (let x = 0; x < w; x++) out[dst + x * factor] = inp[src + x];
    }
  }
}

/**
 * Transposed convolution as nn.ConvTranspose2d, written as a scatter: every input pixel (iy, ix) of
 * channel ci adds weight[ci, co − g·Cout/G, i, j] · inp[ci, iy, ix] to out[co, iy·sh − ph + i·dh, ix·sw − pw + j·dw].
 *
 * For one output channel and tap (i, j) the contributions of all input pixels form one plane,
 * row = Σ_ci weight[ci, co, i, j] · inp[ci] (a GEMM row over contiguous input planes), which is then
 * added onto the output plane at stride (sh, sw), offset by the tap (col2im). Sums stay in float64
 * until the plane is written.
 */
export function deconv2d_forward(
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
  const groups = spec.groups;
  const cinG = cin / groups;
  const coutG = cout / groups;
  assert(Number.isInteger(cinG) && Number.isInteger(coutG),
    () => `deconv2d_forward: groups=${groups} must divide Cin and Cout (in ${shapeStr(inShape)}, out ${shapeStr(outShape)})`);
  assert(inp.length === cin * h * w, () => `deconv2d_forward: inp has ${inp.length} elements, in shape ${shapeStr(inShape)}`);
  assert(out.length === cout * oh * ow, () => `deconv2d_forward: out has ${out.length} elements, out shape ${shapeStr(outShape)}`);
  assert(weight.length === cin * coutG * kh * kw, () => `deconv2d_forward: weight has ${weight.length} elements, expected [${cin}, ${coutG}, ${kh}, ${kw}]`);
  assert(bias === null || bias.length === cout, () => `deconv2d_forward: bias has ${bias?.length} elements, expected [${cout}]`);
  const P = h * w;
  const row = new Float64Array(P);
  const acc = new Float64Array(oh * ow);
  // Input rows (and columns) whose tap i lands inside the output: oy = iy·sh − ph + i·dh ∈ [0, OH).
  const range = (n: number, s: number, p: number, off: number, outLen: number): [number, number] =>
    [Math.max(0, Math.ceil((p - off) / s)), Math.min(n, Math.floor((outLen - 1 + p - off) / s) + 1)];
  for (let co = 0; co < cout; co++) {
    const g = Math.floor(co / coutG);
    const col = co - g * coutG;
    acc.fill(bias ? bias[co] : 0);
    for (let i = 0; i < kh; i++) {
      const [y0, y1] = range(h, sh, ph, i * dh, oh);
      for (let j = 0; j < kw; j++) {
        const [x0, x1] = range(w, sw, pw, j * dw, ow);
        if (y0 >= y1 || x0 >= x1) continue;
        row.fill(0);
        for (let ci = g * cinG; ci < (g + 1) * cinG; ci++) {
          const wv = weight[((ci * coutG + col) * kh + i) * kw + j];
          const base = ci * P;
          for (let p = 0; p < P; p++) row[p] += wv * inp[base + p];
        }
        for (let iy = y0; iy < y1; iy++) {
          const dst = (iy * sh - ph + i * dh) * ow - pw + j * dw;
          const src = iy * w;
          for (let ix = x0; ix < x1; ix++) acc[dst + ix * sw] += row[src + ix];
        }
      }
    }
    out.set(acc, co * oh * ow);
  }
}

/**
 * Bilinear upsampling by an integer factor F as F.interpolate(mode='bilinear', align_corners=False).
 * The source rows, columns and weights depend on one axis each, so they are tabled once per axis and
 * each output row blends two source rows.
 */
export function upsample_bilinear_forward(out: Float32Array, inp: Float32Array, inShape: MapShape, factor: number): void {
  // out is (C, H·F, W·F), inp is (C, H, W).
  const [c, h, w] = inShape;
  const oh = h * factor;
  const ow = w * factor;
  assert(inp.length === c * h * w && out.length === c * oh * ow,
    () => `upsample_bilinear_forward: buffers do not match in ${shapeStr(inShape)}, factor ${factor}`);
  const table = (outLen: number, n: number): [Int32Array, Int32Array, Float64Array] => {
    const i0 = new Int32Array(outLen);
    const i1 = new Int32Array(outLen);
    const l = new Float64Array(outLen);
    for (let o = 0; o < outLen; o++) {
      const src = Math.max((o + 0.5) / factor - 0.5, 0);
      i0[o] = Math.floor(src);
      i1[o] = Math.min(i0[o] + 1, n - 1);
      l[o] = src - i0[o];
    }
    return [i0, i1, l];
  };
  const [ya, yb, ly] = table(oh, h);
  const [xa, xb, lx] = table(ow, w);
  for (let ch = 0; ch < c; ch++) {
    const plane = ch * h * w;
    for (let y = 0; y < oh; y++) {
      const ra = plane + ya[y] * w;
      const rb = plane + yb[y] * w;
      const wy = ly[y];
      const dst = (ch * oh + y) * ow;
      for (let x = 0; x < ow; x++) {
        const wx = lx[x];
        const top = inp[ra + xa[x]] + wx * (inp[ra + xb[x]] - inp[ra + xa[x]]);
        const bottom = inp[rb + xa[x]] + wx * (inp[rb + xb[x]] - inp[rb + xa[x]]);
        out[dst + x] = top + wy * (bottom - top);
      }
    }
  }
}

/** out = ins[0] + ins[1] + …, added in input order (each sum rounded to float32, as torch's chained adds). */
export function add_forward(out: Float32Array, ins: readonly Float32Array[]): void {
  for (const a of ins) {
    assert(a.length === out.length, () => `add_forward: an input has ${a.length} values, out has ${out.length}`);
  }
  out.set(ins[0]);
  for (let k = 1; k < ins.length; k++) {
    const a = ins[k];
    for (let i = 0; i < out.length; i++) out[i] += a[i];
  }
}

/**
 * out = ins[0] ⊙ ins[1] ⊙ …, in input order; out is (C, plane) and an input of just C values (a C×1×1
 * map) scales each channel's plane by its value (squeeze-and-excitation's broadcast).
 */
export function mul_forward(out: Float32Array, ins: readonly Float32Array[], channels: number, plane: number): void {
  for (const a of ins) {
    assert(a.length === out.length || a.length === channels,
      () => `mul_forward: an input has ${a.length} values; out is ${channels}×${plane}`);
  }
  out.fill(1);
  for (const a of ins) {
    if (a.length === out.length) {
      for (let i = 0; i < out.length; i++) out[i] *= a[i];
    } else {
      for (let c = 0; c < channels; c++) {
        const v = a[c];
        for (let i = c * plane, end = i + plane; i < end; i++) out[i] *= v;
      }
    }
  }
}

/**
 * Concatenation along channels: with channels outermost in (C, H, W) (and for vectors), each input is
 * one contiguous block of out, so the inputs are copied one after the other.
 */
export function concat_forward(out: Float32Array, ins: readonly Float32Array[]): void {
  let at = 0;
  for (const a of ins) {
    out.set(a, at);
    at += a.length;
  }
  assert(at === out.length, () => `concat_forward: the inputs hold ${at} values, out has ${out.length}`);
}

/** out = min(max(x, 0), 6) (MobileNet's ReLU6). */
export function relu6_forward(out: Float32Array, inp: Float32Array): void {
  for (let i = 0; i < inp.length; i++) out[i] = Math.min(Math.max(inp[i], 0), 6);
}

/** out = x · σ(x) = x / (1 + e^(−x)) (SiLU, swish). */
export function silu_forward(out: Float32Array, inp: Float32Array): void {
  for (let i = 0; i < inp.length; i++) out[i] = inp[i] / (1 + Math.exp(-inp[i]));
}

/** out = x · relu6(x + 3) / 6 (MobileNetV3's hard swish). */
export function hardswish_forward(out: Float32Array, inp: Float32Array): void {
  for (let i = 0; i < inp.length; i++) {
    const x = inp[i];
    out[i] = (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
  }
}

/** out = relu6(x + 3) / 6 (MobileNetV3's hard sigmoid). */
export function hardsigmoid_forward(out: Float32Array, inp: Float32Array): void {
  for (let i = 0; i < inp.length; i++) out[i] = Math.min(Math.max(inp[i] + 3, 0), 6) / 6;
}
