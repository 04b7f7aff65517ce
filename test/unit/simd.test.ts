/**
 * The WebAssembly SIMD kernels against a naive float64 reference written here (independent of the
 * engine's TypeScript kernels): chosen and seeded random shapes over every conv path (Winograd
 * F(2x2) and F(4x4) on VGG-sized layers, 1x1, im2col with stride, padding, dilation, groups,
 * depthwise (the direct 3x3 kernel and im2col), non-square), each on 1 and 2 threads and without the
 * prepared-weights cache, with a fused relu6 on one thread, and fc (a fused relu on two threads).
 *
 * Tolerance, element by element. The kernels multiply and add in float32 (unit roundoff u = 2⁻²⁴), so
 * an output that sums n terms t_k (Cin/groups·kH·kW products, plus the bias) carries n roundings,
 * each at most u times a partial sum. Those errors have random signs and add like a random walk, and
 * the partial sums are of the size of ‖t‖₂ = √(Σ t_k²), so the error is about u·√n·‖t‖₂ (Higham's
 * worst case n·u·Σ|t_k| is far larger and never reached). Each element may therefore differ by
 *     |got − ref| ≤ u·|ref| + c·u·√n·‖t‖₂,
 * the first term for the final rounding to float32, with c per path: 8 for direct sums (im2col, fc),
 * 4 for F(2x2) Winograd and 40 for F(4x4), whose input and output transforms (coefficients up to 5)
 * add and amplify roundings of their own. On these cases the worst element uses about half of its
 * tolerance on every path, and every tolerance is below the 1e-4·max|ref| these tests used to allow.
 * Each case prints the fraction its worst element used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConvSpec } from '../../server/src/language/types.js';
import type { Activation, ConvBackend } from '../../server/src/engine/backend.js';
import { createSimdBackend, simdGemmBlocks, simdKernelVariant, simdLoadProblem, simdTuning } from '../../server/src/engine/simd/simd-backend.js';
import { randomArray, rng } from '../helpers/random.js';
import { checkTensor, F32_UNIT } from '../helpers/tensors.js';

/** The constant c of the tolerance above, per path (kernel tile 2 or 4 for Winograd). */
const C_DIRECT = 8;
/** For a case whose path (direct, F(2x2) or F(4x4)) the test does not pin: the largest constant. */
const C_ANY = 40;
const C_WINOGRAD: Record<2 | 4, number> = { 2: 4, 4: 40 };

/** Per-element absolute tolerance c·u·√n·‖t‖₂ for sums of n terms whose root-sum-squares are `rss`. */
function sumTolerance(rss: Float64Array, n: number, c: number): Float64Array {
  return rss.map((r) => c * Math.sqrt(n) * F32_UNIT * r);
}

interface ConvCase {
  readonly name: string;
  readonly cin: number;
  readonly h: number;
  readonly w: number;
  readonly cout: number;
  readonly k: [number, number];
  readonly s?: [number, number];
  readonly p?: [number, number];
  readonly d?: [number, number];
  readonly groups?: number;
  readonly bias?: boolean;
}

function specOf(c: ConvCase): ConvSpec {
  const groups = c.groups ?? 1;
  return {
    kind: 'conv', kernel: c.k, outChannels: c.cout, stride: c.s ?? [1, 1], padding: c.p ?? [0, 0],
    dilation: c.d ?? [1, 1], groups, bias: c.bias ?? true, depthwise: groups > 1 && groups === c.cin && groups === c.cout,
  };
}

function outSize(n: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/**
 * The definition of PyTorch's conv2d (cross-correlation, zero padding), in float64. inp is (Cin, H, W).
 * Also gives, per output, √(Σ t²) over the terms t it sums (bias included): the scale of the rounding errors.
 */
function referenceConv(inp: Float32Array, weight: Float32Array, bias: Float32Array | null,
                       [cin, h, w]: [number, number, number], spec: ConvSpec): { out: Float64Array; rss: Float64Array } {
  const [kh, kw] = spec.kernel, [sh, sw] = spec.stride, [ph, pw] = spec.padding, [dh, dw] = spec.dilation;
  const ho = outSize(h, kh, sh, ph, dh), wo = outSize(w, kw, sw, pw, dw);
  const cinG = cin / spec.groups, coutG = spec.outChannels / spec.groups;
  const out = new Float64Array(spec.outChannels * ho * wo);
  const rss = new Float64Array(out.length);
  for (let co = 0; co < spec.outChannels; co++) {
    const g = Math.floor(co / coutG);
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let sum = bias ? bias[co] : 0;
        let squares = sum * sum;
        for (let ci = 0; ci < cinG; ci++) {
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - ph + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pw + kx * dw;
              if (ix < 0 || ix >= w) continue;
              const t = inp[((g * cinG + ci) * h + iy) * w + ix] * weight[((co * cinG + ci) * kh + ky) * kw + kx];
              sum += t;
              squares += t * t;
            }
          }
        }
        out[(co * ho + oy) * wo + ox] = sum;
        rss[(co * ho + oy) * wo + ox] = Math.sqrt(squares);
      }
    }
  }
  return { out, rss };
}

