/**
 * Every figure against independent sources: PyTorch/torchvision (shapes, params, MACs per layer, and
 * receptive fields measured with autograd — test/fixtures/torch/generate.py), torchvision's published
 * parameter counts and GFLOPS (its model docs), the VGG paper's Table 2, and the receptive-field table
 * of Araujo, Norris and Sim (Distill 2019).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { receptiveFieldBox } from '../../server/src/run/display.js';
import { analyze, type NetworkResult } from '../../server/src/analysis/analyze.js';
import { analyzeSample, net, readRepo } from '../helpers/core.js';

interface TorchLayer { module: string; type: string; out: number[]; params: number; macs: number }
interface TorchRf { module: string; rf: number[]; jump: number[]; padding: number[] }
/** The input rows and columns (first, last) whose gradient reaches unit 0 of a gap or fc module. */
interface TorchCoverage { module: string; rows: [number, number]; columns: [number, number] }
interface TorchModel {
  input: number[]; num_params_meta: number | null; totals: { params: number; macs: number }; layers: TorchLayer[]; rf?: TorchRf[]; coverage?: TorchCoverage[];
}
const reference = JSON.parse(readRepo('test/fixtures/torch/reference.json')) as { models: Record<string, TorchModel> };
const ours = analyze(readRepo('test/fixtures/torch/torchvision.cnn'), 'torchvision');

const KIND: Record<string, string> = {
  Conv2d: 'conv', ReLU: 'relu', MaxPool2d: 'maxpool', AvgPool2d: 'avgpool', Linear: 'fc', Dropout: 'dropout', BatchNorm2d: 'bn',
  LocalResponseNorm: 'lrn', LeakyReLU: 'leakyrelu', Sigmoid: 'sigmoid', Tanh: 'tanh', Softmax: 'softmax', Upsample: 'upsample',
  AdaptiveAvgPool2d: 'gap',
};

/** Torch's leaf modules without the ones that are identities here (AdaptiveAvgPool2d(7) on a 7×7 map) or implicit (flatten). */
function torchLayers(m: TorchModel): TorchLayer[] {
  const out: TorchLayer[] = [];
  let prev = m.input;
  for (const l of m.layers) {
    const identity = l.type === 'AdaptiveAvgPool2d' && l.out.join() === prev.join();
    if (!identity && l.type !== 'Flatten') out.push(l);
    prev = l.out;
  }
  return out;
}

function compareLayers(name: string, n: NetworkResult, m: TorchModel): void {
  const mine = n.layers.filter((l) => l.decl.spec.kind !== 'flatten');
  const theirs = torchLayers(m);
  assert.equal(mine.length, theirs.length, `${name}: layer count`);
  theirs.forEach((t, i) => {
    const l = mine[i];
    const where = `${name} layer ${i} (${t.module} ${t.type} vs ${l.decl.text})`;
    assert.equal(l.decl.spec.kind === 'conv' ? 'conv' : l.decl.keyword, KIND[t.type] ?? t.type, `${where}: kind`);
    assert.deepEqual(l.out, t.out, `${where}: shape`);
    assert.equal(l.params, t.params, `${where}: params`);
    assert.equal(l.macs, t.macs, `${where}: MACs`);
  });
  assert.equal(n.totals.params, m.totals.params, `${name}: total params`);
  assert.equal(n.totals.macs, m.totals.macs, `${name}: total MACs`);
  if (m.num_params_meta !== null) assert.equal(n.totals.params, m.num_params_meta, `${name}: torchvision's published num_params`);
}

for (const name of Object.keys(reference.models)) {
  test(`${name}: every layer's shape, params and MACs equal PyTorch's`, () => compareLayers(name, net(ours, name), reference.models[name]));
}

test('receptive field, jump and effective padding equal the ones measured with autograd in PyTorch', () => {
  let checked = 0;
  for (const [name, m] of Object.entries(reference.models)) {
    for (const r of m.rf ?? []) {
      // Modules are numbered like our layers for these sequential feature extractors (features.N / N).
      const idx = Number(r.module.split('.').pop());
      const l = net(ours, name).layers[idx];
      assert.deepEqual([l.rf, l.jump, l.padding], [r.rf, r.jump, r.padding], `${name} ${r.module} (${l.decl.text})`);
      checked++;
    }
  }
  assert.ok(checked >= 30, `only ${checked} receptive fields checked`);
});

test('what a gap or fc unit sees (its field clipped to the image) equals the pixels whose gradient reaches it in PyTorch', () => {
  let checked = 0;
  for (const [name, m] of Object.entries(reference.models)) {
    if (!m.coverage) continue;
    const mine = net(ours, name).layers.filter((l) => l.decl.spec.kind !== 'flatten');
    const theirs = torchLayers(m);
    const [, h, w] = m.input;
    for (const c of m.coverage) {
      const i = theirs.findIndex((t) => t.module === c.module);
      const l = mine[i];
      assert.ok(l?.rf && l.jump && l.padding, `${name} ${c.module}: no receptive field`);
      const box = receptiveFieldBox({ rf: l.rf, jump: l.jump, padding: l.padding }, 0, 0, h, w).visible;
      assert.ok(box, `${name} ${c.module}: sees nothing of the image`);
      assert.deepEqual({ rows: [box.y0, box.y1 - 1], columns: [box.x0, box.x1 - 1] }, { rows: c.rows, columns: c.columns },
        `${name} ${c.module} (${l.decl.text}): rf ${l.rf} jump ${l.jump} padding ${l.padding}`);
      checked++;
    }
  }
  assert.ok(checked >= 8, `only ${checked} gap/fc layers checked`);
});

