/**
 * Fusion for keep-'last' runs (fuse.ts): which layers join a chain, and that a fused run gives the
 * unfused run's last output within float rounding — bn folded into the conv's weights, relu/relu6
 * and a residual add in the conv's epilogue, an add's relu in place — on the TypeScript kernels and
 * the SIMD backend (with its buffers in the kernels' memory too), for the zoo's ResNet-18 and
 * MobileNetV2 with random bn statistics.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { analyze } from '../../server/src/analysis/analyze.js';
import type { ConvSpec, LayerSpec } from '../../server/src/language/types.js';
import { foldBatchNorm, fusionPlan } from '../../server/src/engine/fuse.js';
import { tsBackend } from '../../server/src/engine/kernels.js';
import { graphInputs, forward } from '../../server/src/engine/forward.js';
import { createSimdBackend } from '../../server/src/engine/simd/simd-backend.js';
import { tensor } from '../../server/src/engine/tensor.js';
import { initParams } from '../../server/src/engine/weights.js';
import { planRun } from '../../server/src/run/plan.js';
import { repoPath } from '../helpers/core.js';
import { randomArray, rng } from '../helpers/random.js';
import { checkTensor, maxAbs } from '../helpers/tensors.js';

/** Fused (bn folded into the conv) and plain runs round differently: each value within 1e-4 of itself, or 1e-5 of the largest. */
const tolOf = (ref: ArrayLike<number>) => ({ rtol: 1e-4, atol: 1e-5 * maxAbs(ref) });

const conv = (outChannels: number): ConvSpec => ({
  kind: 'conv', kernel: [3, 3], outChannels, stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1, bias: false, depthwise: false,
});

describe('fusionPlan', () => {
  it('joins a conv with the bn and relu that alone read it, and an fc with its relu', () => {
    const layers: LayerSpec[] = [conv(4), { kind: 'bn', eps: 1e-5 }, { kind: 'relu' }, { kind: 'gap' }, { kind: 'fc', outFeatures: 3, bias: true }, { kind: 'relu6' }];
    assert.deepEqual(fusionPlan(layers, graphInputs(layers.length)), [
      { head: 0, bn: 1, act: 'relu', last: 2 }, 'absorbed', 'absorbed', undefined, { head: 4, bn: undefined, act: 'relu6', last: 5 }, 'absorbed',
    ]);
  });

  it('leaves a chain where another layer reads the conv or the bn; an add joins its relu', () => {
    const layers: LayerSpec[] = [conv(4), { kind: 'bn', eps: 1e-5 }, { kind: 'relu' }, { kind: 'add' }, { kind: 'relu' }];
    // The add reads the bn (1) and the relu (2): the bn has two readers, so only conv → bn joins;
    // the add takes the relu after it.
    const plan = fusionPlan(layers, [[-1], [0], [1], [1, 2], [3]]);
    assert.deepEqual(plan, [{ head: 0, bn: 1, act: undefined, last: 1 }, 'absorbed', undefined, { head: 3, bn: undefined, act: 'relu', last: 4 }, 'absorbed']);
    // The relu reads the conv too: nothing joins.
    assert.deepEqual(fusionPlan(layers.slice(0, 3), [[-1], [0], [0]]), [undefined, undefined, undefined]);
  });

  it('joins a residual add (and its relu) to the conv + bn that it alone reads, when its other input is already computed', () => {
    const bn: LayerSpec = { kind: 'bn', eps: 1e-5 };
    // An identity block: conv → bn → relu → conv → bn, added to the input, then relu.
    const identity: LayerSpec[] = [conv(3), bn, { kind: 'relu' }, conv(3), bn, { kind: 'add' }, { kind: 'relu' }];
    assert.deepEqual(fusionPlan(identity, [[-1], [0], [1], [2], [3], [4, -1], [5]]), [
      { head: 0, bn: 1, act: 'relu', last: 2 }, 'absorbed', 'absorbed',
      { head: 3, bn: 4, add: 5, residual: -1, act: 'relu', last: 6 }, 'absorbed', 'absorbed', 'absorbed',
    ]);
    // A downsampling block whose shortcut conv runs after the body (as torchvision's): the add joins
    // the shortcut's chain, whose other input (the body's bn) is ready by then.
    const down: LayerSpec[] = [conv(4), bn, conv(4), bn, { kind: 'add' }, { kind: 'relu6' }];
    assert.deepEqual(fusionPlan(down, [[-1], [0], [-1], [2], [1, 3], [4]]), [
      { head: 0, bn: 1, act: undefined, last: 1 }, 'absorbed',
      { head: 2, bn: 3, add: 4, residual: 1, act: 'relu6', last: 5 }, 'absorbed', 'absorbed', 'absorbed',
    ]);
    // An add of three inputs, or of one input twice, stays on its own.
    assert.deepEqual(fusionPlan([conv(3), { kind: 'add' }], [[-1], [0, -1, -1]])[1], undefined);
    assert.deepEqual(fusionPlan([conv(3), { kind: 'add' }], [[-1], [0, 0]]), [undefined, undefined]);
  });

  it('folds a bn as (w·γ/√(σ²+ε), (b−μ)·γ/√(σ²+ε)+β), cached per weight array', () => {
    const w = new Float32Array([1, 2, 3, 4]);
    const bn = { weight: new Float32Array([2, 1]), bias: new Float32Array([0.5, -1]), runningMean: new Float32Array([1, 0]), runningVar: new Float32Array([3, 0]) };
    const f = foldBatchNorm(w, new Float32Array([1, 2]), bn, 1);
    assert.deepEqual(Array.from(f.weight), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(f.bias), [0.5, 1]);
    assert.equal(foldBatchNorm(w, new Float32Array([1, 2]), bn, 1), f);
  });
});

