/**
 * The runner and the parameters it runs with: deterministic He initialisation, teaching kernels,
 * shape checks, keep/onLayer/cancellation options, the pluggable conv backend, and graphs: edges,
 * merges, and outputs freed after their last reader.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ConvSpec, LayerSpec } from '../../server/src/language/types.js';
import type { ConvBackend } from '../../server/src/engine/backend.js';
import { tsBackend } from '../../server/src/engine/kernels.js';
import { forward } from '../../server/src/engine/forward.js';
import { teachingKernel } from '../../server/src/engine/teaching.js';
import { tensor } from '../../server/src/engine/tensor.js';
import { fillUniform, initParams } from '../../server/src/engine/weights.js';
import { heldActivations, planRun } from '../../server/src/run/plan.js';
import { analyze } from '../../server/src/analysis/analyze.js';

const conv = (outChannels: number, extra: Partial<ConvSpec> = {}): ConvSpec => ({
  kind: 'conv', kernel: [3, 3], outChannels, stride: [1, 1], padding: [1, 1], dilation: [1, 1],
  groups: 1, bias: true, depthwise: false, ...extra,
});

const NET: LayerSpec[] = [
  conv(8), { kind: 'bn', eps: 1e-5 }, { kind: 'relu' }, { kind: 'maxpool', kernel: [2, 2], stride: [2, 2], padding: [0, 0] },
  conv(16), { kind: 'relu' }, { kind: 'gap' }, { kind: 'fc', outFeatures: 10, bias: true }, { kind: 'softmax' },
];
const INPUT = [3, 16, 16];

/** A left-dark, right-bright greyscale picture: columns < w/2 are 0, the rest 1. */
function stepImage(c: number, h: number, w: number): Float32Array {
  const d = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = w / 2; x < w; x++) d[(ch * h + y) * w + x] = 1;
  return d;
}

/**
 * Asserts that `w` looks like He uniform weights for `fanIn`: within ±b, b = √(6 / fan_in), reaching
 * nearly b, with mean 0 and mean square 2 / fan_in. The tolerances are five standard errors of a
 * sample of U(−b, b): σ/√n for the mean, and √(4/45)·b²/√n for the mean square (E[w⁴] − E[w²]² =
 * b⁴/5 − b⁴/9), so each check fails a correct initialiser with a probability under 1e-6, whatever
 * the seed.
 */
function assertHeUniform(w: Float32Array, fanIn: number, label: string): void {
  const n = w.length;
  const b = Math.sqrt(6 / fanIn);
  let max = 0;
  let sum = 0;
  let sumSq = 0;
  for (const v of w) {
    max = Math.max(max, Math.abs(v));
    sum += v;
    sumSq += v * v;
  }
  // Float32 rounding may land a sample on fround(b), a hair above b.
  assert.ok(max <= Math.fround(b), `${label}: max |w| ${max} exceeds the bound ${b}`);
  // P(max |w| < (1 − 20/n)·b) = (1 − 20/n)^n ≈ e^−20: a bound computed from too large a fan_in fails here.
  assert.ok(max >= (1 - 20 / n) * b, `${label}: max |w| ${max} stays well inside the bound ${b}`);
  const mean = sum / n;
  const meanTol = (5 * Math.sqrt(2 / fanIn)) / Math.sqrt(n);
  assert.ok(Math.abs(mean) <= meanTol, `${label}: mean ${mean}, want 0 ± ${meanTol}`);
  const meanSq = sumSq / n;
  const meanSqTol = (5 * Math.sqrt(4 / 45) * b * b) / Math.sqrt(n);
  const diff = meanSq - 2 / fanIn;
  assert.ok(Math.abs(diff) <= meanSqTol, `${label}: mean square ${meanSq}, want ${2 / fanIn} ± ${meanSqTol} (diff ${diff})`);
}