test('VGG16 receptive fields match the Distill table (Araujo et al. 2019): pool5 = 212 / 32 / 90', () => {
  const n = net(analyzeSample('samples/vgg16.cnn'));
  const pools = n.layers.filter((l) => l.decl.spec.kind === 'maxpool').map((l) => [l.rf![0], l.jump![0], l.padding![0]]);
  assert.deepEqual(pools[4], [212, 32, 90]);
  // conv-layer receptive fields of VGG16, the well-known progression 3, 5, 10, 14, 24, 32, 40, 60, 76, 92, 132, 164, 196.
  assert.deepEqual(n.layers.filter((l) => l.decl.spec.kind === 'conv').map((l) => l.rf![0]), [3, 5, 10, 14, 24, 32, 40, 60, 76, 92, 132, 164, 196]);
});

test('the samples reproduce torchvision: vgg16.cnn and alexnet.cnn totals, and the published GFLOPS', () => {
  // torchvision's model docs: num_params and GFLOPS (which are multiply-accumulates, 2 decimals).
  const published: [string, string | undefined, number, number][] = [
    ['samples/vgg16.cnn', undefined, 138_357_544, 15.47],
    ['samples/alexnet.cnn', undefined, 61_100_840, 0.71],
    ['samples/vgg.cnn', 'VGG-A', 132_863_336, 7.61],
    ['samples/vgg.cnn', 'VGG-B', 133_047_848, 11.31],
    ['samples/vgg.cnn', 'VGG-D', 138_357_544, 15.47],
    ['samples/vgg.cnn', 'VGG-E', 143_667_240, 19.63],
  ];
  for (const [file, name, params, gmacs] of published) {
    const n = net(analyzeSample(file), name);
    assert.equal(n.totals.params, params, `${file} ${name ?? ''}`);
    assert.equal((n.totals.macs / 1e9).toFixed(2), gmacs.toFixed(2), `${file} ${name ?? ''} GMACs`);
  }
  // alexnet.cnn is layer for layer torchvision's AlexNet.
  compareLayers('samples/alexnet.cnn', net(analyzeSample('samples/alexnet.cnn')), reference.models.alexnet);
});

test("the VGG paper's Table 2: A, A-LRN, B, C, D, E have 133, 133, 133, 134, 138, 144 million parameters", () => {
  const a = analyzeSample('samples/vgg.cnn');
  const millions = ['VGG-A', 'VGG-A-LRN', 'VGG-B', 'VGG-C', 'VGG-D', 'VGG-E'].map((n) => Math.round(net(a, n).totals.params / 1e6));
  assert.deepEqual(millions, [133, 133, 133, 134, 138, 144]);
  assert.equal(net(a, 'VGG-C').totals.params, reference.models.vgg_c.totals.params);
  assert.equal(net(a, 'VGG-A-LRN').totals.params, reference.models.vgg_a_lrn.totals.params);
});

test('fc share of parameters: VGG16 89.4% and AlexNet 96.0% (not the lecture\'s 95% for VGG); VGG19 weights ≈ 550 MiB', () => {
  const share = (file: string) => (100 * net(analyzeSample(file)).totals.fcShare).toFixed(1);
  assert.equal(share('samples/vgg16.cnn'), '89.4');
  assert.equal(share('samples/alexnet.cnn'), '96.0');
  const e = net(analyzeSample('samples/vgg.cnn'), 'VGG-E');
  assert.equal(Math.round(e.totals.paramBytes / 2 ** 20), 548);
});

test('the lecture samples show what the lecture says', () => {
  const ws = analyzeSample('samples/lecture/01-weight-sharing.cnn');
  assert.deepEqual(ws.networks.map((n) => n.totals.params), [5, 5]);
  const cf = analyzeSample('samples/lecture/02-conv-as-fc.cnn');
  assert.deepEqual(cf.networks.map((n) => n.totals.params), [100_010, 100_010]);
  assert.deepEqual(cf.networks.map((n) => n.totals.macs), [100_000, 100_000]);
  const st = analyzeSample('samples/lecture/03-two-3x3-vs-5x5.cnn');
  assert.deepEqual(st.networks.map((n) => [n.totals.params, n.layers[n.layers.length - 1].rf![0]]), [[25, 5], [18, 5], [27, 7]]);
  const pad = analyzeSample('samples/lecture/04-padding.cnn');
  assert.deepEqual(pad.networks.map((n) => n.layers[n.layers.length - 1].out!.join('x')), ['16x28x28', '16x32x32', '16x16x16']);
  const dw = analyzeSample('samples/lecture/06-depthwise.cnn');
  assert.deepEqual(dw.networks.map((n) => n.totals.params), [225, 75, 84]);
  const up = analyzeSample('samples/lecture/08-upsampling.cnn');
  assert.deepEqual(up.networks.map((n) => n.layers[0].out!.join('x')), ['1x32x32', '1x32x32']);
  const rf = net(analyzeSample('samples/lecture/10-receptive-field.cnn'));
  assert.deepEqual(rf.layers.filter((l) => !l.decl.auto).map((l) => l.rf![0]), [3, 5, 6, 10, 14, 16, 24, 40]);
});