const convCases: ConvCase[] = [
  // Winograd path (3x3, stride 1, dilation 1, groups 1, Cin >= 8): VGG shapes and ragged edges.
  { name: 'vgg 64->64 56x56 pad1', cin: 64, h: 56, w: 56, cout: 64, k: [3, 3], p: [1, 1] },
  { name: 'vgg 128->128 28x28 pad1', cin: 128, h: 28, w: 28, cout: 128, k: [3, 3], p: [1, 1] },
  { name: 'vgg 256->256 14x14 pad1', cin: 256, h: 14, w: 14, cout: 256, k: [3, 3], p: [1, 1] },
  { name: 'vgg 512->512 7x7 pad1 (odd size)', cin: 512, h: 7, w: 7, cout: 512, k: [3, 3], p: [1, 1] },
  { name: 'winograd 16->10 13x17 pad1', cin: 16, h: 13, w: 17, cout: 10, k: [3, 3], p: [1, 1] },
  { name: 'winograd 8->6 9x5 pad0 no bias', cin: 8, h: 9, w: 5, cout: 6, k: [3, 3], bias: false },
  { name: 'winograd 12->5 6x23 pad2', cin: 12, h: 6, w: 23, cout: 5, k: [3, 3], p: [2, 2] },
  { name: 'winograd 9->7 3x3 pad (0,1)', cin: 9, h: 3, w: 3, cout: 7, k: [3, 3], p: [0, 1] },
  // im2col path.
  { name: 'vgg first layer 3->64 32x32 pad1', cin: 3, h: 32, w: 32, cout: 64, k: [3, 3], p: [1, 1] },
  { name: 'stride 2 pad 1', cin: 16, h: 15, w: 16, cout: 24, k: [3, 3], s: [2, 2], p: [1, 1] },
  { name: 'resnet stem 7x7 s2 p3', cin: 3, h: 29, w: 31, cout: 16, k: [7, 7], s: [2, 2], p: [3, 3] },
  { name: 'dilation 2 pad 2', cin: 8, h: 17, w: 13, cout: 12, k: [3, 3], p: [2, 2], d: [2, 2] },
  { name: 'dilation (2,3) stride (1,2)', cin: 5, h: 20, w: 21, cout: 7, k: [3, 3], s: [1, 2], p: [1, 2], d: [2, 3] },
  { name: 'groups 4', cin: 16, h: 11, w: 12, cout: 8, k: [3, 3], p: [1, 1], groups: 4 },
  { name: 'depthwise 3x3 s1', cin: 32, h: 14, w: 14, cout: 32, k: [3, 3], p: [1, 1], groups: 32 },
  { name: 'depthwise 3x3 s2', cin: 24, h: 15, w: 15, cout: 24, k: [3, 3], s: [2, 2], p: [1, 1], groups: 24 },
  { name: 'non-square 3x5 stride (2,1)', cin: 6, h: 19, w: 18, cout: 9, k: [3, 5], s: [2, 1], p: [1, 2] },
  { name: 'non-square 1x7', cin: 10, h: 9, w: 25, cout: 11, k: [1, 7], p: [0, 3] },
  { name: 'pointwise 1x1', cin: 64, h: 14, w: 14, cout: 128, k: [1, 1] },
  { name: 'pointwise 1x1 ragged', cin: 13, h: 5, w: 7, cout: 6, k: [1, 1], bias: false },
  { name: 'pointwise 1x1 groups 2', cin: 12, h: 6, w: 6, cout: 10, k: [1, 1], groups: 2 },
  // B read from the input rows in place (few output channels, or a small map), over two blocks of
  // the reduction and a ragged last block of pixels that is packed instead.
  { name: 'pointwise in place, K > KC: 300->20 16x21', cin: 300, h: 16, w: 21, cout: 20, k: [1, 1] },
  { name: 'pointwise in place, small map: 40->72 13x13', cin: 40, h: 13, w: 13, cout: 72, k: [1, 1], bias: false },
  { name: '1x1 stride 2', cin: 32, h: 14, w: 14, cout: 64, k: [1, 1], s: [2, 2] },
  { name: 'K > KC: 3x3 s2 64->40', cin: 64, h: 17, w: 17, cout: 40, k: [3, 3], s: [2, 2], p: [1, 1] },
  { name: 'P > NC, K > KC: 5x5 32->20 24x24', cin: 32, h: 24, w: 24, cout: 20, k: [5, 5], p: [2, 2] },
  { name: 'kernel covers image', cin: 4, h: 5, w: 5, cout: 3, k: [5, 5] },
  { name: 'single pixel', cin: 3, h: 1, w: 1, cout: 2, k: [1, 1] },
  // Big enough to be split between threads, one case per way of splitting.
  { name: 'split tiles: winograd 64->4 64x64', cin: 64, h: 64, w: 64, cout: 4, k: [3, 3], p: [1, 1] },
  { name: 'split tiles: winograd 16->16 96x96', cin: 16, h: 96, w: 96, cout: 16, k: [3, 3], p: [1, 1] },
  { name: 'split pixels: 3x3 s2 64->64 56x56', cin: 64, h: 56, w: 56, cout: 64, k: [3, 3], s: [2, 2], p: [1, 1] },
  { name: 'split groups: groups 4 s2 64->64 56x56', cin: 64, h: 56, w: 56, cout: 64, k: [3, 3], s: [2, 2], p: [1, 1], groups: 4 },
  { name: 'split groups: depthwise 128 at 112x112', cin: 128, h: 112, w: 112, cout: 128, k: [3, 3], p: [1, 1], groups: 128 },
  { name: 'split pixels: pointwise 256->128 28x28', cin: 256, h: 28, w: 28, cout: 128, k: [1, 1] },
  { name: 'split rows: pointwise 512->2048 7x7', cin: 512, h: 7, w: 7, cout: 2048, k: [1, 1] },
  { name: 'split rows: 1x1 s2 96->1030 14x14 (ragged rows)', cin: 96, h: 14, w: 14, cout: 1030, k: [1, 1], s: [2, 2] },
  // The direct depthwise 3x3 kernel: MobileNetV2's shapes and ragged rows (widths not a multiple of 4).
  { name: 'depthwise mobilenet 96 at 112x112 s2', cin: 96, h: 112, w: 112, cout: 96, k: [3, 3], s: [2, 2], p: [1, 1], groups: 96, bias: false },
  { name: 'depthwise mobilenet 960 at 7x7 s1', cin: 960, h: 7, w: 7, cout: 960, k: [3, 3], p: [1, 1], groups: 960 },
  { name: 'depthwise s2 pad0 7x9', cin: 5, h: 7, w: 9, cout: 5, k: [3, 3], s: [2, 2], groups: 5 },
  { name: 'depthwise s1 pad2 5x3', cin: 3, h: 5, w: 3, cout: 3, k: [3, 3], p: [2, 2], groups: 3 },
  { name: 'depthwise s2 pad1 1x1', cin: 4, h: 1, w: 1, cout: 4, k: [3, 3], s: [2, 2], p: [1, 1], groups: 4 },
  { name: 'depthwise s2 pad1 6x13', cin: 7, h: 6, w: 13, cout: 7, k: [3, 3], s: [2, 2], p: [1, 1], groups: 7 },
];

