/**
 * The engine against PyTorch: networks built and run by test/fixtures/engine/generate.py, loaded
 * here through the engine's own safetensors loader and loading rule, every layer's output compared
 * with torch's, element by element.
 *
 * Tolerance: an error scale carried through the network. Both sides start from the same input and
 * round in float32 (unit roundoff u = 2⁻²⁴), so each output element's scale E is what the layer does
 * to the scale e of its inputs' errors plus its own rounding, C·u times the size of what it sums:
 *   - conv, fc (y = Wx + b): E = √(Σ w²·e²) + C·u·(Σ|w·x| + |b|): independent input errors add
 *     like a random walk, and the sum's own roundings scale with its terms;
 *   - avgpool, gap (a mean of n): E = √(mean(e²)/n) + C·u·mean(|x|);
 *   - bn (y = s·(x − mean) + beta): E = |s|·e + C·u·(|s|·|x| + |s|·|mean| + |beta|);
 *   - relu, leaky relu, max pooling, upsampling, flatten, dropout (they copy or shrink values): E = e;
 *   - sigmoid, tanh, lrn (slopes at most 1 here): E = e + C·u·|y|;
 *   - softmax: E_i = 2·y_i·max e + C·u·y_i (∂y_i/∂x_j = y_i(δ_ij − y_j)).
 * |engine − torch| ≤ E must hold for every element of every layer. C = 6 is far below the worst case
 * (n·u·Σ|terms|, n = 28 for the smallest conv here) and twice the worst seen, in a first conv where
 * torch's own roundings are the whole difference. No element's tolerance reaches an eighteenth of the
 * 1e-4·max|torch| these tests used to allow for the whole layer.
 */import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LayerSpec } from '../../server/src/language/types.js';
import { resizeBilinear } from '../../server/src/engine/image.js';
import { paramsFromSafetensors } from '../../server/src/engine/loadweights.js';
import { readNpy } from '../../server/src/engine/npy.js';
import { forwardLayer, forward } from '../../server/src/engine/forward.js';
import { tensor, type Tensor } from '../../server/src/engine/tensor.js';
import type { LayerParams } from '../../server/src/engine/weights.js';
import { checkTensor, F32_UNIT, maxAbs } from '../helpers/tensors.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'engine');
/** Each layer's own rounding, in units of u·Σ|terms| (see above). */
const C = 6;

const abs = (a: Float32Array): Float32Array => a.map(Math.abs);
const plus = (a: Float32Array, b: Float32Array, k = 1): Float32Array => a.map((v, i) => v + k * b[i]);

/**
 * The error scale of layer `i`'s output y (computed from input x with `p`), given the scale `e` of the
 * error of x: see the comment at the top.
 */
function errorScale(i: number, spec: LayerSpec, p: LayerParams, x: Tensor, y: Tensor, e: Tensor): Tensor {
  const withRounding = (carried: Float32Array, terms: Float32Array): Tensor =>
    tensor(y.shape, carried.map((v, k) => v + C * F32_UNIT * terms[k]));
  const absX = tensor(x.shape, abs(x.data));
  const squared = tensor(e.shape, e.data.map((v) => v * v));
  switch (spec.kind) {
    case 'conv': case 'fc': {
      // Input errors of random sign add up as √(Σ w²·e²); the layer's own rounding scales with Σ|w·x| + |b|.
      const noBias = p.bias ? { bias: new Float32Array(p.bias.length) } : {};
      const carried = forwardLayer(i, spec, { weight: p.weight!.map((w) => w * w), ...noBias }, squared).data.map(Math.sqrt);
      const terms = forwardLayer(i, spec, { weight: abs(p.weight!), ...(p.bias ? { bias: abs(p.bias) } : {}) }, absX).data;
      return withRounding(carried, terms);
    }
    case 'avgpool': case 'gap': {
      // The same for a mean of n values (weights 1/n): √(mean(e²)/n), and mean(|x|).
      const n = spec.kind === 'gap' ? x.shape[1] * x.shape[2] : spec.kernel[0] * spec.kernel[1];
      const carried = forwardLayer(i, spec, {}, squared).data.map((v) => Math.sqrt(v / n));
      return withRounding(carried, forwardLayer(i, spec, {}, absX).data);
    }
    case 'bn': {
      // y = s·(x − mean) + beta with s = gamma/√(var + eps): |s|·e, and the terms |s|·|x| + |s|·|mean| + |beta|.
      const s = p.weight!.map((g, c) => Math.abs(g) / Math.sqrt(p.runningVar![c] + spec.eps));
      const affine = (shift: (c: number) => number): LayerParams => ({
        weight: abs(p.weight!), bias: s.map((_, c) => shift(c)), runningMean: new Float32Array(s.length), runningVar: p.runningVar!,
      });
      const terms = forwardLayer(i, spec, affine((c) => s[c] * Math.abs(p.runningMean![c]) + Math.abs(p.bias![c])), absX).data;
      return withRounding(forwardLayer(i, spec, affine(() => 0), e).data, terms);
    }
    case 'maxpool': case 'upsample':
      // They copy values: an output's error is one of its inputs' errors.
      return forwardLayer(i, spec, {}, e);
    case 'relu': case 'leakyrelu': case 'flatten': case 'dropout': case 'unknown':
      return tensor(y.shape, e.data);
    case 'sigmoid': case 'tanh': case 'lrn':
      return withRounding(e.data, abs(y.data));
    case 'softmax': {
      // ∂y_i/∂x_j = y_i(δ_ij − y_j): a change of at most max e in every input moves y_i by at most 2·y_i·max e.
      const worst = maxAbs(e.data);
      return withRounding(y.data.map((v) => 2 * Math.abs(v) * worst), abs(y.data));
    }
    default:
      // The chain fixtures hold none of the graph kinds; engine_graph_torch.test.ts checks those.
      throw new Error(`no error model for ${spec.kind} layers`);
  }
}

