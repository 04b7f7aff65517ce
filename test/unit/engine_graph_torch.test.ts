/**
 * Graphs and the newer kinds against PyTorch (fixtures from test/fixtures/engine/generate_graphs.py):
 *
 * - single ops as small graphs of LayerSpecs with their inputs, run by forward;
 * - the whole path for networks written in .cnn text: analyze → planRun → load the weights → run, every
 *   layer's output compared with an idiomatic PyTorch twin's (a ResNet BasicBlock, an inception module,
 *   squeeze-and-excitation, DenseNet layers, a mini U-Net, MobileNetV2 blocks, `auto bn relu` around
 *   residuals), and the lowered layers compared with the twin's modules spec by spec.
 *
 * Tolerance: element by element, |engine − torch| ≤ 1e-4·|torch| + 1e-6·max|torch| for each layer's
 * output. The worst fraction of that tolerance used, per kind, is printed at the end.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyze } from '../../server/src/analysis/analyze.js';
import type { LayerSpec } from '../../server/src/language/types.js';
import { paramsFromSafetensors } from '../../server/src/engine/loadweights.js';
import { readNpy } from '../../server/src/engine/npy.js';
import { bufferPool, forward } from '../../server/src/engine/forward.js';
import { tensor, type Tensor } from '../../server/src/engine/tensor.js';
import { planRun } from '../../server/src/run/plan.js';
import { checkTensor, maxAbs } from '../helpers/tensors.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'engine', 'graphs');
/**
 * PyTorch and the engine sum the same products in different orders (and torch's conv in float32 blocks):
 * each value within 1e-4 of itself, and of 1e-6 of the layer's largest value where it is near zero.
 */
const tolOf = (ref: ArrayLike<number>) => ({ rtol: 1e-4, atol: 1e-6 * maxAbs(ref) });

interface Fixture {
  readonly name: string;
  readonly doc: string;
  readonly inputShape: number[];
  readonly input: string;
  readonly weights: string;
  /** The twin's layers as LayerSpecs, in the order they ran. */
  readonly layers: LayerSpec[];
  /** For "ops": each layer's inputs (−1: the network input). */
  readonly inputs?: number[][];
  /** For "cnn": the .cnn file. */
  readonly cnn?: string;
  readonly outputs: string[];
}

const manifest = JSON.parse(readFileSync(join(FIXTURES, 'graphs.json'), 'utf8')) as { generator: string; ops: Fixture[]; cnn: Fixture[] };
const npy = (rel: string) => readNpy(readFileSync(join(FIXTURES, rel)), rel);

/** The worst fraction of its tolerance an element used, per kind (merges and upsampling modes apart), for the summary. */
const worstByKind = new Map<string, number>();

function label(spec: LayerSpec): string {
  if (spec.kind === 'upsample') return `upsample ${spec.mode}`;
  if ((spec.kind === 'maxpool' || spec.kind === 'avgpool') && spec.ceil) return `${spec.kind} ceil`;
  if (spec.kind === 'conv' && spec.groups > 1) return spec.groups === spec.outChannels ? 'dwconv' : 'conv groups';
  return spec.kind;
}

/** Compares every output with torch's; returns the worst fraction of the tolerance used. */
function compareAll(name: string, layers: readonly LayerSpec[], outputs: readonly Tensor[], refs: readonly string[]): number {
  assert.equal(outputs.length, refs.length, `${name}: ${outputs.length} outputs, torch has ${refs.length}`);
  let worst = 0;
  outputs.forEach((out, i) => {
    const ref = npy(refs[i]);
    assert.deepEqual(out.shape, ref.shape, `${name} layer ${i} (${layers[i].kind}): shape`);
    const rel = checkTensor(`${name} ${String(i).padStart(2)} ${label(layers[i])}`, out.data, ref.data, tolOf(ref.data), false);
    worstByKind.set(label(layers[i]), Math.max(worstByKind.get(label(layers[i])) ?? 0, rel));
    worst = Math.max(worst, rel);
  });
  return worst;
}

/** A spec as the twin describes it: a pool without `ceil` is floor mode, a teaching kernel never appears. */
function normalised(spec: LayerSpec): LayerSpec {
  const s = { ...spec } as Record<string, unknown>;
  if ((s.kind === 'maxpool' || s.kind === 'avgpool') && !s.ceil) delete s.ceil;
  if (s.teaching === undefined) delete s.teaching;
  return s as unknown as LayerSpec;
}

describe(`single ops as graphs vs PyTorch (${manifest.generator})`, () => {
  for (const f of manifest.ops) {
    it(`${f.name}: ${f.doc}`, async () => {
      const params = paramsFromSafetensors(readFileSync(join(FIXTURES, f.weights)), f.inputShape, f.layers, f.weights, f.inputs);
      const inp = npy(f.input);
      const outputs = await forward(tensor(inp.shape, inp.data), f.layers, params, { inputs: f.inputs });
      const worst = compareAll(f.name, f.layers, outputs, f.outputs);
      console.log(`  ${f.name}: ${outputs.length} layers, worst fraction of the tolerance used ${worst.toExponential(2)}`);
    });
  }
});

describe('.cnn text → analyze → planRun → engine vs a PyTorch twin, layer by layer', () => {
  for (const f of manifest.cnn) {
    it(`${f.name}: ${f.doc}`, async () => {
      const text = readFileSync(join(FIXTURES, f.cnn!), 'utf8');
      const a = analyze(text, f.name);
      const errors = a.diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(errors, [], `${f.name}: the text has errors`);
      const plan = planRun(a);
      // The text lowers to the twin's modules in the twin's order: kinds, sizes, strides, eps, dwconv channels.
      assert.deepEqual(plan.layers.map(normalised), f.layers, `${f.name}: the lowered layers are not the twin's`);
      assert.deepEqual(plan.inputShape, f.inputShape);
      const params = paramsFromSafetensors(readFileSync(join(FIXTURES, f.weights)), plan.inputShape, plan.layers, f.weights, plan.inputs);
      const inp = npy(f.input);
      const input = tensor(inp.shape, inp.data);
      const outputs = await forward(input, plan.layers, params, { inputs: plan.inputs, keep: plan.keep });
      const worst = compareAll(f.name, plan.layers, outputs, f.outputs);
      // The CLI's way, keeping only the last output and recycling the others' buffers, gives the same result.
      const last = await forward(input, plan.layers, params, { inputs: plan.inputs, keep: 'last', ...bufferPool() });
      assert.deepEqual(last[0].data, outputs[outputs.length - 1].data, `${f.name}: keep 'last' with recycling`);
      const cli = planRun(a, undefined, undefined, 'last');
      assert.ok(cli.memoryBytes <= plan.memoryBytes, `${f.name}: the peak of live outputs exceeds them all`);
      console.log(`  ${f.name}: ${outputs.length} layers, worst fraction of the tolerance used ${worst.toExponential(2)}; ` +
        `memory ${plan.memoryBytes} B keeping all, ${cli.memoryBytes} B keeping the last`);
    });
  }
});

after(() => {
  const rows = [...worstByKind].sort(([a], [b]) => a.localeCompare(b));
  console.log(`worst fraction of the tolerance used vs PyTorch per kind:\n${rows.map(([k, v]) => `  ${k.padEnd(18)} ${v.toExponential(2)}`).join('\n')}`);
});
