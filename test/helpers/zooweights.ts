/**
 * The deterministic weights of test/fixtures/torch/generate_weights.py, made the same way here (see
 * that file's docstring for the rule), and the per-layer fingerprints it records.
 */

/** 32-bit FNV-1a of a string's UTF-8 bytes. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

/** murmur3's 32-bit finaliser. */
export function fmix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** u_i = (fmix32(fnv1a32(key) + i·0x9E3779B9) + 0.5) / 2³², mapped by `map`, rounded to float32. */
export function stream(key: string, n: number, map: (u: number) => number): Float32Array {
  const seed = fnv1a32(key);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = map((fmix32((seed + Math.imul(i, 0x9e3779b9)) >>> 0) + 0.5) / 4294967296);
  return out;
}

/** The generator's tensors for a state_dict's keys and shapes (num_batches_tracked already left out). */
export function zooWeights(keys: readonly (readonly [string, readonly number[]])[]): { name: string; shape: number[]; data: Float32Array }[] {
  const shapes = new Map(keys.map(([k, s]) => [k, s]));
  return keys.map(([k, shape]) => {
    const dot = k.lastIndexOf('.');
    const prefix = k.slice(0, dot);
    const suffix = k.slice(dot + 1);
    const w = shapes.get(`${prefix}.weight`);
    const n = shape.reduce((a, b) => a * b, 1);
    let map: (u: number) => number;
    if (suffix === 'running_var' || (suffix === 'weight' && shape.length === 1)) map = (u) => 0.5 + u;
    else if (suffix === 'running_mean' || (suffix === 'bias' && w !== undefined && w.length === 1)) map = (u) => (2 * u - 1) * 0.2;
    else {
      const fanIn = w!.reduce((a, b) => a * b, 1) / w![0];
      map = (u) => (2 * u - 1) / Math.sqrt(fanIn);
    }
    return { name: k, shape: [...shape], data: stream(k, n, map) };
  });
}

/** What the generator records of one layer's output. */
export interface Fingerprint {
  readonly module: string;
  readonly shape: number[];
  readonly sum: number;
  readonly sumsq: number;
  readonly abssum: number;
  readonly values: number[];
}

/** The 32 sampled positions of a tensor of `n` values. */
export function positions(n: number): number[] {
  return Array.from({ length: 32 }, (_, k) => fmix32(Math.imul(k + 1, 0x9e3779b9) >>> 0) % n);
}

/**
 * How far `data` is from a fingerprint, relative: sums against the sum of |x|, the sum of squares
 * against itself, each sampled value against the output's root mean square. Returns the largest.
 */
export function fingerprintDiff(data: Float32Array, f: Fingerprint): number {
  let sum = 0;
  let sumsq = 0;
  let abssum = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    sum += v;
    sumsq += v * v;
    abssum += Math.abs(v);
  }
  const rms = Math.sqrt(f.sumsq / data.length);
  const tiny = 1e-30;
  let worst = Math.max(Math.abs(sum - f.sum) / (f.abssum + tiny), Math.abs(sumsq - f.sumsq) / (f.sumsq + tiny), Math.abs(abssum - f.abssum) / (f.abssum + tiny));
  positions(data.length).forEach((p, k) => {
    worst = Math.max(worst, Math.abs(data[p] - f.values[k]) / (rms + tiny));
  });
  return worst;
}