describe('initParams', () => {
  it('draws conv and fc weights from He uniform U(−b, b), b = √(6 / fan_in), zero biases and identity bn', () => {
    const layers: LayerSpec[] = [
      conv(64), { kind: 'relu' }, conv(64), conv(64, { groups: 4 }), { kind: 'bn', eps: 1e-5 },
      { kind: 'maxpool', kernel: [2, 2], stride: [2, 2], padding: [0, 0] }, { kind: 'fc', outFeatures: 512, bias: true },
    ];
    const p = initParams([3, 8, 8], layers, 7);
    assertHeUniform(p[0].weight!, 3 * 3 * 3, 'conv 3→64');
    assertHeUniform(p[2].weight!, 64 * 3 * 3, 'conv 64→64');
    assertHeUniform(p[3].weight!, (64 / 4) * 3 * 3, 'conv 64→64 in 4 groups');
    assertHeUniform(p[6].weight!, 64 * 4 * 4, 'fc 1024→512');
    assert.ok(p[0].bias!.every((v) => v === 0) && p[6].bias!.every((v) => v === 0));
    assert.ok(p[4].weight!.every((v) => v === 1) && p[4].runningVar!.every((v) => v === 1));
    assert.ok(p[4].bias!.every((v) => v === 0) && p[4].runningMean!.every((v) => v === 0));
    assert.deepEqual(p[1], {});
  });

  it('spreads the weights evenly over (−b, b): a chi-square test on 20 bins', () => {
    const w = initParams([16, 8, 8], [{ kind: 'fc', outFeatures: 512, bias: false }], 3)[0].weight!;
    const b = Math.sqrt(6 / 1024);
    const bins = new Array<number>(20).fill(0);
    for (const v of w) bins[Math.min(19, Math.floor(((v + b) / (2 * b)) * 20))]++;
    const expected = w.length / 20;
    const chi2 = bins.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    // 63.7 is the chi-square quantile with 19 degrees of freedom that is exceeded with probability 1e-6.
    assert.ok(chi2 < 63.7, `chi-square ${chi2.toFixed(1)} on 19 degrees of freedom; bins ${bins.join(' ')}`);
  });

  it('is deterministic per seed, and seeds and layers get different weights', () => {
    const a = initParams(INPUT, NET, 123);
    const b = initParams(INPUT, NET, 123);
    const c = initParams(INPUT, NET, 124);
    a.forEach((p, i) => assert.deepEqual(p, b[i], `layer ${i}`));
    for (const i of [0, 4, 7]) assert.notDeepEqual(a[i].weight, c[i].weight, `layer ${i} with seeds 123 and 124`);
    // Two layers of the same shape draw from different streams.
    const twins = initParams([8, 4, 4], [conv(8), conv(8)], 123);
    assert.notDeepEqual(twins[0].weight, twins[1].weight);
  });

  it('leaves every other layer\'s weights unchanged when one layer is edited', () => {
    const a = initParams(INPUT, NET, 123);
    // The second conv becomes 5×5 with the same output shape; every other layer keeps its spec.
    const edited = initParams(INPUT, NET.map((l, i) => (i === 4 ? conv(16, { kernel: [5, 5], padding: [2, 2] }) : l)), 123);
    assert.notDeepEqual(edited[4].weight, a[4].weight);
    edited.forEach((p, i) => { if (i !== 4) assert.deepEqual(p, a[i], `layer ${i}`); });
    // Editing the last fc leaves the layers before it alone.
    const fc4 = initParams(INPUT, [...NET.slice(0, 7), { kind: 'fc', outFeatures: 4, bias: true }], 123);
    for (let i = 0; i < 7; i++) assert.deepEqual(fc4[i], a[i], `layer ${i}`);
  });

  it('fillUniform never starts xorshift in its stuck all-zero state, even from seed 0', () => {
    const w = new Float32Array(1000);
    fillUniform(w, 0.5, 0);
    assert.ok(w.every((v) => v !== 0 && Math.abs(v) <= 0.5), `${w.subarray(0, 4).join(', ')} …`);
  });
});

