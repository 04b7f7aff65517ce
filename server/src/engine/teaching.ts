/**
 * The fixed kernels a conv line can name instead of learned weights, so a lecture can show what an
 * edge detector or a blur does to a picture. All are written for cross-correlation, which is what
 * PyTorch's conv (and this engine's) computes: out[y, x] = Σ k[i, j] · in[y + i − c, x + j − c].
 */
import type { TeachingKernel } from '../language/types.js';

const FIXED_3X3: Partial<Record<TeachingKernel, readonly number[]>> = {
  // Positive on a dark-to-bright edge from left to right.
  sobelx: [-1, 0, 1, -2, 0, 2, -1, 0, 1],
  // Positive on a dark-to-bright edge from top to bottom.
  sobely: [-1, -2, -1, 0, 0, 0, 1, 2, 1],
  prewittx: [-1, 0, 1, -1, 0, 1, -1, 0, 1],
  prewitty: [-1, -1, -1, 0, 0, 0, 1, 1, 1],
  laplacian: [0, 1, 0, 1, -4, 1, 0, 1, 0],
};

/**
 * One kH×kW teaching kernel, row-major. sobel*, prewitt* and laplacian exist only at 3×3; boxblur is
 * all 1/(kH·kW); gaussian is exp(−(i²/2σh² + j²/2σw²)) around the centre with σ = size/6 per axis
 * (so the kernel spans ±3σ) normalised to sum 1; identity is a single 1 at (⌊kH/2⌋, ⌊kW/2⌋).
 */
export function teachingKernel(name: TeachingKernel, kh: number, kw: number): Float32Array {
  const k = new Float32Array(kh * kw);
  const fixed = FIXED_3X3[name];
  if (fixed) {
    if (kh !== 3 || kw !== 3) {
      throw new Error(`teaching kernel '${name}' is defined only for a 3×3 conv, this conv is ${kh}×${kw}`);
    }
    k.set(fixed);
    return k;
  }
  switch (name) {
    case 'boxblur':
      k.fill(1 / (kh * kw));
      return k;
    case 'gaussian': {
      const gh = gaussian1d(kh);
      const gw = gaussian1d(kw);
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) k[i * kw + j] = gh[i] * gw[j];
      return k;
    }
    case 'identity':
      k[Math.floor(kh / 2) * kw + Math.floor(kw / 2)] = 1;
      return k;
    default:
      throw new Error(`unknown teaching kernel '${name}'`);
  }
}

/** A normalised 1-D Gaussian of n taps with σ = n/6, centred at (n−1)/2. */
function gaussian1d(n: number): Float64Array {
  const sigma = n / 6;
  const c = (n - 1) / 2;
  const g = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    g[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    s += g[i];
  }
  for (let i = 0; i < n; i++) g[i] /= s;
  return g;
}

/**
 * A full conv weight (Cout, Cin/groups, kH, kW) that applies `name` to every (out, in) channel pair,
 * divided by Cin/groups: on an RGB input each output channel sees the kernel applied to the mean of the
 * three channels, so a Sobel conv answers the same on a colour photo as on its grey version.
 */
export function teachingWeight(name: TeachingKernel, outChannels: number, inPerGroup: number, kh: number, kw: number): Float32Array {
  const k = teachingKernel(name, kh, kw);
  const w = new Float32Array(outChannels * inPerGroup * kh * kw);
  for (let pair = 0; pair < outChannels * inPerGroup; pair++) {
    for (let t = 0; t < kh * kw; t++) w[pair * kh * kw + t] = k[t] / inPerGroup;
  }
  return w;
}
