/**
 * PyTorch export (interop/pytorch.ts) against PyTorch itself: for the samples (vgg16, alexnet, every
 * lecture network that runs, the zoo), the exported .py imports, build()'s parameter count equals ours,
 * its state_dict keys are our module paths (for the zoo: torchvision's keys), the exported safetensors
 * loads with load_state_dict(strict=True), and its output equals our engine's. One python3 process checks
 * all of them (test/fixtures/torch/check_export.py). Big networks run at 3×64×64 to stay fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../server/src/analysis/analyze.js';
import { createSimdBackend, forward, tensor } from '../../server/src/engine/index.js';
import { pytorchFiles } from '../../server/src/exportPytorch.js';
import { modulePaths } from '../../server/src/language/paths.js';
import { planRun } from '../../server/src/run/plan.js';
import { loadParams } from '../../server/src/run/load.js';
import { readRepo, repoPath } from '../helpers/core.js';
import { stream } from '../helpers/zooweights.js';

const PYTHON = '/usr/bin/python3';
const TOLERANCE = 1e-4;
/** The WebAssembly SIMD kernels where the runtime has them (as `cnnlab run` uses), else the TypeScript ones. */
const simd = createSimdBackend({ threads: 1 }).then((b) => b ?? undefined);
const zooKeys = (JSON.parse(readRepo('test/fixtures/torch/zoo_weights.json')) as { models: Record<string, { keys: [string, number[]][] }> }).models;

/** Samples to export, with the input size they run at (undefined: the file's own). */
const SAMPLES: { file: string; input?: string }[] = [
  { file: 'samples/vgg16.cnn', input: '3x64x64' },
  { file: 'samples/alexnet.cnn', input: '3x64x64' },
  ...readdirSync(repoPath('samples/lecture')).filter((f) => f.endsWith('.cnn')).sort().map((f) => ({ file: `samples/lecture/${f}` })),
  ...readdirSync(repoPath('samples/zoo')).filter((f) => f.endsWith('.cnn') && f !== 'compare.cnn').sort().map((f) => ({ file: `samples/zoo/${f}`, input: '3x64x64' })),
];

interface Result { name: string; params?: number; keys?: string[]; out_shape?: number[]; max_abs?: number; max_rel?: number; error?: string }

test('PyTorch exports import, have our parameters and module paths, load their weights strictly and compute our outputs', async (t) => {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  assert.equal(probe.status, 0, `${PYTHON} cannot import torch and numpy (install python3-torch python3-torchvision: .ci/run does): ${probe.stderr ?? probe.error}`);
  const dir = mkdtempSync(join(tmpdir(), 'cnnlab-export-'));
  const manifest: object[] = [];
  const expected = new Map<string, { params: number; keys: string[]; out: number[]; zoo?: string }>();
  for (const s of SAMPLES) {
    let text = readRepo(s.file);
    if (s.input) text = text.replace(/^input .*$/m, `input ${s.input}`);
    const a = analyze(text, s.file.replace(/^.*\/|\.cnn$/g, ''));
    for (const net of a.networks) {
      let plan;
      try {
        plan = planRun(a, net.name, undefined, 'last');
      } catch {
        continue; // a lecture network that does not run (its point is the error)
      }
      const name = `${s.file.replace(/^.*\/|\.cnn$/g, '')}-${net.name}`;
      const files = pytorchFiles(a, s.file, { network: net.name, seed: 7 });
      const py = join(dir, `${name.replace(/[^A-Za-z0-9_]/g, '_')}.py`);
      writeFileSync(py, files.source);
      writeFileSync(py.replace(/\.py$/, '.safetensors'), files.weights!);
      const n = plan.inputShape.reduce((x, y) => x * y, 1);
      const input = tensor([...plan.inputShape], stream(`input-${name}`, n, (u) => 2 * u - 1));
      const params = loadParams(plan, undefined, 7);
      const [out] = await forward(input, plan.layers, params, { inputs: plan.inputs, keep: 'last', backend: await simd });
      writeFileSync(py.replace(/\.py$/, '.in'), new Uint8Array(input.data.buffer));
      writeFileSync(py.replace(/\.py$/, '.out'), new Uint8Array(out.data.buffer));
      manifest.push({ name, py, weights: py.replace(/\.py$/, '.safetensors'), input: py.replace(/\.py$/, '.in'), output: py.replace(/\.py$/, '.out'), shape: plan.inputShape });
      const paths = modulePaths(net.decl.layers);
      const keys: string[] = [];
      net.layers.forEach((l, i) => {
        if (!l.params) return;
        const sp = l.decl.spec;
        keys.push(`${paths[i]}.weight`);
        if (sp.kind === 'bn' || ((sp.kind === 'conv' || sp.kind === 'deconv' || sp.kind === 'fc') && sp.bias)) keys.push(`${paths[i]}.bias`);
        if (sp.kind === 'bn') keys.push(`${paths[i]}.running_mean`, `${paths[i]}.running_var`, `${paths[i]}.num_batches_tracked`);
      });
      expected.set(name, { params: net.totals.params, keys, out: [...out.shape], zoo: s.file.startsWith('samples/zoo/') ? s.file.replace(/^.*\/|\.cnn$/g, '') : undefined });
    }
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const started = performance.now();
  const run = spawnSync(PYTHON, [repoPath('test/fixtures/torch/check_export.py'), join(dir, 'manifest.json')], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(run.status, 0, run.stderr);
  const results = JSON.parse(run.stdout) as Result[];
  t.diagnostic(`${results.length} exports checked in PyTorch in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(results.length, expected.size);
  let worst = 0;
  for (const r of results) {
    const e = expected.get(r.name)!;
    assert.equal(r.error, undefined, `${r.name}: ${r.error}`);
    assert.equal(r.params, e.params, `${r.name}: parameters`);
    assert.deepEqual([...r.keys!].sort(), [...e.keys].sort(), `${r.name}: state_dict keys are our module paths`);
    if (e.zoo) {
      const tv = zooKeys[e.zoo].keys.map(([k]) => k).sort();
      assert.deepEqual(r.keys!.filter((k) => !k.endsWith('num_batches_tracked')).sort(), tv, `${r.name}: torchvision's keys`);
    }
    assert.deepEqual(r.out_shape, e.out, `${r.name}: output shape`);
    assert.ok(r.max_rel! <= TOLERANCE, `${r.name}: output differs by ${r.max_abs} (relative ${r.max_rel})`);
    worst = Math.max(worst, r.max_rel!);
    t.diagnostic(`${r.name}: max |ours − torch| ${r.max_abs!.toExponential(2)} (relative to max |y| ${r.max_rel!.toExponential(2)})`);
  }
  t.diagnostic(`worst relative difference ${worst.toExponential(2)}`);
});
