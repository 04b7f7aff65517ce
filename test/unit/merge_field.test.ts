/**
 * A merge layer's receptive field in the panel: the LayerView the panel gets for every add and concat
 * of the zoo samples carries the field the analysis reports, which is the largest path's (all paths of
 * these torchvision nets are centred on the same pixel, so it is also the union of the paths' fields);
 * the box a click on one of its units draws (receptiveFieldBox) is that path's box, and at each stage
 * that ends in a merge it is the box PyTorch's autograd probe measured (test/fixtures/torch/zoo.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRun } from '../../client/src/run/model.js';
import type { LayerView } from '../../client/src/run/messages.js';
import { layerViews, networkKernels, networkTable } from '../../server/src/run/describe.js';
import { receptiveFieldBox, type FieldGeometry } from '../../server/src/run/display.js';
import { analyzeSample, net, readRepo } from '../helpers/core.js';

interface TorchRf { module: string; rf: [number, number]; jump: [number, number]; padding?: [number, number] }
const zoo = JSON.parse(readRepo('test/fixtures/torch/zoo.json')) as { models: Record<string, { layers: { module: string }[]; rf: TorchRf[] }> };

const MERGES = ['add', 'concat'];

/** The panel's view of a sample's layers: what the worker's 'started' carries (describe.ts), through startRun. */
function panelLayers(name: string) {
  const a = analyzeSample(`samples/zoo/${name}.cnn`);
  const n = net(a);
  const ctx = { runId: 1, origin: { uri: `file:///${name}.cnn`, network: n.name, image: 'file:///i.png', seed: 0 }, sourceName: `${name}.cnn`, imageName: 'i.png' };
  const started = {
    type: 'started' as const, id: 1, network: n.name, layers: layerViews(a, n), table: networkTable(a, n), kernels: networkKernels(n), inputShape: [...n.input!], macs: 1, memoryBytes: 1,
    backend: 'typescript' as const, paramsCached: false, loadMs: 1, input: { width: 224, height: 224, rgba: new Uint8ClampedArray(224 * 224 * 4) },
  };
  return { n, views: startRun(ctx, started).view.layers };
}

/** The box of unit (y, x) for a field measured by the probe: rows [y·jump − padding, … + rf). */
function probeBox(r: { rf: readonly number[]; jump: readonly number[]; padding: readonly number[] }, y: number, x: number) {
  return { y0: y * r.jump[0] - r.padding[0], x0: x * r.jump[1] - r.padding[1], y1: y * r.jump[0] - r.padding[0] + r.rf[0], x1: x * r.jump[1] - r.padding[1] + r.rf[1] };
}

const corners = ({ y0, x0, y1, x1 }: { y0: number; x0: number; y1: number; x1: number }) => ({ y0, x0, y1, x1 });

for (const [name, expected] of [['resnet18', { add: 8 }], ['resnet50', { add: 16 }], ['googlenet', { concat: 9 }], ['densenet121', { concat: 58 }]] as const) {
  test(`${name}: every merge's LayerView has the analysis' field, the largest path's, and its unit's box is that path's box`, () => {
    const { n, views } = panelLayers(name);
    const merges = views.filter((v) => MERGES.includes(v.kind));
    assert.deepEqual(Object.fromEntries(MERGES.map((k) => [k, merges.filter((m) => m.kind === k).length]).filter(([, c]) => c)), expected);
    for (const v of merges) {
      const l = n.layers[v.index];
      assert.ok(v.field, `${name} layer ${v.index} (${v.text}) has no field in the panel`);
      assert.deepEqual(v.field, { rf: l.rf, jump: l.jump, padding: l.padding, approximate: false }, `${name} layer ${v.index}`);
      // The paths, by their last layers' fields: the merge keeps the one with the largest rf, and
      // (padding max(P_k), rf max(r_k − P_k) + padding, the union of the paths' fields) it is the same.
      const paths = v.inputs.map((i) => views[i].field!);
      const widest = paths.reduce((a, b) => (b.rf[0] > a.rf[0] ? b : a));
      assert.deepEqual([v.field.rf, v.field.jump, v.field.padding], [widest.rf, widest.jump, widest.padding], `${name} layer ${v.index}`);
      for (const axis of [0, 1]) {
        const padding = Math.max(...paths.map((p) => p.padding[axis]));
        assert.equal(v.field.padding[axis], padding);
        assert.equal(v.field.rf[axis], Math.max(...paths.map((p) => p.rf[axis] - p.padding[axis])) + padding);
      }
      // A click on a unit near the middle of the map draws the widest path's box, which holds every path's box.
      const [, h, w] = v.shape;
      const [uy, ux] = [Math.floor(h / 2), Math.floor(w / 3)];
      const box = receptiveFieldBox(v.field, uy, ux, 224, 224);
      assert.deepEqual(corners(box), probeBox(widest, uy, ux));
      for (const p of paths) {
        const b = receptiveFieldBox(p, uy, ux, 224, 224);
        assert.ok(b.y0 >= box.y0 && b.x0 >= box.x0 && b.y1 <= box.y1 && b.x1 <= box.x1, `${name} layer ${v.index}: a path's box ${JSON.stringify(corners(b))} sticks out of ${JSON.stringify(corners(box))}`);
      }
    }
  });

  test(`${name}: at each stage that ends in a merge, the box of a clicked unit is the one PyTorch's probe measured`, () => {
    const { views } = panelLayers(name);
    const model = zoo.models[name];
    const modules = views.filter((v) => !['add', 'concat', 'mul'].includes(v.kind));
    let checked = 0;
    for (const r of model.rf) {
      if (!r.padding) continue;
      // The stage's last module (as zoo.test.ts finds it); a ReLU after a residual's add has the add's field.
      const last = model.layers.map((t, i) => (t.module === r.module || t.module.startsWith(`${r.module}.`) ? i : -1)).filter((i) => i >= 0).pop()!;
      let v: LayerView = modules[last];
      const after = views.slice(v.index + 1).find((m) => m.inputs.includes(v.index));
      if (after && MERGES.includes(after.kind) && (modules[last + 1] === undefined || modules[last + 1].index > after.index)) v = after;
      else if (v.kind === 'relu' && MERGES.includes(views[v.inputs[0]].kind)) v = views[v.inputs[0]];
      if (!MERGES.includes(v.kind)) continue;
      const [, h, w] = v.shape;
      for (const [uy, ux] of [[0, 0], [Math.floor(h / 2), Math.floor(w / 3)], [h - 1, w - 1]]) {
        assert.deepEqual(corners(receptiveFieldBox(v.field as FieldGeometry, uy, ux, 224, 224)), probeBox(r as Required<TorchRf>, uy, ux),
          `${name} ${r.module} (layer ${v.index}, ${v.text}) unit (${uy}, ${ux})`);
      }
      checked++;
    }
    const stages: Record<string, number> = { resnet18: 4, resnet50: 4, googlenet: 9, densenet121: 4 };
    assert.equal(checked, stages[name], `${name}: stages ending in a merge`);
  });
}

test('resnet18 layer1.1\'s add (43/4/21 by the probe): unit (10, 20) sees rows 19..61 and columns 59..101 of the 224×224 input', () => {
  const { views } = panelLayers('resnet18');
  const adds = views.filter((v) => v.kind === 'add');
  const b = receptiveFieldBox(adds[1].field!, 10, 20, 224, 224);
  assert.deepEqual([b.y0, b.x0, b.y1, b.x1, b.height, b.width, b.coversPadding], [19, 59, 62, 102, 43, 43, false]);
});
