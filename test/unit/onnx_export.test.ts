/**
 * ONNX export against two independent readers: onnxruntime runs the export of every runnable network of
 * the samples (samples/, samples/lecture/, samples/zoo/ when present) and of the branching test networks,
 * and its output must match the engine's (the run plan, He-initialised weights) within 1e-4 of the
 * largest value; python3-onnx's checker (full_check: types and shape inference against value_info)
 * accepts every file. Then the round trip: importing the export gives the same layers (kind, shape,
 * parameters, MACs) and, run by the engine with the imported weights, the same output.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { analyze, type Analysis } from '../../server/src/analysis/analyze.js';
import { networkSummary } from '../../server/src/analysis/summary.js';
import { bufferPool, createSimdBackend, paramsFromTensors, forward, tensor, type ConvBackend } from '../../server/src/engine/index.js';
import { decodeModel } from '../../server/src/interop/onnxProto.js';
import { exportModel, exportOnnx, nodeNames } from '../../server/src/interop/onnxExport.js';
import { importOnnx } from '../../server/src/interop/onnxImport.js';
import { planRun, type RunPlan } from '../../server/src/run/plan.js';
import { loadParams } from '../../server/src/run/load.js';
import { checkTensor, maxAbs } from '../helpers/tensors.js';
import { randomArray, rng } from '../helpers/random.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * Each value within 1e-4 of itself, and within 1e-5 of the output's largest value where it is near zero:
 * onnxruntime sums in other orders, and random deep networks cancel large terms (worst seen 5.6e-6 of the largest).
 */
const tolOf = (ref: ArrayLike<number>) => ({ rtol: 1e-4, atol: 1e-5 * maxAbs(ref) });
const PYTHON = '/usr/bin/python3';

/** Every .cnn file the export must handle. */
function sampleFiles(): string[] {
  const dirs = ['samples', 'samples/lecture', 'samples/zoo', 'test/fixtures/engine/graphs'];
  return dirs.flatMap((d) => {
    const dir = join(ROOT, d);
    // samples/zoo/compare.cnn repeats three zoo files in one (for `cnnlab compare`): exported once, as themselves.
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cnn') && f !== 'compare.cnn').sort().map((f) => join(d, f)) : [];
  });
}

interface Case { readonly file: string; readonly a: Analysis; readonly plan: RunPlan }

/** Every network that plans (the ones with errors, such as mistakes.cnn's, cannot run and are not exported). */
function cases(): { runnable: Case[]; skipped: string[] } {
  const runnable: Case[] = [];
  const skipped: string[] = [];
  for (const file of sampleFiles()) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const a = analyze(text, basename(file, '.cnn'));
    for (const n of a.networks) {
      if (!n.layers.length) {
        skipped.push(`${file} ${n.name}: no layers`);
        continue;
      }
      try {
        runnable.push({ file, a, plan: planRun(a, n.name, { maxMacs: Infinity, maxMemoryBytes: Infinity }, 'last') });
      } catch (e) {
        skipped.push(`${file} ${n.name}: ${(e as Error).message.slice(0, 80)}`);
      }
    }
  }
  return { runnable, skipped };
}

const { runnable, skipped } = cases();
const dir = mkdtempSync(join(tmpdir(), 'cnnlab-onnx-'));
const written: string[] = [];
const worst: string[] = [];
let backend: ConvBackend | null = null;

before(async () => {
  backend = await createSimdBackend();
});
after(() => {
  console.log(`max relative difference onnxruntime vs engine per network:\n${worst.join('\n')}`);
  console.log(`not runnable, so not exported:\n  ${skipped.join('\n  ')}`);
  rmSync(dir, { recursive: true, force: true });
});