/** Seeded random small shapes over every option, on top of the cases above. */
function randomCases(count: number, seed: number): ConvCase[] {
  const next = rng(seed);
  const pick = (n: number) => Math.floor(next() * n);
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const groups = [1, 1, 1, 2, 3, 0][pick(6)]; // 0: depthwise
    const g = groups === 0 ? 1 + pick(12) : groups;
    const cin = groups === 0 ? g : g * (1 + pick(6));
    const cout = groups === 0 ? g : g * (1 + pick(6));
    const k: [number, number] = [1 + pick(5), 1 + pick(5)];
    const s: [number, number] = [1 + pick(3), 1 + pick(3)];
    const d: [number, number] = [1 + pick(3), 1 + pick(3)];
    const p: [number, number] = [pick(4), pick(4)];
    const h = 1 + pick(20), w = 1 + pick(20);
    if (outSize(h, k[0], s[0], p[0], d[0]) < 1 || outSize(w, k[1], s[1], p[1], d[1]) < 1) continue;
    cases.push({ name: `random ${cases.length}: ${cin}->${cout} ${h}x${w} k${k} s${s} p${p} d${d} g${g}`,
                 cin, h, w, cout, k, s, p, d, groups: g, bias: next() < 0.7 });
  }
  return cases;
}
convCases.push(...randomCases(40, 2024));

