/**
 * ONNX import of torchvision's resnet18 and mobilenet_v2 as torch.onnx.export writes them (random
 * weights, seed 0; test/fixtures/onnx/generate.py, run here into a temporary directory because the files
 * are 14–47 MB): the .cnn text analyses to torchvision's parameters and MACs, and the engine, with the
 * imported weights, gives onnxruntime's and torch's outputs within 1e-4 of the largest value. Both
 * export modes: the default (batch norm folded into the convs) and PRESERVE without constant folding
 * (BatchNormalization nodes and the Shape/Gather/Unsqueeze/Concat plumbing kept). Plus what the import
 * refuses, by node name and op type.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { analyze } from '../../server/src/analysis/analyze.js';
import { createSimdBackend, paramsFromSafetensors, readNpy, forward, tensor, writeSafetensors, type ConvBackend } from '../../server/src/engine/index.js';
import { importModel, importOnnx } from '../../server/src/interop/onnxImport.js';
import { attr, encodeModel, floatTensor, type ModelProto, type NodeProto } from '../../server/src/interop/onnxProto.js';
import { planRun } from '../../server/src/run/plan.js';
import { checkTensor, maxAbs } from '../helpers/tensors.js';

const GENERATOR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'onnx', 'generate.py');
const PYTHON = '/usr/bin/python3';
/**
 * Each value within 1e-4 of itself, and within 1e-5 of the output's largest value where it is near zero:
 * onnxruntime sums in other orders, and random deep networks cancel large terms (worst seen 5.6e-6 of the largest).
 */
const tolOf = (ref: ArrayLike<number>) => ({ rtol: 1e-4, atol: 1e-5 * maxAbs(ref) });

/** torchvision's figures: parameters with batch norm folded (convs gain biases) and kept; MACs. */
const EXPECTED = {
  resnet18: { folded: 11_684_712, bn: 11_689_512, macs: 1_814_073_344 },
  mobilenet_v2: { folded: 3_487_816, bn: 3_504_872, macs: 300_774_272 },
} as const;

let dir = '';
let backend: ConvBackend | null = null;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cnnlab-tv-'));
  const r = spawnSync(PYTHON, [GENERATOR, dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${PYTHON} ${GENERATOR} failed; it needs the Debian packages python3-torch, python3-torchvision and python3-onnx (.ci/run installs them):\n${r.stderr || r.error?.message}`);
  backend = await createSimdBackend();
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('torchvision models exported by torch, imported as .cnn', () => {
  for (const model of ['resnet18', 'mobilenet_v2'] as const) {
    for (const mode of ['folded', 'bn'] as const) {
      const file = `${model}${mode === 'bn' ? '-bn' : ''}.onnx`;
      it(`${file}: torchvision's parameters and MACs, and its outputs`, async () => {
        const bytes = readFileSync(join(dir, file));
        const imported = importOnnx(bytes, { name: model, label: file });
        assert.deepEqual(imported.problems, []);
        const a = analyze(imported.text, model);
        assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
        const net = a.networks[0];
        assert.equal(net.totals.params, EXPECTED[model][mode], `${file}: parameters`);
        assert.equal(net.totals.macs, EXPECTED[model].macs, `${file}: MACs`);
        assert.equal(net.layers.filter((l) => l.decl.spec.kind === 'bn').length > 0, mode === 'bn', `${file}: batch norm layers`);
        if (model === 'resnet18') assert.match(imported.text, /^residual\n {2}conv3-128 pad1 stride2 .*\n(?: {2}.*\n)*shortcut\n {2}conv1-128 stride2/m);
        else assert.match(imported.text, /^residual\n {2}conv1-144 .*\n {2}(?:bn.*\n {2})?relu6 .*\n {2}dwconv3 pad1 /m);

        // The weights go through the safetensors file and the loader, as `cnnlab run --weights` reads them.
        const plan = planRun(a, undefined, undefined, 'last');
        const weights = writeSafetensors(imported.tensors.map((t) => ({ name: t.name, shape: t.shape, data: t.data })));
        const params = paramsFromSafetensors(weights, plan.inputShape, plan.layers, file, plan.inputs);
        const inp = readNpy(readFileSync(join(dir, 'input.npy')), 'input.npy');
        const ours = (await forward(tensor([...plan.inputShape], inp.data), plan.layers, params, { inputs: plan.inputs, keep: 'last', backend: backend ?? undefined }))[0];
        const session = await ort.InferenceSession.create(bytes);
        const res = await session.run({ input: new ort.Tensor('float32', inp.data, inp.shape) });
        const vsOrt = checkTensor(`${file} engine vs onnxruntime`, ours.data, res[session.outputNames[0]].data as Float32Array, tolOf(ours.data), false);
        await session.release();
        const torchOut = readNpy(readFileSync(join(dir, `${model}.out.npy`)), 'out.npy');
        const vsTorch = checkTensor(`${file} engine vs torch`, ours.data, torchOut.data, tolOf(torchOut.data), false);
        console.log(`  ${file}: ${net.layers.length} layers, ${net.totals.params.toLocaleString('en-US')} params, ${net.totals.macs.toLocaleString('en-US')} MACs; ` +
          `fraction of the tolerance used vs onnxruntime ${vsOrt.toExponential(2)}, vs torch ${vsTorch.toExponential(2)}`);
      });
    }
  }
});