describe('export → onnxruntime equals the engine', () => {
  it('finds the samples and the branching networks', () => {
    assert.ok(runnable.length >= 25, `only ${runnable.length} runnable networks`);
    assert.ok(runnable.some((c) => c.plan.network.decl.branching), 'no branching network');
  });
  runnable.forEach((c, k) => {
    const id = `${c.file} ${c.plan.network.name}`;
    it(id, async () => {
      const params = loadParams(c.plan, undefined, 7);
      // Every other export writes the batch axis as "N", as torch.onnx.export does with dynamic_axes.
      const dynamicBatch = k % 2 === 1;
      const bytes = exportOnnx(c.a, c.plan, params, { dynamicBatch, producerVersion: 'test' });
      const file = join(dir, `${String(k).padStart(2, '0')}-${c.plan.network.name}.onnx`);
      writeFileSync(file, bytes);
      written.push(file);

      const x = randomArray(c.plan.inputShape.reduce((p, q) => p * q, 1), rng(k + 1));
      const ours = (await forward(tensor([...c.plan.inputShape], x), c.plan.layers, params, {
        inputs: c.plan.inputs, keep: 'last', backend: backend ?? undefined, ...bufferPool(),
      }))[0];
      const session = await ort.InferenceSession.create(bytes);
      const result = await session.run({ input: new ort.Tensor('float32', x, [1, ...c.plan.inputShape]) });
      const theirs = result[session.outputNames[0]];
      assert.deepEqual([...theirs.dims], [1, ...ours.shape], `${id}: output shape`);
      const rel = checkTensor(id, theirs.data as Float32Array, ours.data, tolOf(ours.data), false);
      worst.push(`  ${id.padEnd(58)} ${rel.toExponential(2)}`);
      await session.release();

      // The model says what the text says: one input, value_info for every layer but the last, named nodes.
      const m = decodeModel(bytes);
      assert.equal(m.irVersion, 7);
      assert.deepEqual(m.opsetImport.map((o) => o.version), [14]);
      assert.equal(m.graph.valueInfo!.length, c.plan.layers.length - 1);
      const names = nodeNames(c.a, c.plan.network);
      assert.equal(new Set(names).size, names.length, 'node names are unique');
      for (const n of names) assert.ok(m.graph.node.some((nd) => nd.name === n), `${id}: no node named ${n}`);

      // Round trip: the import gives the same layers, and with its weights the same output.
      if (c.plan.macs > 2e9) return; // VGG-size networks: the run above is enough.
      const back = importOnnx(bytes, { name: c.plan.network.name });
      assert.deepEqual(back.problems, [], `${id}: import problems`);
      const b = analyze(back.text, c.plan.network.name);
      const strip = (a: Analysis) => networkSummary(a, a.networks[0]).layers.map((l) => ({ kind: l.kind, out: l.out, params: l.params, macs: l.macs }));
      assert.deepEqual(strip(b), networkSummary(c.a, c.plan.network).layers.map((l) => ({ kind: l.kind, out: l.out, params: l.params, macs: l.macs })), `${id}: summary after import\n${back.text}`);
      const bp = planRun(b, undefined, undefined, 'last');
      const bParams = paramsFromTensors(back.tensors.map((t) => ({ name: t.name, dtype: 'F32', shape: [...t.shape], data: t.data })), bp.inputShape, bp.layers, 'import', bp.inputs);
      const again = (await forward(tensor([...bp.inputShape], x), bp.layers, bParams, { inputs: bp.inputs, keep: 'last' }))[0];
      checkTensor(`${id} after import`, again.data, ours.data, tolOf(ours.data), false);
    });
  });
});

describe('python3-onnx accepts every export', () => {
  it('onnx.checker.check_model(full_check=True)', () => {
    assert.ok(written.length > 0, 'no exports to check (the export tests did not run)');
    const probe = spawnSync(PYTHON, ['-c', 'import onnx; print(onnx.__version__)'], { encoding: 'utf8' });
    assert.equal(probe.status, 0, `${PYTHON} cannot import onnx (${(probe.stderr || probe.error?.message || '').trim()}): install the Debian package python3-onnx (.ci/run does)`);
    const script = [
      'import sys, onnx',
      'for f in sys.argv[1:]:',
      '    m = onnx.load(f)',
      '    onnx.checker.check_model(m, full_check=True)',
      '    print("ok", f)',
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', script, ...written], { encoding: 'utf8', maxBuffer: 1 << 24 });
    assert.equal(r.status, 0, `onnx ${probe.stdout.trim()} rejected an export:\n${r.stderr}`);
    console.log(`  onnx ${probe.stdout.trim()} checker: ${written.length} models accepted`);
  });
});

describe('export edge cases', () => {
  it('names nodes after labels and lines, and numbers copies', () => {
    const a = analyze('network t\ninput 3x8x8\nauto relu\nstem: conv3-4 pad1\nconv3-4 pad1 x2\nfc-2\n');
    assert.deepEqual(nodeNames(a, a.networks[0]), ['stem', 'L4_relu', 'L5_conv3-4', 'L5_relu', 'L5_conv3-4_2', 'L5_relu_2', 'L6_fc-2']);
  });
  it('refuses an even LRN window, which ONNX centres differently', () => {
    const a = analyze('input 4x4x4\nlrn size4\n');
    const plan = planRun(a);
    assert.throws(() => exportModel(a, plan, loadParams(plan)), /size4 is even/);
  });
});