describe('teaching kernels', () => {
  it('sobelx responds positively to a dark-to-bright edge, on the mean of RGB channels', async () => {
    const layers: LayerSpec[] = [conv(1, { teaching: 'sobelx', padding: [0, 0] })];
    const params = initParams([3, 5, 6], layers);
    const [out] = await forward(tensor([3, 5, 6], stepImage(3, 5, 6)), layers, params);
    assert.deepEqual(out.shape, [1, 3, 4]);
    // Output columns 1 and 2 straddle the edge between input columns 2 and 3: 1 + 2 + 1 = 4.
    assert.deepEqual([...out.data.subarray(0, 4)], [0, 4, 4, 0]);
  });

  it('boxblur, gaussian and identity have the documented values', () => {
    const box = teachingKernel('boxblur', 5, 5);
    assert.ok(box.every((v) => v === Math.fround(1 / 25)));
    const g = teachingKernel('gaussian', 5, 5);
    assert.ok(Math.abs(g.reduce((s, v) => s + v, 0) - 1) < 1e-6);
    assert.ok(g[12] > g[7] && g[7] > g[2] && g[0] === g[24]);
    assert.deepEqual([...teachingKernel('identity', 3, 3)], [0, 0, 0, 0, 1, 0, 0, 0, 0]);
    assert.deepEqual([...teachingKernel('laplacian', 3, 3)], [0, 1, 0, 1, -4, 1, 0, 1, 0]);
    assert.throws(() => teachingKernel('sobely', 5, 5), /teaching kernel 'sobely' is defined only for a 3×3 conv, this conv is 5×5/);
  });
});

describe('forward', () => {
  it('returns every output with the inferred shapes, or only the last', async () => {
    const params = initParams(INPUT, NET, 1);
    const input = tensor(INPUT, stepImage(3, 16, 16));
    const all = await forward(input, NET, params);
    // Worked out by hand from 3×16×16: conv3-8 pad1 keeps 16×16, maxpool 2/2 halves it, gap leaves 1×1.
    assert.deepEqual(all.map((t) => t.shape), [[8, 16, 16], [8, 16, 16], [8, 16, 16], [8, 8, 8], [16, 8, 8], [16, 8, 8], [16, 1, 1], [10], [10]]);
    const probs = all[all.length - 1].data;
    assert.ok(Math.abs(probs.reduce((s, v) => s + v, 0) - 1) < 1e-6);
    const last = await forward(input, NET, params, { keep: 'last' });
    assert.equal(last.length, 1);
    assert.deepEqual(last[0].data, probs);
  });

  it('calls onLayer in order and awaits it', async () => {
    const seen: number[] = [];
    await forward(tensor(INPUT), NET, initParams(INPUT, NET), {
      onLayer: async (i) => {
        await new Promise((r) => setTimeout(r, 1));
        seen.push(i);
      },
    });
    assert.deepEqual(seen, NET.map((_, i) => i));
  });

  it('stops between layers when the signal is aborted, with an AbortError', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      forward(tensor(INPUT), NET, initParams(INPUT, NET), {
        signal: controller.signal,
        onLayer: (i) => {
          seen.push(i);
          if (i === 2) controller.abort();
        },
      }),
      { name: 'AbortError' },
    );
    assert.deepEqual(seen, [0, 1, 2]);
  });

  it('uses a plugged-in backend for conv and fc', async () => {
    const calls: string[] = [];
    const spy: ConvBackend = {
      conv2d(...args) {
        calls.push(`conv ${args[4].join('x')}→${args[6].join('x')}`);
        tsBackend.conv2d(...args);
      },
      fc(...args) {
        calls.push(`fc ${args[4]}→${args[5]}`);
        tsBackend.fc(...args);
      },
    };
    const params = initParams(INPUT, NET, 5);
    const viaSpy = await forward(tensor(INPUT, stepImage(3, 16, 16)), NET, params, { backend: spy, keep: 'last' });
    const viaTs = await forward(tensor(INPUT, stepImage(3, 16, 16)), NET, params, { keep: 'last' });
    assert.deepEqual(calls, ['conv 3x16x16→8x16x16', 'conv 8x8x8→16x8x8', 'fc 16→10']);
    assert.deepEqual(viaSpy[0].data, viaTs[0].data);
  });

  it('rejects impossible shapes and bad parameters with the layer and shapes in the message', async () => {
    const params = initParams(INPUT, NET);
    // Conv weights do not depend on the map size, so the 16×16 parameters fit a 1×1 input too.
    await assert.rejects(forward(tensor([3, 1, 1]), NET, params),
      /layer 3 \(maxpool\) on input \[8, 1, 1\]: the 2×2 window is larger than its padded 1×1 input/);
    const bad = params.map((p) => ({ ...p }));
    bad[4].weight = new Float32Array(10);
    await assert.rejects(forward(tensor(INPUT), NET, bad), /layer 4 \(conv\): weight has 10 values, shape \[16, 8, 3, 3\] needs 1152/);
    await assert.rejects(forward(tensor([12]), [conv(2)], [{}]), /layer 0 \(conv\) on input \[12\]: needs a \(C, H, W\) map/);
    await assert.rejects(forward(tensor(INPUT), NET, params.slice(1)), /9 layers but 8 parameter records/);
  });

  it('passes unknown, dropout and flatten through and flattens before fc', async () => {
    const layers: LayerSpec[] = [{ kind: 'unknown' }, { kind: 'dropout', p: 0.5 }, { kind: 'fc', outFeatures: 2, bias: false }, { kind: 'leakyrelu', slope: 0.01 }];
    const params = initParams([2, 2, 2], layers);
    params[2].weight = new Float32Array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1]);
    const input = tensor([2, 2, 2], new Float32Array([3, 0, 0, 0, 0, 0, 0, 5]));
    const out = await forward(input, layers, params);
    assert.deepEqual(out[1].shape, [2, 2, 2]);
    assert.deepEqual([...out[2].data], [3, -5]);
    assert.deepEqual([...out[3].data], [3, Math.fround(-0.05)]);
  });
});

