/**
 * samples/trained: the shapes network with its trained weights classifies the committed pictures as
 * PyTorch does (logits from train.py's expected.json), and the class-activation map the worker computes
 * is brightest on the shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath, readRepo } from '../helpers/core.js';
import { classActivationMap, findCamLayers } from '../../server/src/run/display.js';
import { readNpy } from '../../server/src/engine/npy.js';
import { parseSafetensors } from '../../server/src/engine/safetensors.js';

interface Expected {
  readonly classes: string[];
  readonly pictures: Record<string, { centre: [number, number]; radius: number; logits: number[] }>;
}
const expected = JSON.parse(readRepo('samples/trained/expected.json')) as Expected;

function cnnlab(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [repoPath('dist/cli.js'), ...args], { cwd: repoPath('.'), encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The `--top K` lines of `cnnlab run` (`   index  value`, largest first). */
function topLines(out: string): { index: number; value: number }[] {
  return [...out.matchAll(/^\s+(\d+)\s+(-?[\d.]+(?:e[+-]?\d+)?)$/gm)].map((m) => ({ index: Number(m[1]), value: Number(m[2]) }));
}

for (const kind of Object.keys(expected.pictures)) {
  test(`shapes.cnn with its weights calls ${kind}.png a ${kind}, with PyTorch's logits`, () => {
    const r = cnnlab('run', 'samples/trained/shapes.cnn', '--input', `samples/trained/${kind}.png`, '--weights', 'samples/trained/shapes.safetensors', '--top', '4');
    assert.equal(r.code, 0, r.err);
    const top = topLines(r.out);
    assert.equal(top.length, 4, r.out);
    assert.equal(expected.classes[top[0].index], kind, r.out);
    const torch = expected.pictures[kind].logits;
    const diff = Math.max(...top.map((t) => Math.abs(t.value - torch[t.index])));
    assert.ok(diff < 1e-3, `max |CNN Lab − PyTorch| = ${diff}: ${r.out} vs ${torch}`);
  });
}

test('the class-activation map of circle.png, computed as the worker does, is brightest inside the circle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlab-trained-'));
  const r = cnnlab('run', 'samples/trained/shapes.cnn', '--input', 'samples/trained/circle.png', '--weights', 'samples/trained/shapes.safetensors', '--dump', dir);
  assert.equal(r.code, 0, r.err);
  const summary = cnnlab('summary', 'samples/trained/shapes.cnn', '--json');
  const layers = (JSON.parse(summary.out) as { networks: { layers: { kind: string; inputs: number[] }[] }[] }).networks[0].layers;
  const cam = findCamLayers(layers.map((l) => l.kind), layers.map((l) => l.inputs));
  assert.ok(cam, 'shapes.cnn ends in gap + fc');
  const files = readdirSync(dir).sort();
  const features = readNpy(readFileSync(join(dir, files[cam.feature])));
  const logits = readNpy(readFileSync(join(dir, files[cam.fc]))).data;
  const fc = parseSafetensors(readFileSync(repoPath('samples/trained/shapes.safetensors'))).find((t) => t.name === 'fc.weight');
  assert.ok(fc?.data, 'the weights have fc.weight');
  const [c, h, w] = features.shape;
  const k = logits.indexOf(Math.max(...logits));
  assert.equal(expected.classes[k], 'circle');
  const map = classActivationMap(features.data, c, h * w, fc.data, k);
  const best = map.indexOf(Math.max(...map));
  // Unit (y, x) of the h×w map covers input pixels [y·s, (y+1)·s) with s = 64 / h.
  const s = 64 / h;
  const [cx, cy] = expected.pictures.circle.centre;
  const { radius } = expected.pictures.circle;
  const [uy, ux] = [(Math.floor(best / w) + 0.5) * s, ((best % w) + 0.5) * s];
  const dist = Math.hypot(ux - cx, uy - cy);
  assert.ok(dist <= radius, `the CAM's brightest unit (${ux}, ${uy}) is ${dist.toFixed(1)} px from the circle's centre (${cx}, ${cy}), radius ${radius}`);
});