let backend: ConvBackend | null = null;
let threaded: ConvBackend | null = null;
/** No room for prepared weights: every call packs or transforms into its own scratch. */
let uncached: ConvBackend | null = null;
/**
 * The GEMM's 6x8 blocks (gemm_b12) on, whatever the runtime: the default only where they are faster
 * (the FMA build on V8 13+), which Node 20 is not, so they are tested here on both builds.
 */
let wide: ConvBackend | null = null;
const ready = (async () => {
  backend = await createSimdBackend();
  threaded = await createSimdBackend({ threads: 2 });
  uncached = await createSimdBackend({ threads: 2, cacheBytes: 0 });
  simdTuning.gemmRows12 = true;
  try {
    wide = await createSimdBackend({ threads: 2 });
    assert.equal(simdGemmBlocks(), '6x8');
  } finally {
    simdTuning.gemmRows12 = 'auto';
  }
})();

/** The reference with a fused activation applied. */
function activated(want: Float64Array, act?: Activation): Float64Array {
  if (!act) return want;
  return want.map((v) => Math.min(Math.max(v, 0), act === 'relu6' ? 6 : Infinity));
}

test('WebAssembly SIMD is available on Node 20 and the kernels load, with and without workers', async () => {
  await ready;
  assert.ok(backend, `createSimdBackend returned null: ${simdLoadProblem()}`);
  assert.ok(threaded, `createSimdBackend({ threads: 2 }) returned null: ${simdLoadProblem()}`);
  assert.equal(simdLoadProblem(), undefined);
});

for (const [index, c] of convCases.entries()) {
  test(`conv2d ${c.name}`, async () => {
    await ready;
    assert.ok(backend);
    const next = rng(1000 + index);
    const spec = specOf(c);
    const inShape: [number, number, number] = [c.cin, c.h, c.w];
    const outShape: [number, number, number] = [
      c.cout, outSize(c.h, c.k[0], spec.stride[0], spec.padding[0], spec.dilation[0]),
      outSize(c.w, c.k[1], spec.stride[1], spec.padding[1], spec.dilation[1]),
    ];
    const inp = randomArray(c.cin * c.h * c.w, next);
    const weight = randomArray(c.cout * (c.cin / spec.groups) * c.k[0] * c.k[1], next, 1 / Math.sqrt(c.cin / spec.groups * c.k[0] * c.k[1]));
    const bias = spec.bias ? randomArray(c.cout, next) : null;
    const { out: wantData, rss } = referenceConv(inp, weight, bias, inShape, spec);
    const want = { shape: outShape, data: wantData };
    const n = (c.cin / spec.groups) * c.k[0] * c.k[1] + (bias ? 1 : 0);
    // Layers that take the Winograd path are checked with both tile sizes, depthwise 3x3 ones with
    // the direct kernel and with im2col.
    const winograd = c.k[0] === 3 && c.k[1] === 3 && spec.stride.every((v) => v === 1) &&
      spec.dilation.every((v) => v === 1) && spec.groups === 1 && c.cin >= simdTuning.winogradMinCin;
    const direct = c.k[0] === 3 && c.k[1] === 3 && spec.stride[0] === spec.stride[1] && spec.stride[0] <= 2 &&
      spec.dilation.every((v) => v === 1) && spec.groups === c.cin && spec.groups === c.cout && spec.padding[0] === spec.padding[1];
    const variants = winograd
      ? [['F(2x2,3x3)', 2, true], ['F(4x4,3x3)', 4, true]] as const
      : direct ? [['depthwise 3x3', 'auto', true], ['im2col', 'auto', false]] as const : [['im2col', 'auto', true]] as const;
    const runs = [['1 thread', backend], ['2 threads', threaded], ['uncached', uncached], ['1 thread relu6', backend], ['2 threads, 6x8 blocks', wide]] as const;
    for (const [path, tile, dw] of variants) {
      for (const [label, b] of runs) {
        assert.ok(b);
        const act: Activation | undefined = label.endsWith('relu6') ? 'relu6' : undefined;
        simdTuning.winogradTile = tile;
        simdTuning.depthwise = dw;
        const out = new Float32Array(outShape[0] * outShape[1] * outShape[2]).fill(Number.NaN);
        try {
          b.conv2d(out, inp, weight, bias, inShape, spec, outShape, act);
        } finally {
          simdTuning.winogradTile = 'auto';
          simdTuning.depthwise = true;
        }
        const atol = sumTolerance(rss, n, tile === 'auto' ? C_DIRECT : C_WINOGRAD[tile]);
        checkTensor(`conv2d ${c.name}, ${path}, ${label}: (${inShape}) -> (${outShape})`, { shape: outShape, data: out }, { shape: outShape, data: activated(wantData, act) }, { rtol: F32_UNIT, atol });
      }
    }
  });
}

