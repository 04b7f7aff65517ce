/**
 * The comparison of a file's networks (server/src/analysis/compare.ts). Every figure is checked against
 * an independent source where one exists: the VGG paper's Table 2 (parameters in millions), PyTorch's
 * per-layer records (test/fixtures/torch/reference.json and zoo.json: params, MACs, output shapes,
 * measured receptive fields), torchvision's published counts; the rest against hand computation on
 * small networks, written out in the comments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../server/src/analysis/analyze.js';
import { compareNetwork, compareNetworks, comparisonJson, formatComparison, type CompareNetwork } from '../../server/src/analysis/compare.js';
import { analyzeSample, problems, readRepo } from '../helpers/core.js';

interface TorchLayer { module: string; type: string; out: number[]; params: number; macs: number }
interface TorchModel { totals: { params: number; macs: number }; layers: TorchLayer[]; rf?: { module: string; rf: number[] }[] }
const reference = JSON.parse(readRepo('test/fixtures/torch/reference.json')) as { models: Record<string, TorchModel> };
const zoo = JSON.parse(readRepo('test/fixtures/torch/zoo.json')) as { models: Record<string, TorchModel> };

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
/** Weight layers as PyTorch has them: its Conv2d, ConvTranspose2d and Linear modules. */
const torchWeightLayers = (m: TorchModel) => m.layers.filter((l) => ['Conv2d', 'ConvTranspose2d', 'Linear'].includes(l.type)).length;
/** fc parameters / all parameters, from PyTorch's Linear modules. */
const torchFcShare = (m: TorchModel) => m.layers.filter((l) => l.type === 'Linear').reduce((a, l) => a + l.params, 0) / m.totals.params;

/** Prints the largest relative difference, as the reference checks do, and asserts it is within tol. */
function close(actual: number, expected: number, what: string, tol = 1e-12): void {
  const d = Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
  assert.ok(d <= tol, `${what}: ${actual} vs ${expected} (relative difference ${d.toExponential(2)})`);
}

const vgg = compareNetworks(analyzeSample('samples/vgg.cnn')).networks;
/** The torchvision (or fixture) model of each VGG column. */
const VGG_TORCH: Record<string, string> = { 'VGG-A': 'vgg11', 'VGG-A-LRN': 'vgg_a_lrn', 'VGG-B': 'vgg13', 'VGG-C': 'vgg_c', 'VGG-D': 'vgg16', 'VGG-E': 'vgg19' };

test('VGG: parameters round to the paper\'s Table 2 (133, 133, 133, 134, 138, 144 million); depths are Table 1\'s', () => {
  assert.deepEqual(vgg.map((n) => n.name), ['VGG-A', 'VGG-A-LRN', 'VGG-B', 'VGG-C', 'VGG-D', 'VGG-E']);
  assert.deepEqual(vgg.map((n) => Math.round(n.params / 1e6)), [133, 133, 133, 134, 138, 144]);
  // Table 1's headings: "11 weight layers" (A, A-LRN), 13 (B), 16 (C, D), 19 (E).
  assert.deepEqual(vgg.map((n) => n.weightLayers), [11, 11, 13, 16, 16, 19]);
});

test('VGG: params, MACs, weight layers and fc share equal PyTorch\'s modules (reference.json)', () => {
  for (const n of vgg) {
    const m = reference.models[VGG_TORCH[n.name]];
    assert.equal(n.params, m.totals.params, `${n.name} params`);
    assert.equal(n.macs, m.totals.macs, `${n.name} MACs`);
    assert.equal(n.weightLayers, torchWeightLayers(m), `${n.name} weight layers`);
    close(n.fcShare, torchFcShare(m), `${n.name} fc share`);
    assert.equal(n.paramBytes, 4 * m.totals.params);
    assert.ok(n.complete);
  }
});

test('VGG: activations are PyTorch\'s layer outputs (less torchvision\'s avgpool, flatten and dropouts, plus our soft-max)', () => {
  for (const n of vgg) {
    const m = reference.models[VGG_TORCH[n.name]];
    // vgg.cnn is the paper's table: no adaptive avgpool (a no-op at 224), no flatten line (fc flattens), no dropout, a soft-max of 1000.
    const torch = m.layers.filter((l) => !['AdaptiveAvgPool2d', 'Flatten', 'Dropout'].includes(l.type)).reduce((a, l) => a + numel(l.out), 0) + 1000;
    assert.equal(n.activations, torch, n.name);
    assert.equal(n.activationBytes, 4 * torch);
  }
});

