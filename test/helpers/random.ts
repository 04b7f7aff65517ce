/** Seeded random data for tests and benchmarks, so every failure reproduces exactly. */

/** The seeded PRNG the engine exports (mulberry32): uniform numbers in [0, 1). */
export { mulberry32 as rng } from '../../server/src/engine/weights.js';

/** `n` uniform floats in [−scale, scale) from `next`. */
export function randomArray(n: number, next: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (next() * 2 - 1) * scale;
  return a;
}

/** A random integer in [lo, hi]. */
export function randint(next: () => number, lo: number, hi: number): number {
  return lo + Math.floor(next() * (hi - lo + 1));
}
