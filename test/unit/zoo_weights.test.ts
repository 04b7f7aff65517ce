/**
 * torchvision's state_dicts load into the zoo samples by name, and run to PyTorch's numbers.
 * test/fixtures/torch/generate_weights.py records, per model, the state_dict's keys and shapes and
 * fingerprints of every layer's output with deterministic weights at 3×64×64; here the same weights
 * are made (test/helpers/zooweights.ts), written as a safetensors file under torchvision's keys, loaded
 * through the real loader and run through the engine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../server/src/analysis/analyze.js';
import { modulePaths } from '../../server/src/language/paths.js';
import { createSimdBackend, layerParamShapes, forward, tensor, writeSafetensors } from '../../server/src/engine/index.js';
import { planRun, type RunPlan } from '../../server/src/run/plan.js';
import { loadParams } from '../../server/src/run/load.js';
import type { LayerSpec } from '../../server/src/language/types.js';
import { readRepo } from '../helpers/core.js';
import { fingerprintDiff, stream, zooWeights, type Fingerprint } from '../helpers/zooweights.js';

interface Model { keys: [string, number[]][]; layers: Fingerprint[] }
const fixture = JSON.parse(readRepo('test/fixtures/torch/zoo_weights.json')) as { input: number[]; models: Record<string, Model> };
const TOLERANCE = 1e-4;
/** The WebAssembly SIMD kernels where the runtime has them (as `cnnlab run` uses), else the TypeScript ones. */
const simd = createSimdBackend({ threads: 1 }).then((b) => b ?? undefined);

/** The sample analysed at the fixture's reduced input size. */
function plan(name: string, edit: (text: string) => string = (t) => t): RunPlan {
  const text = edit(readRepo(`samples/zoo/${name}.cnn`)).replace(/^input .*$/m, `input ${fixture.input.join('x')}`);
  return planRun(analyze(text, name), undefined, undefined, 'all');
}

/** Our state_dict: module path + suffix → shape, for every layer with parameters. */
function ourKeys(p: RunPlan): Map<string, number[]> {
  const keys = new Map<string, number[]>();
  p.network.layers.forEach((l, i) => {
    const shapes = layerParamShapes(p.layers[i] as LayerSpec, l.in ?? []);
    for (const [key, torch] of [['weight', 'weight'], ['bias', 'bias'], ['runningMean', 'running_mean'], ['runningVar', 'running_var']] as const) {
      if (shapes[key]) keys.set(`${p.paths[i]}.${torch}`, [...shapes[key]!]);
    }
  });
  return keys;
}

/** Runs the sample with the generator's weights (optionally renamed) and returns the worst layer's difference. */
async function worst(name: string, p: RunPlan, rename: (k: string) => string = (k) => k): Promise<{ diff: number; at: string }> {
  const m = fixture.models[name];
  const bytes = writeSafetensors(zooWeights(m.keys).map((t) => ({ ...t, name: rename(t.name) })));
  const params = loadParams(p, { bytes, fileName: `${name}.safetensors` });
  const n = fixture.input.reduce((a, b) => a * b, 1);
  const input = tensor([...fixture.input], stream('input', n, (u) => 2 * u - 1));
  const outs = await forward(input, p.layers, params, { inputs: p.inputs, keep: 'all', backend: await simd });
  const ours = outs.filter((_, i) => !['add', 'concat', 'mul'].includes(p.layers[i].kind));
  assert.equal(ours.length, m.layers.length, `${ours.length} layers here, ${m.layers.length} in PyTorch`);
  let diff = 0;
  let at = '';
  m.layers.forEach((f, i) => {
    assert.deepEqual(ours[i].shape, f.shape, `${name} layer ${i} (${f.module})`);
    const d = fingerprintDiff(ours[i].data, f);
    if (d > diff) [diff, at] = [d, `layer ${i} (${f.module})`];
  });
  return { diff, at };
}

for (const name of Object.keys(fixture.models)) {
  test(`samples/zoo/${name}.cnn: module paths equal the state_dict keys of PyTorch's model, with the same shapes`, () => {
    const ours = ourKeys(plan(name));
    const theirs = new Map(fixture.models[name].keys);
    assert.deepEqual([...ours.keys()].filter((k) => !theirs.has(k)), [], 'paths PyTorch does not have');
    assert.deepEqual([...theirs.keys()].filter((k) => !ours.has(k)), [], 'keys we have no path for');
    for (const [k, s] of theirs) assert.deepEqual(ours.get(k), s, k);
  });

  test(`samples/zoo/${name}.cnn: PyTorch's weights load by name and every layer's output matches PyTorch's`, async () => {
    const { diff, at } = await worst(name, plan(name));
    process.stdout.write(`# ${name}: max relative difference ${diff.toExponential(2)} at ${at}\n`);
    assert.ok(diff <= TOLERANCE, `${name}: ${diff} at ${at}`);
  });
}

test('the fingerprints catch a swapped name and a wrong eps', async () => {
  // Two batch norms of the same shape, swapped: loads (the shapes fit) but computes something else.
  const swap = (k: string) => k.replace('layer1.0.bn1.', '@').replace('layer1.0.bn2.', 'layer1.0.bn1.').replace('@', 'layer1.0.bn2.');
  assert.ok((await worst('resnet18', plan('resnet18'), swap)).diff > 1e-3);
  const eps = await worst('resnet18', plan('resnet18', (t) => t.replace('bn1: bn\n', 'bn1: bn eps0.001\n')));
  assert.ok(eps.diff > TOLERANCE, `eps 1e-3: ${eps.diff}`);
});

test('a name that matches no layer is reported with the layer, its line and the names', () => {
  const p = plan('resnet18');
  const bytes = writeSafetensors(zooWeights(fixture.models.resnet18.keys).map((t) => ({ ...t, name: t.name.replace('layer2.0.downsample.0.', 'layer2.0.shortcut.0.') })));
  assert.throws(() => loadParams(p, { bytes, fileName: 'r.safetensors' }),
    /r\.safetensors: .*no layer has the path of 'layer2\.0\.shortcut\.0' \(weight\); no tensors for layer \d+ \(conv, line \d+, 'layer2\.0\.downsample\.0'\)/);
});

test('modulePaths of the samples are distinct for the layers with parameters', () => {
  for (const name of Object.keys(fixture.models)) {
    const p = plan(name);
    const seen = new Set<string>();
    modulePaths(p.network.decl.layers).forEach((path, i) => {
      if (path === undefined || !['conv', 'deconv', 'fc', 'bn'].includes(p.layers[i].kind)) return;
      assert.ok(!seen.has(path), `${name}: ${path} twice`);
      seen.add(path);
    });
  }
});