test('VGG: receptive field at the last feature map (pool5): D is 212 as measured (reference.json); the others by hand', () => {
  const d = vgg.find((n) => n.name === 'VGG-D')!;
  const pool5 = reference.models.vgg16.rf!.find((r) => r.module === 'features.30')!;
  assert.deepEqual(d.rf, pool5.rf);
  assert.equal(d.rfAt, 'input of FC-4096 (#31)');
  // By hand, r = 1 + Σ (k − 1)·jump over the convs (k 3; the 1×1s of C add nothing) and 2×2/2 pools before pool5:
  // A: 1 + 2·1 + 1·1 + 2·2 + 1·2 + 2·4·2 + 1·4 + 2·8·2 + 1·8 + 2·16·2 + 1·16 = 150; B adds 2·1 + 2·2 = 156;
  // C = B; D adds 2·4 + 2·8 + 2·16 = 212; E adds as much again: 268.
  const byHand = (convs: number[]) => {
    let r = 1, jump = 1;
    for (const c of convs) {
      r += c * 2 * jump; // c 3×3 convs
      r += 1 * jump; // the 2×2 pool
      jump *= 2;
    }
    return r;
  };
  const expected = [byHand([1, 1, 2, 2, 2]), byHand([1, 1, 2, 2, 2]), byHand([2, 2, 2, 2, 2]), byHand([2, 2, 2, 2, 2]), byHand([2, 2, 3, 3, 3]), byHand([2, 2, 4, 4, 4])];
  assert.deepEqual(expected, [150, 150, 156, 156, 212, 268]);
  assert.deepEqual(vgg.map((n) => n.rf), expected.map((r) => [r, r]));
});

test('VGG-D stages: 224, 112, 56, 28, 14, 7 and the head; their params and MACs add up to the totals', () => {
  const d = vgg.find((n) => n.name === 'VGG-D')!;
  assert.deepEqual(d.stages.map((s) => s.key), ['s0', 's1', 's2', 's3', 's4', 's5', 'head']);
  assert.deepEqual(d.stages.map((s) => s.size?.[0] ?? null), [224, 112, 56, 28, 14, 7, null]);
  // conv1_1 + conv1_2 = 1,792 + 36,928; pool5 alone is stage 5; the head holds the three fcs.
  assert.deepEqual(d.stages.map((s) => s.params), [38_720, 221_440, 1_475_328, 5_899_776, 7_079_424, 0, 123_642_856]);
  assert.equal(d.stages[6].params, reference.models.vgg16.layers.filter((l) => l.type === 'Linear').reduce((a, l) => a + l.params, 0));
  for (const n of vgg) {
    assert.equal(n.stages.reduce((a, s) => a + s.params, 0), n.params, n.name);
    assert.equal(n.stages.reduce((a, s) => a + s.macs, 0), n.macs, n.name);
  }
});

/** The published figures of the three zoo networks (torchvision's weights meta; MACs from its docs where given). */
const PUBLISHED: Record<string, { params: number; macs?: number; rfModule: string }> = {
  resnet18: { params: 11_689_512, rfModule: 'layer4' },
  resnet50: { params: 25_557_032, macs: 4_089_184_256, rfModule: 'layer4' },
  mobilenet_v2: { params: 3_504_872, macs: 300_774_272, rfModule: 'features.18' },
};

test('samples/zoo/compare.cnn holds the three zoo networks without problems, each equal to its own file', () => {
  const a = analyzeSample('samples/zoo/compare.cnn');
  assert.deepEqual(problems(a), []);
  const together = compareNetworks(a).networks;
  assert.deepEqual(together.map((n) => n.name), ['resnet18', 'resnet50', 'mobilenet_v2']);
  for (const n of together) {
    const alone = compareNetwork(analyzeSample(`samples/zoo/${n.name}.cnn`), analyzeSample(`samples/zoo/${n.name}.cnn`).networks[0]);
    assert.deepEqual({ ...n, line: 0 }, { ...alone, line: 0 }, n.name);
  }
  // The layers too, not only the totals: same kinds, shapes, params and MACs in the same order.
  for (const name of Object.keys(PUBLISHED)) {
    const alone = analyzeSample(`samples/zoo/${name}.cnn`).networks[0].layers;
    const here = a.networks.find((n) => n.name === name)!.layers;
    assert.deepEqual(here.map((l) => [l.decl.text, l.out, l.params, l.macs]), alone.map((l) => [l.decl.text, l.out, l.params, l.macs]), name);
  }
});