test('bufferPool: inputs and outputs inside the kernels\' memory are read and written in place, on every path', async () => {
  await ready;
  const next = rng(99);
  for (const b of [backend, threaded]) {
    assert.ok(b?.bufferPool);
    const pool = b.bufferPool();
    const cases: ConvCase[] = [
      { name: 'winograd', cin: 16, h: 20, w: 20, cout: 8, k: [3, 3], p: [1, 1] },
      { name: 'pointwise', cin: 32, h: 30, w: 30, cout: 12, k: [1, 1] },
      { name: 'im2col s2', cin: 6, h: 17, w: 17, cout: 5, k: [3, 3], s: [2, 2], p: [1, 1] },
      { name: 'depthwise', cin: 24, h: 13, w: 13, cout: 24, k: [3, 3], s: [2, 2], p: [1, 1], groups: 24 },
    ];
    for (const c of cases) {
      const spec = specOf(c);
      const inShape: [number, number, number] = [c.cin, c.h, c.w];
      const outShape: [number, number, number] = [c.cout, outSize(c.h, 3, spec.stride[0], spec.padding[0], 1), outSize(c.w, c.k[1], spec.stride[1], spec.padding[1], 1)];
      if (c.k[0] === 1) outShape[1] = outShape[2] = c.h;
      const inp = pool.alloc(c.cin * c.h * c.w);
      inp.set(randomArray(inp.length, next));
      const weight = randomArray(c.cout * (c.cin / spec.groups) * c.k[0] * c.k[1], next, 0.2);
      const out = pool.alloc(outShape[0] * outShape[1] * outShape[2]);
      // A buffer handed out again after a free comes back zeroed, whatever it held.
      out.fill(Number.NaN);
      pool.free(out);
      const again = pool.alloc(out.length);
      assert.equal(again, out);
      assert.ok(again.every((v) => v === 0));
      b.conv2d(out, inp, weight, null, inShape, spec, outShape, 'relu');
      const ref = referenceConv(inp, weight, null, inShape, spec);
      checkTensor(`bufferPool ${c.name}`, out, activated(ref.out, 'relu'), { rtol: F32_UNIT, atol: sumTolerance(ref.rss, (c.cin / spec.groups) * c.k[0] * c.k[1], C_ANY) }, false);
      pool.free(inp);
      pool.free(out);
    }
  }
});

test('a fused residual add (then relu) on every path, the residual inside or outside the kernels\' memory', async () => {
  await ready;
  const next = rng(55);
  const cases: ConvCase[] = [
    { name: 'pointwise', cin: 24, h: 11, w: 13, cout: 20, k: [1, 1] },
    { name: 'pointwise s2', cin: 16, h: 14, w: 14, cout: 12, k: [1, 1], s: [2, 2] },
    // Over 4 M multiply-accumulates on a 7x7 map: two threads split the (ragged) output channels.
    { name: 'pointwise split rows', cin: 100, h: 7, w: 7, cout: 1022, k: [1, 1] },
    { name: 'im2col s2', cin: 6, h: 17, w: 17, cout: 5, k: [3, 3], s: [2, 2], p: [1, 1] },
    { name: 'winograd', cin: 16, h: 20, w: 20, cout: 8, k: [3, 3], p: [1, 1] },
    { name: 'depthwise', cin: 24, h: 13, w: 13, cout: 24, k: [3, 3], p: [1, 1], groups: 24 },
  ];
  for (const [label, b] of [['1 thread', backend], ['2 threads', threaded], ['uncached', uncached], ['2 threads, 6x8 blocks', wide]] as const) {
    assert.ok(b?.bufferPool);
    const pool = b.bufferPool();
    for (const c of cases) {
      const spec = specOf(c);
      const inShape: [number, number, number] = [c.cin, c.h, c.w];
      const outShape: [number, number, number] = [c.cout, outSize(c.h, c.k[0], spec.stride[0], spec.padding[0], 1), outSize(c.w, c.k[1], spec.stride[1], spec.padding[1], 1)];
      const n = outShape[0] * outShape[1] * outShape[2];
      const inp = randomArray(c.cin * c.h * c.w, next);
      const weight = randomArray(c.cout * (c.cin / spec.groups) * c.k[0] * c.k[1], next, 0.3);
      const bias = randomArray(c.cout, next);
      const ref = referenceConv(inp, weight, bias, inShape, spec);
      for (const where of ['outside', 'inside']) {
        const residual = where === 'inside' ? pool.alloc(n) : new Float32Array(n);
        residual.set(randomArray(n, next));
        for (const act of [undefined, 'relu'] as const) {
          const out = new Float32Array(n).fill(Number.NaN);
          b.conv2d(out, inp, weight, bias, inShape, spec, outShape, act, residual);
          const want = activated(ref.out.map((v, i) => v + residual[i]), act);
          // One more rounding than the conv alone: the sum with the residual.
          const atol = sumTolerance(ref.rss, (c.cin / spec.groups) * c.k[0] * c.k[1] + 1, C_ANY).map((t, i) => t + F32_UNIT * (Math.abs(ref.out[i]) + Math.abs(residual[i])));
          checkTensor(`residual ${c.name}, ${label}, ${where}, ${act ?? 'no act'}`, out, want, { rtol: F32_UNIT, atol }, false);
        }
        if (where === 'inside') pool.free(residual);
      }
    }
  }
});

