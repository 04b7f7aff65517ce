/**
 * The fast kernels against the naive reference kernels on seeded random shapes, covering stride,
 * padding, dilation, groups, depthwise and non-square kernels, and sizes that straddle the GEMM's
 * 4×4 blocks and im2col tiles.
 *
 * Tolerance, element by element. Both kernels accumulate in float64 (a product of two float32 values is
 * exact there) and round once to float32 when they store. Their float64 sums of the same n terms differ
 * by at most 2·n·2⁻⁵³·Σ|t_k| (each is within n·2⁻⁵³·Σ|t_k| of the exact sum, in any order), and rounding
 * each to float32 adds at most 2⁻²⁴·|value| apiece. So every element must satisfy
 *     |fast − naive| ≤ 2·2⁻²⁴·|naive| + 3·n·2⁻⁵³·Σ|t_k|
 * (3 rather than 2 leaves room for second-order terms): at most about one float32 ulp, except where
 * the terms cancel to nearly nothing. Σ|t_k| comes from the naive kernel run on |inputs|.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { LrnSpec } from '../../server/src/analysis/types.js';
import {
  avgpool2d_forward, conv2d_forward, linear_forward, lrn_forward, maxpool2d_forward, relu_forward,
} from '../../server/src/engine/kernels.js';
import {
  avgpool2d_naive, conv2d_naive, linear_naive, lrn_naive, maxpool2d_naive, relu_naive,
  type ConvGeometry, type PoolGeometry,
} from '../../server/src/engine/kernels_naive.js';
import { convOutSize } from '../../server/src/engine/shapes.js';
import type { MapShape } from '../../server/src/engine/tensor.js';
import { randint, randomArray, rng } from '../helpers/random.js';
import { checkTensor, F32_UNIT, F64_UNIT, type Tolerance } from '../helpers/tensors.js';

/** Two roundings to float32, relative to the value. */
const RTOL = 2 * F32_UNIT;

/** The tolerance above for sums of `n` terms whose absolute values sum to `magnitude` (elementwise). */
function sumTolerance(magnitude: Float32Array, n: number): Tolerance {
  return { rtol: RTOL, atol: magnitude.map((m) => 3 * n * F64_UNIT * m) };
}

const abs = (a: Float32Array): Float32Array => a.map(Math.abs);

interface ConvCase {
  readonly cin: number;
  readonly h: number;
  readonly w: number;
  readonly cout: number;
  readonly geom: ConvGeometry;
}

function runConvCase(name: string, c: ConvCase, rand: () => number): number {
  const [kh, kw] = c.geom.kernel;
  const oh = convOutSize(c.h, kh, c.geom.stride[0], c.geom.padding[0], c.geom.dilation[0]);
  const ow = convOutSize(c.w, kw, c.geom.stride[1], c.geom.padding[1], c.geom.dilation[1]);
  const inShape: MapShape = [c.cin, c.h, c.w];
  const outShape: MapShape = [c.cout, oh, ow];
  const inp = randomArray(c.cin * c.h * c.w, rand);
  const weight = randomArray(c.cout * (c.cin / c.geom.groups) * kh * kw, rand);
  const bias = rand() < 0.5 ? randomArray(c.cout, rand) : null;
  const ref = new Float32Array(c.cout * oh * ow);
  // Stale values in `out` must not leak into the result.
  const got = new Float32Array(c.cout * oh * ow).fill(NaN);
  const magnitude = new Float32Array(c.cout * oh * ow);
  conv2d_naive(ref, inp, weight, bias, inShape, c.geom, outShape);
  conv2d_naive(magnitude, abs(inp), abs(weight), bias && abs(bias), inShape, c.geom, outShape);
  conv2d_forward(got, inp, weight, bias, inShape, c.geom, outShape);
  const n = (c.cin / c.geom.groups) * kh * kw + 1;
  return checkTensor(name, { shape: outShape, data: got }, { shape: outShape, data: ref }, sumTolerance(magnitude, n), false);
}