describe('a fused run gives the unfused run\'s output', () => {
  for (const name of ['resnet18', 'mobilenet_v2']) {
    it(`zoo ${name}, random bn statistics, TypeScript kernels and SIMD (1 and 2 threads)`, async () => {
      const plan = planRun(analyze(readFileSync(repoPath(`samples/zoo/${name}.cnn`), 'utf8')), undefined, undefined, 'last');
      const params = initParams(plan.inputShape, plan.layers, 0, plan.inputs);
      const next = rng(7);
      plan.layers.forEach((s, i) => {
        if (s.kind !== 'bn') return;
        const c = params[i].weight!.length;
        params[i] = {
          weight: randomArray(c, next).map((v) => 1 + 0.5 * v), bias: randomArray(c, next).map((v) => 0.2 * v),
          runningMean: randomArray(c, next).map((v) => 0.2 * v), runningVar: randomArray(c, next).map((v) => 1 + 0.5 * v),
        };
      });
      // A smaller picture keeps the TypeScript kernels quick; the layers are the same.
      const shape = [3, 64, 64];
      const input = tensor(shape, randomArray(3 * 64 * 64, next));
      const plain = await forward(input, plan.layers, params, { inputs: plan.inputs, keep: 'last' });
      let calls = 0;
      const fusedTs = await forward(input, plan.layers, params, { inputs: plan.inputs, keep: 'last', fuse: true, onLayer: () => { calls++; } });
      assert.ok(calls < plan.layers.length, `fused: ${calls} layers reported of ${plan.layers.length}`);
      checkTensor(`${name} fused ts`, fusedTs[0].data, plain[0].data, tolOf(plain[0].data));
      for (const threads of [1, 2]) {
        const backend = (await createSimdBackend({ threads }))!;
        // The second and third runs reuse the first's buffers, which live in the kernels' memory.
        const pool = backend.bufferPool!();
        for (let round = 0; round < 3; round++) {
          const fused = await forward(input, plan.layers, params, { backend, inputs: plan.inputs, keep: 'last', fuse: true, ...(round ? pool : {}) });
          checkTensor(`${name} fused simd x${threads} run ${round + 1}`, fused[0].data, plain[0].data, tolOf(plain[0].data));
        }
      }
      void tsBackend;
    });
  }

  it('refuses fuse with keep \'all\'', async () => {
    await assert.rejects(forward(tensor([3, 4, 4]), [conv(2), { kind: 'relu' }], [{ weight: new Float32Array(54) }, {}], { fuse: true }), /fuse needs keep: 'last'/);
  });
});
