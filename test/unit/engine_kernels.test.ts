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
import type { LrnSpec } from '../../server/src/language/types.js';
import {
  add_forward, avgpool2d_forward, concat_forward, conv2d_forward, deconv2d_forward, hardsigmoid_forward, hardswish_forward,
  linear_forward, lrn_forward, maxpool2d_forward, mul_forward, relu6_forward, relu_forward, silu_forward,
  upsample_bilinear_forward,
} from '../../server/src/engine/kernels.js';
import {
  add_naive, avgpool2d_naive, concat_naive, conv2d_naive, deconv2d_naive, hardsigmoid_naive, hardswish_naive,
  linear_naive, lrn_naive, maxpool2d_naive, mul_naive, relu6_naive, relu_naive, silu_naive, upsample_bilinear_naive,
  type ConvGeometry, type DeconvGeometry, type PoolGeometry,
} from '../../server/src/engine/kernels_naive.js';
import { KINDS, slideBack } from '../../server/src/language/kinds.js';
import type { LayerKind } from '../../server/src/language/types.js';
import { OPS } from '../../server/src/engine/ops.js';
import { convOutSize } from '../../server/src/engine/shapes.js';
import type { MapShape } from '../../server/src/engine/tensor.js';
import { randint, randomArray, rng } from '../helpers/random.js';
import { checkTensor, F32_UNIT, F64_UNIT, maxAbs, type Tolerance } from '../helpers/tensors.js';

/** Two roundings to float32, relative to the value. */
const RTOL = 2 * F32_UNIT;

/** The tolerance above for sums of `n` terms whose absolute values sum to `magnitude` (elementwise). */
function sumTolerance(magnitude: Float32Array, n: number): Tolerance {
  return { rtol: RTOL, atol: magnitude.map((m) => 3 * n * F64_UNIT * m) };
}

const abs = (a: Float32Array): Float32Array => a.map(Math.abs);

/**
 * Fast vs reference kernels of the graph kinds (deconv, bilinear, merges): the same products summed in
 * another order, so a few float32 roundings of the largest value apart at most.
 */