test('a fused relu or relu6 keeps a NaN as PyTorch\'s does (NaN), on every path', async () => {
  await ready;
  const next = rng(66);
  const cases: ConvCase[] = [
    { name: 'winograd', cin: 16, h: 12, w: 12, cout: 8, k: [3, 3], p: [1, 1] },
    // 256 pixels: whole blocks, so the GEMM's own epilogue clamps; 81: a ragged block, through copy_out.
    { name: 'pointwise', cin: 16, h: 16, w: 16, cout: 24, k: [1, 1] },
    { name: 'pointwise ragged', cin: 16, h: 9, w: 9, cout: 24, k: [1, 1] },
    { name: 'im2col s2', cin: 6, h: 13, w: 13, cout: 5, k: [3, 3], s: [2, 2], p: [1, 1] },
    { name: 'depthwise', cin: 8, h: 12, w: 12, cout: 8, k: [3, 3], p: [1, 1], groups: 8 },
  ];
  for (const [label, b] of [['1 thread', backend], ['6x8 blocks', wide]] as const) {
    assert.ok(b);
    for (const c of cases) {
      const spec = specOf(c);
      const ho = outSize(c.h, c.k[0], spec.stride[0], spec.padding[0], 1), wo = outSize(c.w, c.k[1], spec.stride[1], spec.padding[1], 1);
      const inp = randomArray(c.cin * c.h * c.w, next);
      // A NaN in every channel at (4, 4): the outputs that see it are NaN, the one at (0, 0) is not.
      for (let ch = 0; ch < c.cin; ch++) inp[(ch * c.h + 4) * c.w + 4] = Number.NaN;
      const weight = randomArray(c.cout * (c.cin / spec.groups) * c.k[0] * c.k[1], next, 0.3);
      for (const act of ['relu', 'relu6'] as const) {
        const out = new Float32Array(c.cout * ho * wo);
        b.conv2d(out, inp, weight, randomArray(c.cout, next), [c.cin, c.h, c.w], spec, [c.cout, ho, wo], act);
        const at = spec.stride[0] === 2 ? 2 : 4;
        for (let co = 0; co < c.cout; co++) {
          assert.ok(Number.isNaN(out[(co * ho + at) * wo + at]), `${c.name}, ${label}, ${act}: channel ${co} at (${at}, ${at}) is ${out[(co * ho + at) * wo + at]}, not NaN`);
          assert.ok(Number.isFinite(out[co * ho * wo]), `${c.name}, ${label}, ${act}: channel ${co} at (0, 0)`);
        }
      }
    }
  }
});