describe('conv2d_forward matches conv2d_naive', () => {
  it('on hand-picked geometries', () => {
    const rand = rng(1);
    const g = (kernel: [number, number], stride: [number, number], padding: [number, number], dilation: [number, number], groups: number): ConvGeometry =>
      ({ kernel, stride, padding, dilation, groups });
    const cases: [string, ConvCase][] = [
      ['3x3 pad 1', { cin: 3, h: 9, w: 11, cout: 8, geom: g([3, 3], [1, 1], [1, 1], [1, 1], 1) }],
      ['non-square (5,3) stride (2,1)', { cin: 4, h: 13, w: 10, cout: 6, geom: g([5, 3], [2, 1], [2, 1], [1, 1], 1) }],
      ['dilation 2', { cin: 2, h: 12, w: 12, cout: 5, geom: g([3, 3], [1, 1], [2, 2], [2, 2], 1) }],
      ['dilation (3,1) stride 2', { cin: 3, h: 15, w: 9, cout: 4, geom: g([3, 3], [2, 2], [1, 0], [3, 1], 1) }],
      ['groups 2', { cin: 6, h: 8, w: 7, cout: 10, geom: g([3, 3], [1, 1], [1, 1], [1, 1], 2) }],
      ['depthwise', { cin: 7, h: 10, w: 10, cout: 7, geom: g([3, 3], [1, 1], [1, 1], [1, 1], 7) }],
      ['depthwise multiplier 2', { cin: 3, h: 6, w: 9, cout: 6, geom: g([3, 5], [2, 2], [1, 2], [1, 1], 3) }],
      ['1x1', { cin: 16, h: 5, w: 5, cout: 9, geom: g([1, 1], [1, 1], [0, 0], [1, 1], 1) }],
      ['stride larger than kernel', { cin: 2, h: 11, w: 11, cout: 3, geom: g([2, 2], [3, 3], [0, 0], [1, 1], 1) }],
      ['padding larger than kernel', { cin: 2, h: 4, w: 5, cout: 3, geom: g([3, 3], [1, 1], [4, 3], [1, 1], 1) }],
      ['kernel covers the map', { cin: 3, h: 5, w: 5, cout: 2, geom: g([5, 5], [1, 1], [0, 0], [1, 1], 1) }],
      ['many pixels (several im2col tiles, P % 4 != 0)', { cin: 3, h: 23, w: 19, cout: 5, geom: g([3, 3], [1, 1], [1, 1], [1, 1], 1) }],
      ['deep K', { cin: 64, h: 6, w: 6, cout: 13, geom: g([3, 3], [1, 1], [1, 1], [1, 1], 1) }],
    ];
    let worst = 0;
    for (const [name, c] of cases) worst = Math.max(worst, runConvCase(name, c, rand));
    console.log(`  hand-picked conv cases: ${cases.length}, the worst element used ${worst.toPrecision(3)} of its tolerance`);
  });

  it('on 60 seeded random geometries', () => {
    const rand = rng(42);
    let worst = 0;
    let ran = 0;
    while (ran < 60) {
      const groups = [1, 1, 2, 3, 4][randint(rand, 0, 4)];
      const depthwise = rand() < 0.2;
      const cin = depthwise ? randint(rand, 1, 9) : groups * randint(rand, 1, 4);
      const cout = depthwise ? cin : groups * randint(rand, 1, 5);
      const geom: ConvGeometry = {
        kernel: [randint(rand, 1, 5), randint(rand, 1, 5)],
        stride: [randint(rand, 1, 3), randint(rand, 1, 3)],
        padding: [randint(rand, 0, 3), randint(rand, 0, 3)],
        dilation: [randint(rand, 1, 3), randint(rand, 1, 3)],
        groups: depthwise ? cin : groups,
      };
      const c: ConvCase = { cin, h: randint(rand, 1, 20), w: randint(rand, 1, 20), cout, geom };
      const oh = convOutSize(c.h, geom.kernel[0], geom.stride[0], geom.padding[0], geom.dilation[0]);
      const ow = convOutSize(c.w, geom.kernel[1], geom.stride[1], geom.padding[1], geom.dilation[1]);
      if (oh < 1 || ow < 1) continue;
      worst = Math.max(worst, runConvCase(`random ${ran}`, c, rand));
      ran++;
    }
    console.log(`  random conv cases: ${ran}, the worst element used ${worst.toPrecision(3)} of its tolerance`);
  });
});

describe('linear_forward matches linear_naive', () => {
  it('for sizes around the 4-row blocking, with and without bias', () => {
    const rand = rng(7);
    let worst = 0;
    for (const [nin, nout] of [[1, 1], [5, 3], [17, 4], [64, 9], [300, 10], [7, 33]]) {
      for (const withBias of [true, false]) {
        const inp = randomArray(nin, rand);
        const weight = randomArray(nin * nout, rand);
        const bias = withBias ? randomArray(nout, rand) : null;
        const ref = new Float32Array(nout);
        const magnitude = new Float32Array(nout);
        const got = new Float32Array(nout).fill(NaN);
        linear_naive(ref, inp, weight, bias, nin, nout);
        linear_naive(magnitude, abs(inp), abs(weight), bias && abs(bias), nin, nout);
        linear_forward(got, inp, weight, bias, nin, nout);
        worst = Math.max(worst, checkTensor(`linear ${nin}→${nout}`, got, ref, sumTolerance(magnitude, nin + 1), false));
      }
    }
    console.log(`  linear cases: 12, the worst element used ${worst.toPrecision(3)} of its tolerance`);
  });
});