/**
 * Bilinear resizing weighs the 2×2 source pixels around each output point with weights torch computes
 * in float32 from the output coordinate, a few u off. So each output may be off by a few u times the
 * largest of its four source pixels; RESIZE_C = 16 is twice the worst seen.
 */
const RESIZE_C = 16;

/** For each output pixel of a (C, H, W) → (C, OH, OW) bilinear resize, the largest |value| of its four source pixels. */
function tapMaxima(src: Float32Array, c: number, h: number, w: number, oh: number, ow: number): Float32Array {
  // The source row (column) of output row o is (o + 0.5)·H/OH − 0.5, clamped at 0: rows ⌊s⌋ and ⌊s⌋ + 1 (clamped to H − 1).
  const taps = (o: number, n: number, on: number): [number, number] => {
    const lo = Math.min(Math.floor(Math.max((o + 0.5) * (n / on) - 0.5, 0)), n - 1);
    return [lo, Math.min(lo + 1, n - 1)];
  };
  const out = new Float32Array(c * oh * ow);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let m = 0;
        for (const sy of taps(y, h, oh)) for (const sx of taps(x, w, ow)) m = Math.max(m, Math.abs(src[(ch * h + sy) * w + sx]));
        out[(ch * oh + y) * ow + x] = m;
      }
    }
  }
  return out;
}

interface NetworkFixture {
  readonly name: string;
  readonly inputShape: number[];
  readonly input: string;
  readonly weights: string;
  readonly layers: LayerSpec[];
  readonly outputs: string[];
}

interface Manifest {
  readonly generator: string;
  readonly networks: NetworkFixture[];
  readonly resize: { input: string; cases: { size: [number, number]; output: string }[] };
}

const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as Manifest;
const npy = (rel: string) => readNpy(readFileSync(join(FIXTURES, rel)), rel);

describe(`engine vs PyTorch (${manifest.generator})`, () => {
  for (const net of manifest.networks) {
    it(`${net.name}: ${net.layers.length} layers match torch layer by layer`, async () => {
      const params = paramsFromSafetensors(readFileSync(join(FIXTURES, net.weights)), net.inputShape, net.layers, net.weights);
      const inp = npy(net.input);
      assert.deepEqual(inp.shape, net.inputShape);
      const input = tensor(inp.shape, inp.data);
      const outputs = await forward(input, net.layers, params);
      let worst = 0;
      let scale = tensor(inp.shape); // both sides read the same input
      outputs.forEach((out, i) => {
        const ref = npy(net.outputs[i]);
        scale = errorScale(i, net.layers[i], params[i], i === 0 ? input : outputs[i - 1], out, scale);
        worst = Math.max(worst, checkTensor(`${net.name} ${String(i).padStart(2)} ${net.layers[i].kind}`, out, ref, { rtol: 0, atol: scale.data }));
      });
      console.log(`  ${net.name}: over ${outputs.length} layers the worst element used ${worst.toPrecision(3)} of its tolerance`);
    });
  }

  it('bilinear resize matches F.interpolate(align_corners=False)', () => {
    const src = npy(manifest.resize.input);
    const [c, h, w] = src.shape;
    for (const { size, output } of manifest.resize.cases) {
      const ref = npy(output);
      const atol = tapMaxima(src.data, c, h, w, size[0], size[1]).map((m) => RESIZE_C * F32_UNIT * m);
      const got = resizeBilinear(src.data, c, h, w, size[0], size[1]);
      checkTensor(`resize ${h}x${w} → ${size[0]}x${size[1]}`, { shape: [c, ...size], data: got }, ref, { rtol: 0, atol });
    }
  });
});