/** PyTorch's pooled size: floor or ceil, and in ceil mode no window may start in the right padding. */
function poolSize(n: number, k: number, s: number, p: number, ceil: boolean): number {
  let o = Math.floor((n + 2 * p - k + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

test('maxPool2d against a plain max over each window (padding -inf), exactly, on 1 and 2 threads', async () => {
  await ready;
  const next = rng(31);
  const cases: Array<[string, number, number, number, [number, number], [number, number], [number, number], boolean]> = [
    ['VGG 2x2 s2', 64, 112, 112, [2, 2], [2, 2], [0, 0], false],
    ['2x2 s2, odd size', 5, 7, 9, [2, 2], [2, 2], [0, 0], false],
    ['ResNet 3x3 s2 p1', 64, 56, 56, [3, 3], [2, 2], [1, 1], false],
    ['GoogLeNet 3x3 s1 p1', 16, 14, 14, [3, 3], [1, 1], [1, 1], false],
    ['3x3 s2 ceil', 8, 13, 13, [3, 3], [2, 2], [0, 0], true],
    ['3x3 s2 p1 ceil', 3, 10, 11, [3, 3], [2, 2], [1, 1], true],
    ['2x3 s(3,1) p(1,1)', 4, 11, 6, [2, 3], [3, 1], [1, 1], false],
    ['5x5 s2 p2, a tiny map', 2, 2, 3, [5, 5], [2, 2], [2, 2], true],
    ['1x1 s2', 3, 9, 9, [1, 1], [2, 2], [0, 0], false],
  ];
  for (const [label, b] of [['1 thread', backend], ['2 threads', threaded]] as const) {
    assert.ok(b?.maxPool2d);
    for (const [name, c, h, w, k, st, pd, ceil] of cases) {
      const ho = poolSize(h, k[0], st[0], pd[0], ceil), wo = poolSize(w, k[1], st[1], pd[1], ceil);
      const inp = randomArray(c * h * w, next);
      inp[Math.floor(inp.length / 2)] = Number.NaN;
      const out = new Float32Array(c * ho * wo).fill(7);
      assert.ok(b.maxPool2d(out, inp, [c, h, w], { kernel: k, stride: st, padding: pd }, [c, ho, wo]), name);
      for (let ch = 0; ch < c; ch++) {
        for (let oy = 0; oy < ho; oy++) {
          for (let ox = 0; ox < wo; ox++) {
            let m = -Infinity;
            for (let y = oy * st[0] - pd[0]; y < oy * st[0] - pd[0] + k[0]; y++) {
              for (let x = ox * st[1] - pd[1]; x < ox * st[1] - pd[1] + k[1]; x++) {
                if (y >= 0 && y < h && x >= 0 && x < w) m = Math.max(m, inp[(ch * h + y) * w + x]);
              }
            }
            const got = out[(ch * ho + oy) * wo + ox];
            if (!Object.is(got, Math.fround(m))) assert.fail(`maxpool ${name}, ${label}: (${ch}, ${oy}, ${ox}) is ${got}, want ${m}`);
          }
        }
      }
    }
    // Strides of 3 and more across a row are left to the caller.
    const out = new Float32Array(4).fill(7);
    assert.equal(b.maxPool2d(out, new Float32Array(1 * 6 * 6), [1, 6, 6], { kernel: [3, 3], stride: [3, 3], padding: [0, 0] }, [1, 2, 2]), false);
    assert.deepEqual([...out], [7, 7, 7, 7]);
  }
});

test('prepared weights: a second call reuses them, a weight array refilled in place is prepared again', async () => {
  await ready;
  const next = rng(88);
  for (const c of [
    { name: 'winograd', cin: 16, h: 12, w: 12, cout: 8, k: [3, 3], p: [1, 1] },
    { name: 'im2col', cin: 6, h: 9, w: 9, cout: 5, k: [3, 3], s: [2, 2], p: [1, 1] },
    { name: 'pointwise', cin: 16, h: 6, w: 6, cout: 12, k: [1, 1] },
  ] as ConvCase[]) {
    for (const b of [backend, threaded]) {
      assert.ok(b);
      const spec = specOf(c);
      const inShape: [number, number, number] = [c.cin, c.h, c.w];
      const ho = outSize(c.h, c.k[0], spec.stride[0], spec.padding[0], 1), wo = outSize(c.w, c.k[1], spec.stride[1], spec.padding[1], 1);
      const outShape: [number, number, number] = [c.cout, ho, wo];
      const inp = randomArray(c.cin * c.h * c.w, next);
      const weight = randomArray(c.cout * c.cin * c.k[0] * c.k[1], next, 0.2);
      const bias = randomArray(c.cout, next);
      for (let round = 0; round < 3; round++) {
        // Round 2 refills the same array with new values.
        if (round === 2) weight.set(randomArray(weight.length, next, 0.2));
        const out = new Float32Array(c.cout * ho * wo);
        b.conv2d(out, inp, weight, bias, inShape, spec, outShape);
        const ref = referenceConv(inp, weight, bias, inShape, spec);
        checkTensor(`${c.name} round ${round}`, out, ref.out, { rtol: F32_UNIT, atol: sumTolerance(ref.rss, c.cin * c.k[0] * c.k[1] + 1, C_ANY) }, false);
      }
    }
  }
});

test('conv2d reuses its memory across calls of different sizes', async () => {
  await ready;
  assert.ok(backend);
  const next = rng(77);
  for (const [cin, size, cout] of [[32, 40, 16], [8, 6, 4], [32, 40, 16]] as const) {
    const spec = specOf({ name: '', cin, h: size, w: size, cout, k: [3, 3], p: [1, 1] });
    const inp = randomArray(cin * size * size, next);
    const weight = randomArray(cout * cin * 9, next, 0.1);
    const out = new Float32Array(cout * size * size);
    backend.conv2d(out, inp, weight, null, [cin, size, size], spec, [cout, size, size]);
    const want = referenceConv(inp, weight, null, [cin, size, size], spec);
    // Whichever path the kernels choose, F(4x4)'s constant covers it.
    checkTensor(`${cin}->${cout} at ${size}`, out, want.out, { rtol: F32_UNIT, atol: sumTolerance(want.rss, cin * 9, C_WINOGRAD[4]) }, false);
  }
});

test('the FMA build: the micro-kernels\' 20 multiply-adds become relaxed_madd, and it assembles', async () => {
  const builder = new URL('../../server/src/engine/simd/build-wasm.mjs', import.meta.url).href;
  const { assembleKernels, fmaVariant, WAT_PATH } = (await import(builder)) as {
    assembleKernels(path: string, opts: { fma: boolean }): Promise<Uint8Array<ArrayBuffer>>; fmaVariant(text: string): string; WAT_PATH: string;
  };
  const { readFileSync } = await import('node:fs');
  const fma = fmaVariant(readFileSync(WAT_PATH, 'utf8'));
  // Counted in the code, not in the comments.
  assert.equal(fma.replace(/;;.*$/gm, '').match(/f32x4\.relaxed_madd/g)?.length, 20);
  const bytes = await assembleKernels(WAT_PATH, { fma: true });
  assert.ok(bytes.length > 1000);
  // Node 20 validates it only with --experimental-wasm-relaxed-simd (`npm run test:fma`, part of `npm
  // test`); this file's cases then run on it. Wherever it validates (VS Code's Electron, Node 22+) it is
  // the build in use, so both builds' numbers are tested: the plain one here, the FMA one under the flag.
  const validates = WebAssembly.validate(bytes);
  console.log(`  kernels in use: ${simdKernelVariant()}; FMA build validates here: ${validates}`);
  if (process.execArgv.includes('--experimental-wasm-relaxed-simd')) assert.ok(validates, 'the flag is on, so the FMA build validates');
  await ready;
  assert.equal(simdKernelVariant(), validates ? 'fma' : 'plain');
  // The 6x8 blocks by default exactly with the FMA build on V8 13 or later.
  assert.ok(await createSimdBackend());
  const v8 = Number(process.versions.v8.split('.')[0]);
  assert.equal(simdGemmBlocks(), validates && v8 >= 13 ? '6x8' : '4x8', `V8 ${process.versions.v8}`);
});

test('conv2d rejects inconsistent shapes with a message that names them', async () => {
  await ready;
  assert.ok(backend);
  const spec = specOf({ name: '', cin: 4, h: 8, w: 8, cout: 4, k: [3, 3], p: [1, 1] });
  assert.throws(() => backend!.conv2d(new Float32Array(4 * 8 * 8), new Float32Array(4 * 8 * 8),
    new Float32Array(4 * 4 * 9), null, [4, 8, 8], spec, [4, 7, 8]), /out \(4, 7, 8\)/);
});

const fcCases: ReadonlyArray<readonly [inF: number, outF: number, bias: boolean]> = [
  [25, 7, true], [512, 100, true], [4096, 10, false], [3, 1, true], [1000, 1000, true], [20000, 37, true],
];

for (const [index, [inF, outF, hasBias]] of fcCases.entries()) {
  test(`fc ${inF} -> ${outF}${hasBias ? '' : ' no bias'}`, async () => {
    await ready;
    assert.ok(backend);
    const next = rng(5000 + index);
    const inp = randomArray(inF, next);
    const weight = randomArray(inF * outF, next, 1 / Math.sqrt(inF));
    const bias = hasBias ? randomArray(outF, next) : null;
    const want = new Float64Array(outF);
    const rss = new Float64Array(outF);
    for (let o = 0; o < outF; o++) {
      let sum = bias ? bias[o] : 0;
      let squares = bias ? bias[o] ** 2 : 0;
      for (let i = 0; i < inF; i++) {
        sum += weight[o * inF + i] * inp[i];
        squares += (weight[o * inF + i] * inp[i]) ** 2;
      }
      want[o] = sum;
      rss[o] = Math.sqrt(squares);
    }
    for (const [label, b, act] of [['1 thread', backend, undefined], ['2 threads', threaded, undefined], ['uncached', uncached, undefined],
                                    ['2 threads relu', threaded, 'relu']] as const) {
      assert.ok(b);
      const out = new Float32Array(outF).fill(Number.NaN);
      b.fc(out, inp, weight, bias, inF, outF, act);
      checkTensor(`fc ${inF} -> ${outF}, ${label}`, out, activated(want, act), { rtol: F32_UNIT, atol: sumTolerance(rss, inF + (bias ? 1 : 0), C_DIRECT) });
    }
  });
}