const tolOf = (ref: ArrayLike<number>): Tolerance => ({ rtol: RTOL, atol: 8 * F32_UNIT * maxAbs(ref) });

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
  it('maxpool and avgpool on random geometries with padding, in floor and ceil mode', () => {
    const rand = rng(9);
    let worst = 0;
    let ran = 0;
    while (ran < 80) {
      const kernel: [number, number] = [randint(rand, 1, 4), randint(rand, 1, 4)];
      const geom: PoolGeometry = {
        kernel,
        stride: [randint(rand, 1, 3), randint(rand, 1, 3)],
        padding: [randint(rand, 0, Math.floor(kernel[0] / 2)), randint(rand, 0, Math.floor(kernel[1] / 2))],
        // Ceil mode keeps a last window that runs past the padding, where avg's divisor shrinks.
        ceil: rand() < 0.5,
      };
      const c = randint(rand, 1, 4);
      const h = randint(rand, 1, 15);
      const w = randint(rand, 1, 15);
      const oh = convOutSize(h, kernel[0], geom.stride[0], geom.padding[0], 1, geom.ceil);
      const ow = convOutSize(w, kernel[1], geom.stride[1], geom.padding[1], 1, geom.ceil);
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

  it('maxpool 2x2 stride 2 (its own loop) on even and odd sizes, floor and ceil', () => {
    const rand = rng(10);
    for (const [c, h, w, ceil] of [[3, 8, 6, false], [2, 7, 9, false], [2, 7, 9, true], [1, 1, 3, false]] as const) {
      const geom: PoolGeometry = { kernel: [2, 2], stride: [2, 2], padding: [0, 0], ceil };
      const oh = convOutSize(h, 2, 2, 0, 1, ceil), ow = convOutSize(w, 2, 2, 0, 1, ceil);
      const inp = randomArray(c * h * w, rand);
      const ref = new Float32Array(c * oh * ow);
      const got = new Float32Array(c * oh * ow).fill(NaN);
      maxpool2d_naive(ref, inp, [c, h, w], geom, [c, oh, ow]);
      maxpool2d_forward(got, inp, [c, h, w], geom, [c, oh, ow]);
      assert.deepEqual(Array.from(got), Array.from(ref), `${c}x${h}x${w} ceil ${ceil}`);
    }
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

describe('transposed convolution: the scatter kernel matches the gather reference', () => {
  function runDeconvCase(name: string, cin: number, h: number, w: number, cout: number, geom: DeconvGeometry, outPad: [number, number], rand: () => number): number {
    const [kh, kw] = geom.kernel;
    const oh = slideBack(h, kh, geom.stride[0], geom.padding[0], geom.dilation[0], outPad[0]);
    const ow = slideBack(w, kw, geom.stride[1], geom.padding[1], geom.dilation[1], outPad[1]);
    const inp = randomArray(cin * h * w, rand);
    const weight = randomArray(cin * (cout / geom.groups) * kh * kw, rand);
    const bias = rand() < 0.5 ? randomArray(cout, rand) : null;
    const ref = new Float32Array(cout * oh * ow);
    const got = new Float32Array(cout * oh * ow).fill(NaN);
    deconv2d_naive(ref, inp, weight, bias, [cin, h, w], geom, [cout, oh, ow]);
    deconv2d_forward(got, inp, weight, bias, [cin, h, w], geom, [cout, oh, ow]);
    return checkTensor(name, got, ref, tolOf(ref), false);
  }

  it('on 60 seeded random geometries (stride, padding, output padding, dilation, groups)', () => {
    const rand = rng(21);
    let worst = 0;
    let ran = 0;
    while (ran < 60) {
      const groups = [1, 1, 2, 3][randint(rand, 0, 3)];
      const geom: DeconvGeometry = {
        kernel: [randint(rand, 1, 4), randint(rand, 1, 4)],
        stride: [randint(rand, 1, 3), randint(rand, 1, 3)],
        padding: [randint(rand, 0, 2), randint(rand, 0, 2)],
        dilation: [randint(rand, 1, 2), randint(rand, 1, 2)],
        groups,
      };
      // PyTorch requires output padding smaller than the stride or the dilation.
      const outPad: [number, number] = [randint(rand, 0, Math.max(geom.stride[0], geom.dilation[0]) - 1), randint(rand, 0, Math.max(geom.stride[1], geom.dilation[1]) - 1)];
      const h = randint(rand, 1, 9);
      const w = randint(rand, 1, 9);
      const oh = slideBack(h, geom.kernel[0], geom.stride[0], geom.padding[0], geom.dilation[0], outPad[0]);
      const ow = slideBack(w, geom.kernel[1], geom.stride[1], geom.padding[1], geom.dilation[1], outPad[1]);
      if (oh < 1 || ow < 1) continue;
      worst = Math.max(worst, runDeconvCase(`random ${ran}`, groups * randint(rand, 1, 3), h, w, groups * randint(rand, 1, 3), geom, outPad, rand));
      ran++;
    }
    console.log(`  random deconv cases: ${ran}, worst relative difference ${worst.toExponential(2)}`);
  });
});

describe('bilinear upsampling: the tabled kernel matches the per-pixel formula', () => {
  it('for factors 1 to 4 on odd and even sizes, 1-pixel maps included', () => {
    const rand = rng(23);
    let worst = 0;
    let ran = 0;
    for (const factor of [1, 2, 3, 4]) {
      for (const [h, w] of [[1, 1], [1, 5], [3, 3], [4, 7], [6, 2]]) {
        const c = 2;
        const inp = randomArray(c * h * w, rand);
        const ref = new Float32Array(c * h * w * factor * factor);
        const got = new Float32Array(ref.length).fill(NaN);
        upsample_bilinear_naive(ref, inp, [c, h, w], factor);
        upsample_bilinear_forward(got, inp, [c, h, w], factor);
        worst = Math.max(worst, checkTensor(`bilinear x${factor} ${h}x${w}`, got, ref, tolOf(ref), false));
        ran++;
      }
    }
    console.log(`  bilinear cases: ${ran}, worst relative difference ${worst.toExponential(2)}`);
  });
});

describe('merges match the naive ones', () => {
  it('add, concat and mul (with a C×1×1 side broadcast) of two and three inputs', () => {
    const rand = rng(25);
    let worst = 0;
    for (const [c, plane, k] of [[3, 20, 2], [5, 1, 3], [4, 9, 3], [1, 7, 2]]) {
      const same = Array.from({ length: k }, () => randomArray(c * plane, rand));
      const sum = [new Float32Array(c * plane), new Float32Array(c * plane).fill(NaN)];
      add_naive(sum[0], same);
      add_forward(sum[1], same);
      worst = Math.max(worst, checkTensor(`add ${k}×${c}×${plane}`, sum[1], sum[0], tolOf(sum[0]), false));
      // mul: the full maps interleaved with per-channel scales.
      const mixed = same.map((a, i) => (i % 2 === 1 ? randomArray(c, rand) : a));
      const prod = [new Float32Array(c * plane), new Float32Array(c * plane).fill(NaN)];
      mul_naive(prod[0], mixed, c, plane);
      mul_forward(prod[1], mixed, c, plane);
      worst = Math.max(worst, checkTensor(`mul ${k}×${c}×${plane}`, prod[1], prod[0], tolOf(prod[0]), false));
      const channels = Array.from({ length: k }, () => randint(rand, 1, 4));
      const parts = channels.map((ch) => randomArray(ch * plane, rand));
      const total = channels.reduce((a, b) => a + b, 0);
      const cat = [new Float32Array(total * plane), new Float32Array(total * plane).fill(NaN)];
      concat_naive(cat[0], parts, channels, plane);
      concat_forward(cat[1], parts);
      worst = Math.max(worst, checkTensor(`concat ${channels.join('+')}×${plane}`, cat[1], cat[0], { rtol: 0 }, false));
    }
    console.log(`  merge cases: 12, worst relative difference ${worst.toExponential(2)}`);
  });
});

describe('the new activations match the branching references', () => {
  it('relu6, silu, hardswish and hardsigmoid around their kinks and far out', () => {
    const rand = rng(27);
    const edges = [-1e4, -6, -3.0001, -3, -2.9999, -1, -0, 0, 1e-7, 2.9999, 3, 3.0001, 5.9999, 6, 6.0001, 80, 1e4];
    const inp = new Float32Array([...edges, ...randomArray(200, rand).map((v) => v * 8)]);
    let worst = 0;
    for (const [name, fast, naive] of [
      ['relu6', relu6_forward, relu6_naive], ['silu', silu_forward, silu_naive],
      ['hardswish', hardswish_forward, hardswish_naive], ['hardsigmoid', hardsigmoid_forward, hardsigmoid_naive],
    ] as const) {
      const ref = new Float32Array(inp.length);
      const got = new Float32Array(inp.length).fill(NaN);
      naive(ref, inp);
      fast(got, inp);
      worst = Math.max(worst, checkTensor(name, got, ref, tolOf(ref), false));
    }
    console.log(`  activation cases: 4 × ${inp.length} values, worst relative difference ${worst.toExponential(2)}`);
  });
});

describe('the kernel table', () => {
  it('has no kernel exactly for the kinds whose output is their input (flatten, dropout, unknown)', () => {
    for (const kind of Object.keys(KINDS) as LayerKind[]) {
      assert.equal(OPS[kind] === null, KINDS[kind].sharesInput === true, kind);
    }
  });
});
