/**
 * Module paths (language/paths.ts): the dotted PyTorch names the weights loader and the PyTorch exporter
 * share, on small cases of each part of the rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../server/src/analysis/analyze.js';
import { duplicatePaths, modulePaths } from '../../server/src/language/paths.js';
import { net } from '../helpers/core.js';

/** Each layer's "keyword path" (merges left out), for a snippet after `input 3x32x32`. */
function paths(body: string): string[] {
  const n = net(analyze(`input 3x32x32\n${body}`));
  const p = modulePaths(n.decl.layers);
  return n.decl.layers.flatMap((l, i) => (p[i] === undefined ? [] : [`${l.keyword} ${p[i]}`]));
}

test('an unlabelled chain is numbered as nn.Sequential numbers it, auto layers included', () => {
  assert.deepEqual(paths('auto relu\nconv3-8 pad1\nconv3-8 pad1\nmaxpool\nfc-10'),
    ['conv 0', 'relu 1', 'conv 2', 'relu 3', 'maxpool 4', 'fc 5']);
});

test("a labelled block use is a scope: VGG's features read features.0, features.2, …", () => {
  const body = 'auto relu\nblock vggfeatures\n  conv3-8 pad1\n  conv3-8 pad1\n  maxpool\nend\nfeatures: vggfeatures\nflatten\nclassifier.0: fc-10';
  assert.deepEqual(paths(body), ['conv features.0', 'relu features.1', 'conv features.2', 'relu features.3', 'maxpool features.4', 'flatten 1', 'fc classifier.0']);
});

test('labels compose into dotted paths, and labels may hold dots', () => {
  const body = [
    'block basic', '  residual', '    conv1: conv3-8 pad1 nobias', '    bn1: bn', '    relu', '  shortcut',
    '    downsample.0: conv1-8 nobias', '    downsample.1: bn', '  end', 'end',
    'conv1: conv3-8 pad1', 'layer2.0: basic', 'fc: fc-10',
  ].join('\n');
  assert.deepEqual(paths(body), [
    'conv conv1', 'conv layer2.0.conv1', 'bn layer2.0.bn1', 'relu layer2.0.2', 'conv layer2.0.downsample.0', 'bn layer2.0.downsample.1', 'fc fc',
  ]);
});

test('instances of a labelled repeat and copies of a labelled `NAME xN` are numbered from 0', () => {
  assert.deepEqual(paths('layer1: repeat 2\n  conv1: conv3-8 pad1\n  relu\nend'), ['conv layer1.0.conv1', 'relu layer1.0.1', 'conv layer1.1.conv1', 'relu layer1.1.1']);
  assert.deepEqual(paths('block b\n  conv3-8 pad1\n  c: conv3-8 pad1\nend\nstage: b x2\nb'), [
    'conv stage.0.0', 'conv stage.0.c', 'conv stage.1.0', 'conv stage.1.c', 'conv 1', 'conv c',
  ]);
  // A labelled repeat of one still numbers its instance; a labelled use without xN does not.
  assert.deepEqual(paths('s: repeat 1\n  conv3-8\nend'), ['conv s.0.0']);
  assert.deepEqual(paths('block b\n  conv3-8\nend\ns: b'), ['conv s.0']);
});

test('unlabelled constructs add no level; their layers are children of the enclosing scope', () => {
  const body = 'block b\n  conv3-8 pad1\n  residual\n    conv3-8 pad1\n    bn\n  end\n  relu\nend\nstage: b\nrepeat 2\n  conv3-8 pad1\nend';
  // The add is not a child: PyTorch writes it in forward.
  assert.deepEqual(paths(body), ['conv stage.0', 'conv stage.1', 'bn stage.2', 'relu stage.3', 'conv 1', 'conv 2']);
});

