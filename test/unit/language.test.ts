/** The language accepts the notation of the table and the VGG paper, case-insensitively. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../server/src/analysis/analyze.js';
import { parse } from '../../server/src/language/parser.js';
import { codes, net, problems } from '../helpers/core.js';

test('every statement of the language table is accepted with the documented meaning', () => {
  const a = analyze(`network t
input 3x32x32
conv3-64 pad1
conv3x5-8 pad1x2 stride2x1 dilation2 nobias
dwconv3 pad1
conv1-16 groups4
maxpool
avgpool3 stride1 pad1
maxpool2 stride2 pad0
bn
lrn
relu
sigmoid
tanh
leakyrelu
dropout
dropout0.3
upsample2 zeros
upsample2 nearest
gap
flatten
fc-10
softmax
soft-max
`);
  assert.deepEqual(codes(a), ['dropped-pixels', 'dropped-pixels'], 'maxpool on 15 rows and on 3×7 leaves pixels unused');
  const n = net(a, 't');
  const kinds = n.layers.map((l) => l.decl.keyword);
  assert.deepEqual(kinds, ['conv', 'conv', 'dwconv', 'conv', 'maxpool', 'avgpool', 'maxpool', 'bn', 'lrn', 'relu', 'sigmoid', 'tanh',
    'leakyrelu', 'dropout', 'dropout', 'upsample', 'upsample', 'gap', 'flatten', 'fc', 'softmax', 'softmax']);
  const out = n.layers.map((l) => l.out?.join('x'));
  // conv3x5-8 pad1x2 stride2x1 dilation2 on 64×32×32: h = floor((32+2-4-1)/2)+1 = 15, w = floor((32+4-8-1)/1)+1 = 28
  assert.deepEqual(out.slice(0, 8), ['64x32x32', '8x15x28', '8x15x28', '16x15x28', '16x7x14', '16x7x14', '16x3x7', '16x3x7']);
  assert.equal(out[15], '16x6x14');
  assert.equal(out[17], '16x1x1');
  assert.deepEqual(out.slice(18), ['16', '10', '10', '10']);
  const dw = n.layers[2];
  assert.equal(dw.params, 8 * 9 + 8, 'depthwise: one 3×3 filter per channel plus bias');
  assert.equal(n.layers[3].params, 16 * 2 * 1 * 1 + 16, 'groups4: 8 input channels / 4 = 2 per filter');
  assert.equal(n.layers[7].params, 32, 'bn: 2 per channel');
  const d = n.layers[14].decl.spec;
  assert.equal(d.kind === 'dropout' && d.p, 0.3);
});

test('keywords are case-insensitive and comments start with # or //', () => {
  const a = analyze('NETWORK x // the paper writes FC-4096\nINPUT 3X8X8 # caps\nCONV3-4 PAD1\nMaxPool\nFC-10\nSOFT-MAX\n');
  assert.deepEqual(problems(a), []);
  assert.deepEqual(net(a).layers.map((l) => l.out?.join('x')), ['4x8x8', '4x4x4', '10', '10']);
  assert.equal(parse('conv3-4 # c\n// d\n').comments.length, 2);
});

test('a file without `network` is one network named after the file', () => {
  const a = analyze('input 1x4x4\nconv3-1 pad1\n', 'edges');
  assert.equal(a.networks.length, 1);
  assert.equal(a.networks[0].name, 'edges');
});

test('several networks side by side are analysed independently', () => {
  const a = analyze('network a\ninput 1x8x8\nconv3-2\nnetwork b\ninput 3x8x8\nconv3-2 pad1\n');
  assert.deepEqual(a.networks.map((n) => [n.name, n.layers[0].out?.join('x'), n.totals.params]), [['a', '2x6x6', 20], ['b', '2x8x8', 56]]);
});

test('`same` padding keeps the size at stride 1, also when dilated', () => {
  const a = analyze('input 3x17x17\nconv5-4 same\nconv3-4 same dilation3\nconv1-4 same\n');
  assert.deepEqual(codes(a), ['large-kernel']);
  assert.deepEqual(net(a).layers.map((l) => l.out?.join('x')), ['4x17x17', '4x17x17', '4x17x17']);
});

test('`auto relu` adds a ReLU after every conv and hidden fc, and they are listed as layers', () => {
  const a = analyze('input 3x8x8\nauto relu\nconv3-4 pad1\nmaxpool\nfc-16\nfc-10\n');
  const n = net(a);
  assert.deepEqual(n.layers.map((l) => l.decl.text), ['conv3-4 pad1', 'relu (auto)', 'maxpool', 'fc-16', 'relu (auto)', 'fc-10']);
  const b = analyze('input 3x8x8\nauto bn relu\nconv3-4 pad1 nobias\nconv3-4 pad1 noact\nfc-10\n');
  assert.deepEqual(net(b).layers.map((l) => l.decl.keyword), ['conv', 'bn', 'relu', 'conv', 'fc']);
  const c = analyze('input 3x8x8\nauto relu\nconv3-4\nauto none\nconv3-4\n');
  assert.deepEqual(net(c).layers.map((l) => l.decl.keyword), ['conv', 'relu', 'conv']);
});

test('blocks, repeat, xN and labels expand to the same layers as writing them out', () => {
  const long = analyze('input 3x32x32\nconv3-8 pad1\nconv3-8 pad1\nmaxpool\nconv3-8 pad1\nconv3-8 pad1\nmaxpool\nconv3-8 pad1\nconv3-8 pad1\nmaxpool\n');
  const short = analyze('block stage\n  conv3-8 pad1 x2\n  maxpool\nend\ninput 3x32x32\nstage\nrepeat 2\n  stage\nend\n');
  const label = analyze('input 3x32x32\nfirst: conv3-8 pad1\nstage x3\nblock stage\n conv3-8 pad1\nend\n');
  assert.deepEqual(problems(short), []);
  const fig = (a: ReturnType<typeof analyze>) => net(a).layers.map((l) => [l.out?.join('x'), l.params, l.macs, l.rf?.[0]]);
  assert.deepEqual(fig(short), fig(long));
  assert.equal(net(label).layers[0].decl.label, 'first');
  assert.equal(net(label).layers.length, 4);
  assert.deepEqual(codes(label), []);
});

test('`pad 1` with a space means pad1', () => {
  const a = analyze('input 3x8x8\nconv3-4 pad 1 stride 2\n');
  assert.deepEqual(codes(a), []);
  assert.equal(net(a).layers[0].out?.join('x'), '4x4x4');
});

test('a stray colon after the arguments loses only its own line', () => {
  for (const bad of ['conv3-64 pad1 : 7', 'a b : c', 'x: y: z', 'conv3-8 pad1 ::']) {
    const p = parse(`input 3x8x8\n${bad}\nconv3-4 pad1\n`);
    assert.ok(p.errors.length > 0, bad);
    const heads = p.statements.map((s) => s.head.text);
    assert.equal(heads[0], 'input', bad);
    assert.equal(heads[heads.length - 1], 'conv3-4', `${bad}: ${heads.join(' ')}`);
  }
});