describe('pooling matches the naive kernels', () => {
  it('maxpool and avgpool on random geometries with padding', () => {
    const rand = rng(9);
    let worst = 0;
    let ran = 0;
    while (ran < 40) {
      const kernel: [number, number] = [randint(rand, 1, 4), randint(rand, 1, 4)];
      const geom: PoolGeometry = {
        kernel,
        stride: [randint(rand, 1, 3), randint(rand, 1, 3)],
        padding: [randint(rand, 0, Math.floor(kernel[0] / 2)), randint(rand, 0, Math.floor(kernel[1] / 2))],
      };
      const c = randint(rand, 1, 4);
      const h = randint(rand, 1, 15);
      const w = randint(rand, 1, 15);
      const oh = convOutSize(h, kernel[0], geom.stride[0], geom.padding[0]);
      const ow = convOutSize(w, kernel[1], geom.stride[1], geom.padding[1]);
      if (oh < 1 || ow < 1) continue;
      const inShape: MapShape = [c, h, w];
      const outShape: MapShape = [c, oh, ow];
      // Negative inputs make −∞ padding and zero padding give different maxima.
      const inp = randomArray(c * h * w, rand).map((v) => v - 0.5);
      // Max pooling picks one of the inputs: it must be exact. Average pooling sums the window.
      const maxRef = new Float32Array(c * oh * ow);
      const maxGot = new Float32Array(c * oh * ow).fill(NaN);
      maxpool2d_naive(maxRef, inp, inShape, geom, outShape);
      maxpool2d_forward(maxGot, inp, inShape, geom, outShape);
      checkTensor('maxpool', { shape: outShape, data: maxGot }, { shape: outShape, data: maxRef }, { rtol: 0 }, false);
      const avgRef = new Float32Array(c * oh * ow);
      const avgMagnitude = new Float32Array(c * oh * ow);
      const avgGot = new Float32Array(c * oh * ow).fill(NaN);
      avgpool2d_naive(avgRef, inp, inShape, geom, outShape);
      avgpool2d_naive(avgMagnitude, abs(inp), inShape, geom, outShape);
      avgpool2d_forward(avgGot, inp, inShape, geom, outShape);
      // The mean's division (or multiplication by the reciprocal) is one more float64 rounding.
      const tol = sumTolerance(avgMagnitude, kernel[0] * kernel[1] + 1);
      worst = Math.max(worst, checkTensor('avgpool', { shape: outShape, data: avgGot }, { shape: outShape, data: avgRef }, tol, false));
      ran++;
    }
    console.log(`  pooling cases: ${ran} × 2 (maxpool exact), avgpool's worst element used ${worst.toPrecision(3)} of its tolerance`);
  });

  it('maxpool propagates NaN like torch', () => {
    const inp = new Float32Array([1, NaN, 3, 4]);
    const out = new Float32Array(1);
    maxpool2d_forward(out, inp, [1, 2, 2], { kernel: [2, 2], stride: [2, 2], padding: [0, 0] }, [1, 1, 1]);
    assert.ok(Number.isNaN(out[0]));
  });
});

describe('elementwise and channel kernels match the naive ones', () => {
  it('relu (branch-free) equals the branching reference, NaN included', () => {
    const inp = new Float32Array([-2, -0, 0, 1.5, NaN, -Infinity, Infinity]);
    const got = new Float32Array(inp.length);
    const ref = new Float32Array(inp.length);
    relu_forward(got, inp);
    relu_naive(ref, inp);
    assert.deepEqual([...got].map(String), [...ref].map(String));
  });

  it('lrn sliding window equals the literal sum for odd and even sizes', () => {
    const rand = rng(11);
    let worst = 0;
    for (const size of [1, 2, 3, 4, 5, 9]) {
      const spec: LrnSpec = { kind: 'lrn', size, alpha: 0.7, beta: 0.75, k: 1.2 };
      const c = 7;
      const plane = 13;
      const inp = randomArray(c * plane, rand).map((v) => v * 3);
      const ref = new Float32Array(c * plane);
      const got = new Float32Array(c * plane);
      lrn_naive(ref, inp, c, plane, spec);
      lrn_forward(got, inp, c, plane, spec);
      // Two roundings to float32; the sliding sum's float64 roundings (a few dozen additions and
      // subtractions of squares below 10 each) change the result by less than 1e-13 of its value.
      worst = Math.max(worst, checkTensor(`lrn size ${size}`, got, ref, { rtol: RTOL + 1e-13 }, false));
    }
    console.log(`  lrn cases: 6, the worst element used ${worst.toPrecision(3)} of its tolerance`);
  });
});

describe('kernel asserts print shapes', () => {
  it('conv2d_forward rejects a weight of the wrong size', () => {
    const geom: ConvGeometry = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 };
    assert.throws(
      () => conv2d_forward(new Float32Array(2 * 16), new Float32Array(3 * 16), new Float32Array(5), null, [3, 4, 4], geom, [2, 4, 4]),
      /weight has 5 elements, expected \[2, 3, 3, 3\]/,
    );
  });
});