test('a labelled parallel is a scope; its branches add no level; scopes inside count once each', () => {
  const body = [
    'inc: parallel', '  branch', '    branch1.conv: conv1-8 nobias', '    branch1.bn: bn', '  branch',
    '    maxpool3 stride1 pad1', '    branch4.1.conv: conv1-8', 'end', 'conv1-4', 'x: repeat 2\n  conv3-4 pad1\nend', 'fc-10',
  ].join('\n');
  assert.deepEqual(paths(body), [
    'conv inc.branch1.conv', 'bn inc.branch1.bn', 'maxpool inc.2', 'conv inc.branch4.1.conv', 'conv 1', 'conv x.0.0', 'conv x.1.0', 'fc 3',
  ]);
});

test('a labelled `xN` layer numbers its copies below its label; unlabelled xN copies are separate children', () => {
  assert.deepEqual(paths('convs: conv3-8 pad1 x2\nconv3-8 pad1 x2'), ['conv convs.0', 'conv convs.1', 'conv 1', 'conv 2']);
});

test('duplicatePaths finds a labelled layer repeated by an unlabelled repeat', () => {
  const n = net(analyze('input 3x8x8\nrepeat 2\n  c: conv3-8 pad1\nend'));
  assert.deepEqual([...duplicatePaths(modulePaths(n.decl.layers))], [['c', [0, 1]]]);
});

test('weights load by module path whatever the names sort as, and fall back to the order rule', async () => {
  const { paramsFromSafetensors } = await import('../../server/src/engine/loadweights.js');
  const { writeSafetensors } = await import('../../server/src/engine/safetensors.js');
  const { planRun } = await import('../../server/src/run/plan.js');
  // 'z.conv' runs first but sorts last: by name it still gets its own tensors.
  const a = analyze('input 1x4x4\nz.conv: conv1-2 nobias\nresidual\n  a: conv1-2 nobias\nshortcut\n  b: conv1-2 nobias\nend');
  const plan = planRun(a);
  // The first conv reads 1 channel, the other two 2: weights (2, 1, 1, 1) and (2, 2, 1, 1), filled with v.
  const t = (name: string, v: number, cin = name.startsWith('z') ? 1 : 2) => ({ name, shape: [2, cin, 1, 1], data: new Float32Array(2 * cin).fill(v) });
  const names = { paths: plan.paths, lines: plan.lines };
  const load = (tensors: ReturnType<typeof t>[]) => paramsFromSafetensors(writeSafetensors(tensors), plan.inputShape, plan.layers, 'w', plan.inputs, names);
  const byName = load([t('a.weight', 2), t('b.weight', 3), t('z.conv.weight', 1)]);
  assert.deepEqual([byName[0].weight![0], byName[1].weight![0], byName[2].weight![0]], [1, 2, 3]);
  // Other names: their natural order goes to the layers in execution order (the body before the shortcut).
  const ordered = load([t('0.weight', 1, 1), t('1.weight', 2), t('2.weight', 3)]);
  assert.deepEqual([ordered[0].weight![0], ordered[1].weight![0], ordered[2].weight![0]], [1, 2, 3]);
  // Names that are partly paths ('0' is, '3' is not) but fit in order load in order.
  const seq = planRun(analyze('input 1x4x4\nconv1-2 nobias\nrelu\nconv1-2 nobias'));
  const w = (name: string, cin: number, v: number) => ({ name, shape: [2, cin, 1, 1], data: new Float32Array(2 * cin).fill(v) });
  const mixed = paramsFromSafetensors(writeSafetensors([w('0.weight', 1, 1), w('3.weight', 2, 2)]), seq.inputShape, seq.layers, 'w', seq.inputs, { paths: seq.paths });
  assert.deepEqual([mixed[0].weight![0], mixed[2].weight![0]], [1, 2]);
  // A shape mismatch names the layer, its line and path, the tensor and both shapes.
  assert.throws(() => load([t('a.weight', 2), t('b.weight', 3), t('z.conv.weight', 1, 2)]),
    /w: layer 0 \(conv, line 2, 'z\.conv'\): tensor 'z\.conv\.weight' has shape \[2, 2, 1, 1\], the layer needs \[2, 1, 1, 1\]/);
});