test('zoo: every figure against torchvision (published counts, PyTorch modules, the autograd receptive field)', () => {
  const a = analyzeSample('samples/zoo/compare.cnn');
  for (const n of compareNetworks(a).networks) {
    const m = zoo.models[n.name];
    const p = PUBLISHED[n.name];
    assert.equal(n.params, p.params, `${n.name}: torchvision's num_params`);
    assert.equal(n.macs, p.macs ?? m.totals.macs, `${n.name} MACs`);
    assert.equal(n.macs, m.totals.macs);
    assert.equal(n.weightLayers, torchWeightLayers(m), `${n.name} weight layers`);
    close(n.fcShare, torchFcShare(m), `${n.name} fc share`);
    // Activations: PyTorch's module outputs (one per module call) plus the adds, which are not modules there.
    const merges = a.networks.find((x) => x.name === n.name)!.layers.filter((l) => l.decl.spec.kind === 'add');
    assert.equal(n.activations, m.layers.reduce((s, l) => s + numel(l.out), 0) + merges.reduce((s, l) => s + l.activations, 0), `${n.name} activations`);
    // Each add's output is the shape of the next module's input; their number is the residual blocks'.
    assert.equal(merges.length, { resnet18: 8, resnet50: 16, mobilenet_v2: 10 }[n.name]);
    assert.deepEqual(n.rf, m.rf!.find((r) => r.module === p.rfModule)!.rf, `${n.name}: receptive field of ${p.rfModule}`);
    assert.match(n.rfAt, /^input of gap \(#\d+\)$/);
  }
});

test('zoo: the issue\'s receptive fields and weight layers (shortcut projections are weight layers)', () => {
  const byName = Object.fromEntries(compareNetworks(analyzeSample('samples/zoo/compare.cnn')).networks.map((n) => [n.name, n]));
  assert.deepEqual(['resnet18', 'resnet50', 'mobilenet_v2'].map((k) => byName[k].rf![0]), [435, 427, 491]);
  // ResNet-18: 17 convs on the main path + 3 projections + 1 fc; ResNet-50: 49 + 4 + 1; MobileNetV2: 52 convs + 1 fc.
  assert.deepEqual(['resnet18', 'resnet50', 'mobilenet_v2'].map((k) => byName[k].weightLayers), [21, 54, 53]);
  // ResNet-18's stem downsamples twice (conv1, maxpool): no stage at 224×224.
  assert.deepEqual(byName.resnet18.stages.map((s) => s.label), ['stage 1 (112×112)', 'stage 2 (56×56)', 'stage 3 (28×28)', 'stage 4 (14×14)', 'stage 5 (7×7)', 'head']);
  // The head: gap, flatten, fc-1000 = 512·1000 + 1000.
  assert.deepEqual([byName.resnet18.stages[5].params, byName.resnet18.stages[5].layers], [513_000, 3]);
});

test('hand computation: a chain (weight layers leave out bn; the head starts at the first fc)', () => {
  const a = analyze([
    'network small',
    'input 3x8x8',
    'conv3-4 pad1', // 4·3·9 + 4 = 112 params; 4·8·8·27 = 6,912 MACs; 4×8×8 = 256 values; rf 3
    'bn', //           8 params; 256 values
    'relu', //         256 values
    'maxpool', //      4×4×4 = 64 values; rf 4, jump 2
    'conv3-8 pad1', // 8·4·9 + 8 = 296 params; 8·4·4·36 = 4,608 MACs; 128 values; rf 4 + 2·2 = 8
    'fc-10', //        128·10 + 10 = 1,290 params; 1,280 MACs; 10 values
    'softmax', //      10 values
  ].join('\n'));
  const n = compareNetworks(a).networks[0];
  assert.deepEqual({ ...n, fcShare: 0, stages: [] }, {
    name: 'small', line: 1, weightLayers: 3, params: 1706, macs: 12_800, activations: 980, activationBytes: 3920, paramBytes: 6824,
    fcShare: 0, rf: [8, 8], rfLayer: 4, rfAt: 'input of fc-10 (#5)', rfApproximate: false, stages: [], complete: true,
  });
  close(n.fcShare, 1290 / 1706, 'fc share');
  assert.deepEqual(n.stages, [
    { key: 's0', label: 'stage 0 (8×8)', size: [8, 8], params: 120, macs: 6912, layers: 3 },
    { key: 's1', label: 'stage 1 (4×4)', size: [4, 4], params: 296, macs: 4608, layers: 2 },
    { key: 'head', label: 'head', size: null, params: 1290, macs: 1280, layers: 2 },
  ]);
});

test('hand computation: a residual down block whose two stride-2 paths share a stage; the field at the add', () => {
  const a = analyze([
    'network branchy',
    'input 4x8x8',
    'residual',
    '  conv3-8 stride2 pad1', // 8×4×4; 8·4·9 + 8 = 296 params; 8·16·36 = 4,608 MACs; rf 3, jump 2
    '  dwconv3 pad1', //         8×4×4; 8·9 + 8 = 80 params; 8·16·9 = 1,152 MACs; rf 3 + 2·2 = 7
    'shortcut',
    '  conv1-8 stride2', //      8×4×4; 8·4 + 8 = 40 params; 8·16·4 = 512 MACs; rf 1
    'end', //                    add: 8×4×4, the wider field (7)
    'gap', //                    8×1×1
    'flatten', //                8
    'fc-2', //                   8·2 + 2 = 18 params; 16 MACs
  ].join('\n'));
  assert.deepEqual(problems(a), []);
  const n = compareNetworks(a).networks[0];
  assert.deepEqual([n.weightLayers, n.params, n.macs, n.activations, n.rf, n.rfAt], [4, 434, 6288, 4 * 128 + 8 + 8 + 2, [7, 7], 'input of gap (#4)']);
  assert.deepEqual(n.stages.map((s) => [s.key, s.size, s.params, s.macs, s.layers]), [['s1', [4, 4], 416, 6272, 4], ['head', null, 18, 16, 3]]);
});

test('hand computation: a decoder (deconv is a weight layer, upsampling starts a stage, no head: the last layer\'s field, approximate)', () => {
  const a = analyze([
    'network updown',
    'input 1x8x8',
    'conv3-2 stride2 pad1', // 2×4×4; 2·9 + 2 = 20 params
    'deconv2-1 stride2', //    1×8×8; 2·1·4 + 1 = 9 params
  ].join('\n'));
  const n = compareNetworks(a).networks[0];
  assert.deepEqual([n.weightLayers, n.params, n.fcShare, n.rfLayer, n.rfApproximate], [2, 29, 0, 1, true]);
  assert.equal(n.rfAt, 'output of deconv2-1 stride2 (#1, the last layer)');
  assert.deepEqual(n.stages.map((s) => [s.label, s.params]), [['stage 1 (4×4)', 20], ['stage 2 (8×8)', 9]]);
  assert.match(formatComparison({ networks: [n] }), /\s≈\d+\n/);
});

test('edge cases: an fc on the input sees one pixel; an unknown shape gives no field and a partial network', () => {
  const a = analyze('network flat\ninput 3x4x4\nfc-2\n\nnetwork broken\ninput 1x4x4\nconv5-1\nfc-2\n\nnetwork empty\ninput 1x4x4\n');
  const [flat, broken, empty] = compareNetworks(a).networks;
  assert.deepEqual([flat.rf, flat.rfLayer, flat.rfAt, flat.stages.map((s) => s.key)], [[1, 1], -1, 'input of fc-2 (#0)', ['head']]);
  assert.deepEqual([broken.rf, broken.rfLayer, broken.complete], [null, null, false]);
  assert.match(formatComparison({ networks: [broken] }), /Partial: some shapes are unknown in broken/);
  assert.deepEqual([empty.rf, empty.weightLayers, empty.stages], [[1, 1], 0, []]);
});

test('the --json form has exactly the documented keys', () => {
  const j = comparisonJson({ networks: vgg });
  assert.deepEqual(Object.keys(j), ['networks']);
  for (const n of j.networks) assert.deepEqual(Object.keys(n), ['name', 'weightLayers', 'params', 'macs', 'activations', 'fcShare', 'rf']);
  const d = j.networks[4] as unknown as CompareNetwork;
  assert.deepEqual([d.name, d.weightLayers, d.params, d.macs, d.rf], ['VGG-D', 16, 138_357_544, 15_470_264_320, [212, 212]]);
});

test('the table: millions whole as in Table 2 from 10 M, one decimal below', () => {
  const t = formatComparison(compareNetworks(analyzeSample('samples/zoo/compare.cnn')));
  assert.match(t, /^resnet18\s+21\s+11,689,512\s+12\s+1,814,073,344\s+1\.81\s/m);
  assert.match(t, /^mobilenet_v2\s+53\s+3,504,872\s+3\.5\s+300,774,272\s+0\.30\s+78\.7 MB\s+14\.0 MB\s+36\.5%\s+491$/m);
});