describe('forward on a graph', () => {
  // A residual block with a projection shortcut, a flatten (which shares its input's buffer) and a
  // second reader of the input: layer i reads GRAPH_INPUTS[i] (−1: the network input).
  const GRAPH: LayerSpec[] = [
    conv(6), { kind: 'relu' }, conv(6), conv(6, { kernel: [1, 1], padding: [0, 0] }), { kind: 'add' },
    { kind: 'relu' }, { kind: 'concat' }, { kind: 'gap' }, { kind: 'flatten' }, { kind: 'fc', outFeatures: 4, bias: true },
  ];
  const GRAPH_INPUTS = [[-1], [0], [1], [-1], [3, 2], [4], [5, -1], [6], [7], [8]];
  const GIN = [3, 6, 5];

  /** Alloc and free hooks that count the values held, reusing freed buffers. */
  function meter(): { alloc: (n: number) => Float32Array; free: (b: Float32Array) => void; peak: () => number; freed: Float32Array[] } {
    const pool: Float32Array[] = [];
    const freed: Float32Array[] = [];
    let live = 0;
    let peak = 0;
    return {
      alloc(n) {
        live += n;
        peak = Math.max(peak, live);
        const i = pool.findIndex((b) => b.length === n);
        return i >= 0 ? pool.splice(i, 1)[0].fill(0) : new Float32Array(n);
      },
      free(b) {
        assert.ok(!pool.includes(b), 'a buffer is freed twice');
        live -= b.length;
        freed.push(b);
        pool.push(b);
      },
      peak: () => peak,
      freed,
    };
  }

  it('reads each layer\'s inputs by the edges: the merges equal their definitions', async () => {
    const params = initParams(GIN, GRAPH, 3, GRAPH_INPUTS);
    const input = tensor(GIN, stepImage(3, 6, 5).map((v, i) => v - (i % 7) / 7));
    const out = await forward(input, GRAPH, params, { inputs: GRAPH_INPUTS });
    // By hand: 3×3 pad-1 and 1×1 convs keep 6×5; the concat adds the input's 3 channels to the relu's 6.
    assert.deepEqual(out.map((t) => t.shape), [[6, 6, 5], [6, 6, 5], [6, 6, 5], [6, 6, 5], [6, 6, 5], [6, 6, 5], [9, 6, 5], [9, 1, 1], [9], [4]]);
    out[4].data.forEach((v, i) => assert.equal(v, Math.fround(out[3].data[i] + out[2].data[i])));
    assert.deepEqual([...out[6].data], [...out[5].data, ...input.data]);
    assert.equal(out[8].data, out[7].data, 'flatten shares the gap\'s buffer');
  });

  it('keep last frees each output after its last reader, recycles its buffer, and returns the same result', async () => {
    const params = initParams(GIN, GRAPH, 3, GRAPH_INPUTS);
    const input = tensor(GIN, stepImage(3, 6, 5));
    const all = await forward(input, GRAPH, params, { inputs: GRAPH_INPUTS });
    const m = meter();
    const seen: number[] = [];
    const last = await forward(input, GRAPH, params, {
      inputs: GRAPH_INPUTS, keep: 'last', alloc: m.alloc, free: m.free,
      // Each output must still hold its values when onLayer sees it, recycled buffers or not.
      onLayer: (i, t) => {
        seen.push(i);
        assert.deepEqual([...t.data], [...all[i].data], `layer ${i} as onLayer sees it`);
      },
    });
    assert.deepEqual(seen, GRAPH.map((_, i) => i));
    assert.equal(last.length, 1);
    assert.deepEqual([...last[0].data], [...all[9].data]);
    assert.ok(!m.freed.includes(input.data), 'the input is the caller\'s');
    assert.ok(!m.freed.includes(last[0].data), 'the returned output is not freed');
    // Every output but the last went back (the gap's buffer once, when the flatten over it went).
    assert.equal(m.freed.length, 8);
    // The plan's estimate follows the same schedule: it equals the most values the run held at once.
    const sizes = all.map((t) => t.data.length);
    const shares = GRAPH.map((s) => s.kind === 'flatten');
    assert.equal(m.peak(), heldActivations(GRAPH_INPUTS, sizes, shares, 'last'));
    assert.equal(heldActivations(GRAPH_INPUTS, sizes, shares, 'all'), sizes.reduce((a, b) => a + b, 0) - sizes[8]);
  });

  it('rejects edges that read a later layer', async () => {
    const layers: LayerSpec[] = [{ kind: 'relu' }, { kind: 'relu' }];
    await assert.rejects(forward(tensor([1, 2, 2]), layers, [{}, {}], { inputs: [[1], [0]] }),
      /layer 0 reads \[1\]; a layer reads −1 \(the input\) or earlier layers/);
  });

  it('merges whose inputs do not fit fail with the shapes', async () => {
    const layers: LayerSpec[] = [conv(2), { kind: 'add' }];
    await assert.rejects(forward(tensor([3, 4, 4]), layers, [initParams([3, 4, 4], [conv(2)])[0], {}], { inputs: [[-1], [0, -1]] }),
      /layer 1 \(add\) on input \[2, 4, 4\], \[3, 4, 4\]: add: the inputs are 2×4×4, 3×4×4/);
  });
});

describe('planRun on a graph', () => {
  it('accepts a branching network, passes its edges, and counts the memory the run really holds', () => {
    const a = analyze('input 2x4x4\nconv3-4 pad1\nresidual\n  conv3-4 pad1\n  relu\nend\nflatten\nfc-3\n');
    const all = planRun(a);
    const last = planRun(a, undefined, undefined, 'last');
    assert.deepEqual(all.inputs, [[-1], [0], [1], [0, 2], [3], [4]]);
    assert.deepEqual([all.keep, last.keep], ['all', 'last']);
    // Parameters 76 + 148 + 195 floats and the 32-float input, in bytes.
    const fixed = 4 * (76 + 148 + 195) + 4 * 32;
    // Keeping all: four 4×4×4 maps and the 3 logits (the flatten shares the add's buffer).
    assert.equal(all.memoryBytes, fixed + 4 * (4 * 64 + 3));
    // Keeping the last: at most three maps at once, when the add is written while the first conv
    // (the shortcut) and the relu are still alive.
    assert.equal(last.memoryBytes, fixed + 4 * 3 * 64);
  });
});
