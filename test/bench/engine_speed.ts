/**
 * A measurement, not a test: the TypeScript conv kernel on VGG's heaviest layer shape (3×3, 64→64,
 * 224×224) and a whole VGG16 forward pass with He weights, reported in ms and GFLOP/s (2·MACs/s).
 * Run: node --import tsx test/bench/engine_speed.ts [--conv-only]
 */
import type { ConvSpec, LayerSpec } from '../../server/src/language/types.js';
import { conv2d_forward } from '../../server/src/engine/kernels.js';
import { forward } from '../../server/src/engine/forward.js';
import { inferShapes } from '../../server/src/engine/shapes.js';
import { tensor } from '../../server/src/engine/tensor.js';
import { fillUniform, initParams } from '../../server/src/engine/weights.js';

const conv3 = (outChannels: number): ConvSpec => ({
  kind: 'conv', kernel: [3, 3], outChannels, stride: [1, 1], padding: [1, 1], dilation: [1, 1],
  groups: 1, bias: true, depthwise: false,
});
const pool: LayerSpec = { kind: 'maxpool', kernel: [2, 2], stride: [2, 2], padding: [0, 0] };
const relu: LayerSpec = { kind: 'relu' };
/** U(−√3, √3) has unit variance, so inputs drawn from it have the scale of normalised images. */
const SQRT3 = Math.sqrt(3);

/** VGG16 (configuration D) as in torchvision, without the adaptive pool (7×7 already at 224). */
function vgg16(): LayerSpec[] {
  const layers: LayerSpec[] = [];
  for (const block of [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]) {
    for (const c of block) layers.push(conv3(c), relu);
    layers.push(pool);
  }
  layers.push({ kind: 'fc', outFeatures: 4096, bias: true }, relu, { kind: 'dropout', p: 0.5 });
  layers.push({ kind: 'fc', outFeatures: 4096, bias: true }, relu, { kind: 'dropout', p: 0.5 });
  layers.push({ kind: 'fc', outFeatures: 1000, bias: true }, { kind: 'softmax' });
  return layers;
}

/** Multiply-accumulates of the conv and fc layers. */
function macs(input: number[], layers: LayerSpec[]): number {
  const shapes = inferShapes(input, layers);
  let total = 0;
  layers.forEach((l, i) => {
    const inShape = i === 0 ? input : shapes[i - 1];
    const out = shapes[i];
    if (l.kind === 'conv') total += out[0] * out[1] * out[2] * (inShape[0] / l.groups) * l.kernel[0] * l.kernel[1];
    if (l.kind === 'fc') total += out[0] * inShape.reduce((a, b) => a * b, 1);
  });
  return total;
}

function benchConv(): void {
  const [c, h, w] = [64, 224, 224];
  const inp = new Float32Array(c * h * w);
  fillUniform(inp, SQRT3, 1);
  const weight = new Float32Array(64 * 64 * 9);
  fillUniform(weight, 0.05 * SQRT3, 2);
  const bias = new Float32Array(64);
  const out = new Float32Array(64 * h * w);
  const mac = 64 * 64 * 9 * h * w;
  conv2d_forward(out, inp, weight, bias, [c, h, w], conv3(64), [64, h, w]); // warm-up
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    conv2d_forward(out, inp, weight, bias, [c, h, w], conv3(64), [64, h, w]);
    times.push(performance.now() - t0);
  }
  const best = Math.min(...times);
  console.log(`conv 3×3 64→64 224×224: best of 3 ${best.toFixed(0)} ms, ${(2 * mac / best / 1e6).toFixed(2)} GFLOP/s (${(mac / 1e9).toFixed(2)} GMAC)`);
}

async function benchVgg(): Promise<void> {
  const layers = vgg16();
  const input = [3, 224, 224];
  let t0 = performance.now();
  const params = initParams(input, layers, 0);
  console.log(`VGG16 He init: ${(performance.now() - t0).toFixed(0)} ms`);
  const x = tensor(input);
  fillUniform(x.data, SQRT3, 3);
  const mac = macs(input, layers);
  const perLayer: string[] = [];
  let last = performance.now();
  t0 = last;
  await forward(x, layers, params, {
    keep: 'last',
    onLayer: (i) => {
      const now = performance.now();
      if (layers[i].kind === 'conv' || layers[i].kind === 'fc') perLayer.push(`${i}:${layers[i].kind} ${(now - last).toFixed(0)}ms`);
      last = now;
    },
  });
  const dt = performance.now() - t0;
  console.log(`VGG16 forward 224×224: ${dt.toFixed(0)} ms, ${(2 * mac / dt / 1e6).toFixed(2)} GFLOP/s (${(mac / 1e9).toFixed(2)} GMAC)`);
  console.log(`  per layer: ${perLayer.join(', ')}`);
}

benchConv();
if (!process.argv.includes('--conv-only')) await benchVgg();
