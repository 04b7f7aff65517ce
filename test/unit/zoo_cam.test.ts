/**
 * Class-activation maps of the zoo networks, through the real run worker (dist/worker.js, driven by the
 * extension's WorkerClient), against PyTorch: test/fixtures/torch/generate_cam.py runs torchvision's
 * resnet18, mobilenet_v2, densenet121 and googlenet with generate_weights.py's deterministic weights on
 * the same deterministic 3×224×224 input and records the top logits and Σ_c W[k, c]·A_c of the two best
 * classes, A being what the global average pool reads. Here the same weights go to the worker as a
 * safetensors file, the input as a .npy, and the CAM the worker sends in its 'done' message is compared
 * element by element. Build first (`node esbuild.js`; `npm test` does).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../server/src/analysis/analyze.js';
import { writeNpy, writeSafetensors } from '../../server/src/engine/index.js';
import { DEFAULT_BUDGET } from '../../server/src/run/budget.js';
import { WorkerClient } from '../../client/src/run/workerClient.js';
import { readRepo, repoPath } from '../helpers/core.js';
import { stream, zooWeights } from '../helpers/zooweights.js';

interface CamFixture {
  readonly input: number[];
  readonly classes: number;
  readonly models: Record<string, {
    readonly features: [number, number, number];
    readonly top: { index: number; logit: number }[];
    readonly cams: { index: number; map: number[] }[];
  }>;
}
const fixture = JSON.parse(readRepo('test/fixtures/torch/zoo_cam.json')) as CamFixture;
const weights = JSON.parse(readRepo('test/fixtures/torch/zoo_weights.json')) as { models: Record<string, { keys: [string, number[]][] }> };

/** The layer each network's CAM must weigh: its text and what it reads (the layer before the gap). */
const FEATURE: Record<string, { kind: string; reads: number }> = {
  resnet18: { kind: 'relu', reads: 1 },      // the ReLU after layer4.1's add
  mobilenet_v2: { kind: 'relu6', reads: 1 }, // features.18's ReLU6
  densenet121: { kind: 'relu', reads: 1 },   // F.relu after features.norm5
  googlenet: { kind: 'concat', reads: 4 },   // inception5b's concatenation of its four branches
};

/** Relative to the map's largest |value| (measured: 5e-7; float32 sums over 512–1280 channels differ in the last bits). */
const TOLERANCE = 1e-5;

const client = new WorkerClient(repoPath('dist/worker.js'));
after(() => client.dispose());

const n = fixture.input.reduce((a, b) => a * b, 1);
const inputNpy = writeNpy([...fixture.input], stream('input', n, (u) => 2 * u - 1));

for (const [name, ref] of Object.entries(fixture.models)) {
  test(`${name}: the worker's CAM of the two best classes equals PyTorch's, element by element`, async () => {
    const text = readRepo(`samples/zoo/${name}.cnn`);
    assert.match(text, new RegExp(`^input ${fixture.input.join('x')}\\b`, 'm'), 'the fixture is at the sample\'s own input size');
    const bytes = writeSafetensors(zooWeights(weights.models[name].keys));
    const o = await client.run({
      text, defaultName: name, image: { bytes: inputNpy, fileName: 'input.npy' }, weights: { bytes, fileName: `${name}.safetensors` },
      seed: 0, budget: { maxMacs: Infinity, maxMemoryBytes: Infinity }, camClasses: fixture.classes, maxSide: 8, threads: 2,
    });
    const cam = o.done.cam;
    assert.ok(cam, `${name} ends in gap + fc, so the run has a CAM`);

    // The layers: the feature layer is the one the gap reads, of the kind expected; fc is the last layer.
    const layers = analyze(text, name).networks[0].layers;
    assert.equal(layers[cam.gapLayer].decl.spec.kind, 'gap');
    assert.deepEqual([...layers[cam.gapLayer].inputs], [cam.featureLayer]);
    const feature = layers[cam.featureLayer];
    assert.equal(feature.decl.spec.kind, FEATURE[name].kind, `feature layer ${cam.featureLayer}: ${feature.decl.text}`);
    assert.equal(feature.inputs.length, FEATURE[name].reads);
    assert.deepEqual(feature.out, ref.features);
    assert.equal(cam.fcLayer, layers.length - 1);
    assert.deepEqual([cam.height, cam.width], ref.features.slice(1));

    // The top classes and their scores, then each map.
    assert.deepEqual(o.done.top.slice(0, ref.top.length).map((t) => t.index), ref.top.map((t) => t.index), 'top classes');
    const logitDiff = Math.max(...ref.top.map((t, i) => Math.abs(o.done.top[i].value - t.logit) / Math.max(1, Math.abs(t.logit))));
    assert.ok(logitDiff <= TOLERANCE, `top logits differ by ${logitDiff}`);
    assert.equal(cam.classes.length, ref.cams.length);
    ref.cams.forEach((want, c) => {
      const got = cam.classes[c];
      assert.equal(got.index, want.index, `class ${c}`);
      assert.equal(got.map.length, want.map.length);
      const scale = Math.max(...want.map.map(Math.abs));
      let worst = 0;
      let at = -1;
      want.map.forEach((v, i) => {
        const d = Math.abs(got.map[i] - v);
        if (d > worst) [worst, at] = [d, i];
      });
      process.stdout.write(`# ${name} class ${want.index}: max |CAM − PyTorch| ${worst.toExponential(2)} (max |CAM| ${scale.toPrecision(4)}) at ${at}\n`);
      assert.ok(worst <= TOLERANCE * scale, `${name} class ${want.index}: unit ${at} is ${got.map[at]}, PyTorch ${want.map[at]}`);
    });
  });
}