/** A one-node model on a 1×2×4×4 input, for the import's refusals and folds. */
function tiny(nodes: NodeProto[], inits: ModelProto['graph']['initializer'] = [], out = 'y'): ModelProto {
  const dims = (d: number[]) => ({ type: { tensorType: { elemType: 1, shape: { dim: d.map((v) => ({ dimValue: v })) } } } });
  return {
    irVersion: 7, opsetImport: [{ domain: '', version: 14 }],
    graph: { name: 'tiny', node: nodes, initializer: inits, input: [{ name: 'x', ...dims([1, 2, 4, 4]) }], output: [{ name: out }] },
  };
}

describe('what the import cannot write is listed by node and op', () => {
  it('an unknown operator, and what reads it is not reported again', () => {
    const r = importModel(tiny([
      { name: 'erf1', opType: 'Erf', input: ['x'], output: ['e'] },
      { name: 'relu1', opType: 'Relu', input: ['e'], output: ['y'] },
    ]));
    assert.deepEqual(r.problems.map((p) => [p.node, p.op]), [['erf1', 'Erf']]);
  });
  it('asymmetric padding, a clip that is not relu6, a softmax over the wrong axis', () => {
    const r = importModel(tiny([
      { name: 'pool', opType: 'MaxPool', input: ['x'], output: ['p'], attribute: [attr.ints('kernel_shape', [2, 2]), attr.ints('pads', [0, 0, 1, 1])] },
      { name: 'clip', opType: 'Clip', input: ['x', 'lo', 'hi'], output: ['c'] },
      { name: 'sm', opType: 'Softmax', input: ['x'], output: ['y'], attribute: [attr.int('axis', 3)] },
    ], [floatTensor('lo', [], new Float32Array([-1])), floatTensor('hi', [], new Float32Array([1]))]));
    assert.deepEqual(r.problems.map((p) => [p.node, p.op]), [['pool', 'MaxPool'], ['clip', 'Clip'], ['sm', 'Softmax']]);
    assert.match(r.problems[0].message, /not the same on both sides/);
  });
  it('a branch that does not reach the output', () => {
    const r = importModel(tiny([
      { name: 'a', opType: 'Relu', input: ['x'], output: ['a'] },
      { name: 'b', opType: 'Sigmoid', input: ['x'], output: ['y'] },
    ]));
    assert.deepEqual(r.problems.map((p) => [p.node, p.op]), [['a', 'Relu']]);
  });
  it('MatMul + Add become one fc with a bias; x·sigmoid(x) is silu', () => {
    const w = new Float32Array(32 * 3).map((_, i) => i / 100);
    const r = importModel(tiny([
      { name: 's', opType: 'Sigmoid', input: ['x'], output: ['s'] },
      { name: 'm', opType: 'Mul', input: ['x', 's'], output: ['m'] },
      { name: 'f', opType: 'Flatten', input: ['m'], output: ['f'], attribute: [attr.int('axis', 1)] },
      { name: 'mm', opType: 'MatMul', input: ['f', 'w'], output: ['mm'] },
      { name: 'add', opType: 'Add', input: ['mm', 'b'], output: ['y'] },
    ], [floatTensor('w', [32, 3], w), floatTensor('b', [3], new Float32Array([1, 2, 3]))]));
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.text.split('\n').slice(3, 6).map((l) => l.split('#')[0].trim()), ['silu', 'flatten', 'fc-3']);
    assert.deepEqual(r.tensors.map((t) => [t.name, t.shape]), [['layers.0.weight', [3, 32]], ['layers.0.bias', [3]]]);
  });
  it('bytes that are not a model', () => {
    assert.throws(() => importOnnx(new Uint8Array([1, 2, 3, 4, 5]), { label: 'junk.onnx' }), /junk\.onnx: not an ONNX model/);
  });
  it('writes residual where paths fork and join, labels where they share layers', () => {
    const w = (n: string, o: number, i: number) => floatTensor(n, [o, i, 1, 1], new Float32Array(o * i).fill(0.1));
    const conv = (name: string, input: string, weight: string): NodeProto => ({ name, opType: 'Conv', input: [input, weight], output: [name], attribute: [attr.ints('kernel_shape', [1, 1])] });
    const cat = (name: string, input: string[], output = name): NodeProto => ({ name, opType: 'Concat', input, output: [output], attribute: [attr.int('axis', 1)] });
    // DenseNet's two layers: c = concat(x, f(x)), then concat(c, g(c)).
    const dense = importModel(tiny([conv('f', 'x', 'wf'), cat('c', ['x', 'f']), conv('g', 'c', 'wg'), cat('d', ['c', 'g'], 'y')], [w('wf', 2, 2), w('wg', 2, 4)]));
    assert.deepEqual(dense.problems, []);
    const lines = (t: string) => t.split('\n').slice(3).map((l) => l.split('#')[0].trimEnd()).filter(Boolean);
    assert.deepEqual(lines(dense.text), ['residual concat', '  conv1-2 nobias', 'end', 'residual concat', '  conv1-2 nobias', 'end']);
    // concat(a, b, c) of a chain a → b → c: the paths share b, so labels.
    const chain = importModel(tiny([
      { name: 'a', opType: 'Relu', input: ['x'], output: ['a'] }, conv('b', 'a', 'wb'), conv('c', 'b', 'wc'), cat('d', ['a', 'b', 'c'], 'y'),
    ], [w('wb', 2, 2), w('wc', 2, 2)]));
    assert.deepEqual(chain.problems, []);
    assert.deepEqual(lines(chain.text), ['t1: relu', 't2: conv1-2 nobias', 'conv1-2 nobias', 'concat t1 t2']);
  });
});
