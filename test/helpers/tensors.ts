/**
 * Comparing the engine's numbers with a reference in tests: llm.c's check_tensor, made elementwise.
 * Every value must lie within its own tolerance of the reference value, |got − ref| ≤ atol + rtol·|ref|
 * (atol may differ per element, tied to the magnitude of the terms that element sums); a NaN or an
 * infinity must be matched exactly; and the shapes must be equal. A failure names the worst element,
 * its two values, the tolerance there and the largest difference over the whole tensor.
 */
import { strict as assert } from 'node:assert';

/** Unit roundoff of float32, 2⁻²⁴: the largest relative error of rounding one real number to float32. */
export const F32_UNIT = 2 ** -24;
/** Unit roundoff of float64, 2⁻⁵³. */
export const F64_UNIT = 2 ** -53;

/** Elementwise tolerance: |got[i] − ref[i]| ≤ atol[i] + rtol·|ref[i]|. */
export interface Tolerance {
  readonly rtol: number;
  /** The same absolute tolerance for every element (default 0), or one per element. */
  readonly atol?: number | ArrayLike<number>;
}

/** Values to compare: a bare buffer, or a buffer with its shape (then the shapes must match too). */
export type Compared = ArrayLike<number> | { readonly shape: readonly number[]; readonly data: ArrayLike<number> };

const valuesOf = (t: Compared): ArrayLike<number> => ('data' in t && 'shape' in t ? t.data : t);
const shapeOf = (t: Compared): readonly number[] | undefined => ('data' in t && 'shape' in t ? t.shape : undefined);

/**
 * Largest |a[i] − b[i]| over two equal-length buffers: NaN as soon as any difference is NaN (a NaN on
 * either side, or the same infinity on both), Infinity when one side is infinite and the other not.
 */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, `maxAbsDiff: lengths differ (${a.length} vs ${b.length})`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return NaN;
    if (d > m) m = d;
  }
  return m;
}

/** Largest |a[i]|, NaN if any value is NaN. */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}

/** The element's position as [i, j, …] in a row-major shape, for messages. */
function position(flat: number, shape: readonly number[] | undefined): string {
  if (!shape || shape.length < 2) return `${flat}`;
  const idx: number[] = [];
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return `${flat} [${idx.join(', ')}]`;
}

/**
 * Asserts that `got` matches `ref` element by element within `tol` (see Tolerance): a non-finite
 * reference value must be matched exactly, a finite one by a finite value within atol + rtol·|ref|.
 * Returns the largest fraction of its tolerance any element used (≤ 1 when it passes), and logs the
 * largest absolute difference and that fraction unless `log` is false.
 */
export function checkTensor(name: string, got: Compared, ref: Compared, tol: Tolerance, log = true): number {
  const gs = shapeOf(got);
  const rs = shapeOf(ref);
  if (gs && rs) assert.deepEqual([...gs], [...rs], `${name}: shape [${gs.join(', ')}], the reference has shape [${rs.join(', ')}]`);
  const g = valuesOf(got);
  const r = valuesOf(ref);
  const shape = gs ?? rs;
  assert.equal(g.length, r.length, `${name}: ${g.length} values, the reference has ${r.length}`);
  const { rtol } = tol;
  const atol = tol.atol ?? 0;
  if (typeof atol !== 'number') assert.equal(atol.length, r.length, `${name}: ${atol.length} absolute tolerances for ${r.length} values`);
  let worst = 0;
  let worstAt = -1;
  let maxDiff = 0;
  for (let i = 0; i < r.length; i++) {
    const a = g[i];
    const b = r[i];
    const allowed = (typeof atol === 'number' ? atol : atol[i]) + rtol * Math.abs(b);
    let used: number;
    if (!Number.isFinite(b)) {
      // A NaN or an infinity in the reference is a fact the result must reproduce, not a tolerance.
      used = Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) ? 0 : Infinity;
    } else if (!Number.isFinite(a)) {
      used = Infinity;
    } else {
      const d = Math.abs(a - b);
      maxDiff = Math.max(maxDiff, d);
      used = d === 0 ? 0 : d / allowed; // d / 0 is Infinity: a zero tolerance demands equality
    }
    if (used > worst) {
      worst = used;
      worstAt = i;
    }
  }
  if (log) console.log(`  ${name}: max abs diff ${maxDiff.toExponential(2)}, worst element used ${worst.toPrecision(3)} of its tolerance`);
  if (worst > 1) {
    const i = worstAt;
    const a = typeof atol === 'number' ? atol : atol[i];
    const allowed = a + rtol * Math.abs(r[i]);
    const why = Number.isFinite(g[i]) && Number.isFinite(r[i])
      ? `|diff| ${Math.abs(g[i] - r[i])} exceeds its tolerance ${allowed.toExponential(3)} (${a.toExponential(3)} + ${rtol.toExponential(3)}·|ref|)`
      : 'a NaN or an infinity must match the reference exactly';
    assert.fail(`${name}: element ${position(i, shape)} is ${g[i]}, the reference ${r[i]}: ${why}; ` +
      `max abs diff over the finite values ${maxDiff.toExponential(3)}`);
  }
  return worst;
}
