/**
 * The branching samples (samples/zoo) against PyTorch: every layer's kind, shapes, parameters and MACs
 * equal torchvision's (or the common U-Net's) as recorded by forward hooks in execution order, the
 * totals equal the published ones, and the receptive field at each stage's end equals an autograd probe
 * through the real model (test/fixtures/torch/generate_zoo.py → zoo.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayerResult } from '../../server/src/analysis/analyze.js';
import { analyzeSample, net, problems, readRepo } from '../helpers/core.js';

interface TorchLayer { module: string; type: string; in: number[]; out: number[]; params: number; macs: number; eps?: number }
interface TorchRf { module: string; rf: number[]; jump: number[]; padding?: number[]; rf_min?: number[] }
interface TorchModel { input: number[]; num_params_meta: number | null; totals: { params: number; macs: number }; layers: TorchLayer[]; rf: TorchRf[] }

const zoo = JSON.parse(readRepo('test/fixtures/torch/zoo.json')) as { models: Record<string, TorchModel> };

/** PyTorch module types and the keyword of the .cnn line that makes the same layer. */
const KIND: Record<string, string> = {
  Conv2d: 'conv', ConvTranspose2d: 'deconv', BatchNorm2d: 'bn', ReLU: 'relu', ReLU6: 'relu6', MaxPool2d: 'maxpool', AvgPool2d: 'avgpool',
  AdaptiveAvgPool2d: 'gap', Flatten: 'flatten', Linear: 'fc', Dropout: 'dropout',
};

/** Our layers without the merges (adds and concatenations are not modules in PyTorch), in execution order. */
const modules = (layers: readonly LayerResult[]) => layers.filter((l) => !['add', 'concat', 'mul'].includes(l.decl.spec.kind));

const EXPECTED: Record<string, { params: number; macs?: number }> = {
  resnet18: { params: 11_689_512 }, resnet50: { params: 25_557_032, macs: 4_089_184_256 },
  mobilenet_v2: { params: 3_504_872, macs: 300_774_272 }, densenet121: { params: 7_978_856 }, googlenet: { params: 6_624_904 },
  unet: { params: 31_037_698 },
};

for (const [name, model] of Object.entries(zoo.models)) {
  test(`samples/zoo/${name}.cnn equals PyTorch layer by layer`, () => {
    const a = analyzeSample(`samples/zoo/${name}.cnn`);
    assert.deepEqual(problems(a).filter((c) => c !== 'dropped-pixels'), [], 'no errors or warnings (GoogLeNet\'s pools drop pixels, as in torchvision)');
    const n = net(a);
    assert.deepEqual(n.input, model.input);
    const ours = modules(n.layers);
    assert.equal(ours.length, model.layers.length, `${ours.length} layers here, ${model.layers.length} in PyTorch`);
    model.layers.forEach((t, i) => {
      const l = ours[i];
      const where = `${name} layer ${i} (${t.module}, line ${a.lines.position(l.decl.stmt.span.start).line + 1}: ${l.decl.text})`;
      assert.equal(l.decl.keyword === 'dwconv' ? 'conv' : l.decl.spec.kind, KIND[t.type], where);
      assert.deepEqual([l.in, l.out, l.params, l.macs], [t.in, t.out, t.params, t.macs], where);
      if (t.eps !== undefined) assert.equal(l.decl.spec.kind === 'bn' && l.decl.spec.eps, t.eps, where);
    });
    assert.deepEqual([n.totals.params, n.totals.macs], [model.totals.params, model.totals.macs]);
    assert.equal(n.totals.params, EXPECTED[name].params, 'the published count');
    if (EXPECTED[name].macs) assert.equal(n.totals.macs, EXPECTED[name].macs);
    if (model.num_params_meta !== null) assert.equal(n.totals.params, model.num_params_meta, "torchvision's weights meta");
  });

  test(`samples/zoo/${name}.cnn: receptive fields at each stage's end equal the autograd probe`, () => {
    const n = net(analyzeSample(`samples/zoo/${name}.cnn`));
    const ours = modules(n.layers);
    let checked = 0;
    for (const r of model.rf) {
      // The stage's output is the output of the last module whose path lies in it (a merge after it has its field).
      const last = model.layers.map((t, i) => (t.module === r.module || t.module.startsWith(`${r.module}.`) ? i : -1)).filter((i) => i >= 0).pop();
      assert.ok(last !== undefined, `${name}: no module of ${r.module}`);
      let l = ours[last];
      // A merge that reads this layer and closes the stage (a residual's add) carries the stage's field.
      const after = n.layers.slice(l.index + 1).find((m) => m.inputs.includes(l.index));
      if (after && ['add', 'concat', 'mul'].includes(after.decl.spec.kind) && (ours[last + 1] === undefined || ours[last + 1].index > after.index)) l = after;
      if (r.padding) {
        assert.deepEqual([l.rf, l.jump, l.padding], [r.rf, r.jump, r.padding], `${name} ${r.module}`);
        assert.ok(!l.approximateField, `${name} ${r.module} is exact`);
      } else {
        // U-Net's decoder after transposed convs: the probe finds a field that varies with the pixel; ours is marked approximate and lies in the measured range.
        assert.ok(l.approximateField, `${name} ${r.module} should be marked approximate`);
        assert.ok(l.rf![0] >= r.rf_min![0] && l.rf![0] <= r.rf[0], `${name} ${r.module}: ${l.rf} outside [${r.rf_min}, ${r.rf}]`);
      }
      checked++;
    }
    assert.ok(checked >= 5, `${name}: ${checked} stages checked`);
  });
}

test('the issue\'s receptive fields: resnet18 layer4 435, resnet50 427, mobilenet_v2 491, googlenet 379', () => {
  const rf = (name: string, module: string) => zoo.models[name].rf.find((r) => r.module === module)!.rf[0];
  assert.deepEqual([rf('resnet18', 'layer4'), rf('resnet50', 'layer4'), rf('mobilenet_v2', 'features.18'), rf('googlenet', 'inception5b')], [435, 427, 491, 379]);
});
