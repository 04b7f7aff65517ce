/**
 * The comparator every numeric test relies on (test/helpers/tensors.ts) must itself be able to fail:
 * on NaN wherever it sits, on infinities, on a shape or length mismatch, and on a small entry that is
 * wrong next to large ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTensor, maxAbsDiff, maxAbs } from '../helpers/tensors.js';

const f32 = (...v: number[]) => new Float32Array(v);
const loose = { rtol: 1, atol: 1e9 };

test('maxAbsDiff is NaN when any difference is NaN, wherever it is (not only the last)', () => {
  const ref = f32(0.9, 0.9, 0.9, 0.9);
  assert.ok(Number.isNaN(maxAbsDiff(f32(NaN, NaN, NaN, 0.9), ref)));
  assert.ok(Number.isNaN(maxAbsDiff(f32(NaN, 0.9, 0.9, 0.9), ref)));
  assert.ok(Number.isNaN(maxAbsDiff(ref, f32(0.9, 0.9, NaN, 0.9))));
  assert.equal(maxAbsDiff(f32(1, Infinity), f32(1, 2)), Infinity);
  assert.equal(maxAbsDiff(f32(1, 2, 3), f32(1, 2.5, 2)), 1);
  assert.ok(Number.isNaN(maxAbs(f32(1, NaN, 3))));
  assert.throws(() => maxAbsDiff(f32(1), f32(1, 2)), /lengths differ \(1 vs 2\)/);
});

test('checkTensor fails on NaN against a finite reference, even with an enormous tolerance', () => {
  const ref = f32(0.75, 0.75, 0.75, 0.75);
  assert.throws(() => checkTensor('nan', f32(NaN, NaN, NaN, 0.75), ref, loose, false),
    /nan: element 0 is NaN, the reference 0\.75: a NaN or an infinity must match the reference exactly/);
  assert.throws(() => checkTensor('nan', f32(0.75, 0.75, 0.75, NaN), ref, loose, false), /element 3 is NaN/);
  // A NaN the reference has must be reproduced, and nothing else will do.
  assert.equal(checkTensor('both', f32(1, NaN), f32(1, NaN), { rtol: 0 }, false), 0);
  assert.throws(() => checkTensor('lost', f32(1, 0), f32(1, NaN), loose, false), /element 1 is 0, the reference NaN/);
});

test('checkTensor fails on +Inf and −Inf, and requires the reference\'s own infinities exactly', () => {
  const ref = f32(1, 2, 3);
  assert.throws(() => checkTensor('inf', f32(1, Infinity, 3), ref, loose, false), /element 1 is Infinity, the reference 2/);
  assert.throws(() => checkTensor('-inf', f32(-Infinity, 2, 3), ref, loose, false), /element 0 is -Infinity, the reference 1/);
  assert.equal(checkTensor('same inf', f32(1, -Infinity), f32(1, -Infinity), { rtol: 0 }, false), 0);
  assert.throws(() => checkTensor('sign', f32(1, Infinity), f32(1, -Infinity), loose, false), /element 1 is Infinity, the reference -Infinity/);
  assert.throws(() => checkTensor('finite', f32(1, 2 ** 100), f32(1, Infinity), loose, false), /element 1 is 1\.2676506002282294e\+30, the reference Infinity/);
});

test('checkTensor fails on a shape or length mismatch, whatever the values', () => {
  const data = f32(1, 2, 3, 4, 5, 6);
  assert.throws(() => checkTensor('shape', { shape: [2, 3], data }, { shape: [3, 2], data }, loose, false),
    /shape: shape \[2, 3\], the reference has shape \[3, 2\]/);
  assert.throws(() => checkTensor('rank', { shape: [6], data }, { shape: [1, 6], data }, loose, false), /shape \[6\], the reference has shape \[1, 6\]/);
  assert.throws(() => checkTensor('length', f32(1, 2), f32(1, 2, 3), loose, false), /length: 2 values, the reference has 3/);
  assert.throws(() => checkTensor('atol', f32(1, 2), f32(1, 2), { rtol: 0, atol: [1] }, false), /1 absolute tolerances for 2 values/);
});

test('checkTensor holds every element to its own tolerance and names the worst one', () => {
  // 1e-3 off on an entry of 1e-3 is a 100% error, though tiny next to the largest entry (1000).
  const ref = f32(1000, 1e-3, 5);
  const got = f32(1000, 2e-3, 5);
  assert.throws(() => checkTensor('small', { shape: [1, 3], data: got }, { shape: [1, 3], data: ref }, { rtol: 1e-5 }, false),
    /small: element 1 \[0, 1\] is 0\.00200000009\d*, the reference 0\.0010000000474\d*: \|diff\| .* exceeds its tolerance 1\.000e-8 .*max abs diff over the finite values 1\.000e-3/);
  // Within tolerance it passes and says how much of it the worst element used.
  const used = checkTensor('ok', f32(1.5, 10), f32(1, 10), { rtol: 0, atol: [1, 0] }, false);
  assert.equal(used, 0.5);
  // A zero tolerance demands equality; a per-element atol applies to its own element only.
  assert.throws(() => checkTensor('zero', f32(1, 2), f32(1, 2.5), { rtol: 0 }, false), /element 1/);
  assert.throws(() => checkTensor('per element', f32(1.5, 10.5), f32(1, 10), { rtol: 0, atol: [1, 0.1] }, false), /element 1 is 10\.5/);
});
