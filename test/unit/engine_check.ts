/**
 * Shared helpers of the engine tests: seeded random data and llm.c-style tensor checks that print
 * the largest difference they found.
 */
import { strict as assert } from 'node:assert';
import { maxAbs, maxAbsDiff } from '../../server/src/engine/tensor.js';
import { mulberry32 } from '../../server/src/engine/weights.js';

/** Uniform floats in [-1, 1) from a seeded generator, so every failure reproduces. */
export function randomArray(n: number, rand: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rand() * 2 - 1;
  return a;
}

/** A seeded generator for a test. */
export function rng(seed: number): () => number {
  return mulberry32(seed);
}

/** A random integer in [lo, hi]. */
export function randint(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/**
 * Asserts that got matches ref: max|got − ref| / max|ref| ≤ tol (relative to the largest reference
 * value of the tensor, so tiny entries next to large ones do not dominate). Prints both numbers and
 * returns the relative difference.
 */
export function checkTensor(name: string, got: Float32Array, ref: Float32Array, tol: number, log = true): number {
  assert.equal(got.length, ref.length, `${name}: ${got.length} values, reference has ${ref.length}`);
  const diff = maxAbsDiff(got, ref);
  const scale = Math.max(maxAbs(ref), 1e-30);
  const rel = diff / scale;
  if (log) console.log(`  ${name}: max abs diff ${diff.toExponential(2)}, max |ref| ${scale.toPrecision(3)}, rel ${rel.toExponential(2)}`);
  assert.ok(rel <= tol, `${name}: max relative difference ${rel} exceeds ${tol} (max abs diff ${diff})`);
  return rel;
}
