/**
 * The engine against PyTorch: networks built and run by test/fixtures/engine/generate.py, loaded
 * here through the engine's own safetensors loader and loading rule, every layer's output compared
 * with torch's. Tolerance: max|engine − torch| ≤ 1e-4 · max|torch| for each layer's output.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LayerSpec } from '../../server/src/language/types.js';
import { resizeBilinear } from '../../server/src/engine/image.js';
import { paramsFromSafetensors } from '../../server/src/engine/loadweights.js';
import { readNpy } from '../../server/src/engine/npy.js';
import { runNetwork } from '../../server/src/engine/run.js';
import { tensor } from '../../server/src/engine/tensor.js';
import { checkTensor } from './engine_check.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'engine');
const TOL = 1e-4;

interface NetworkFixture {
  readonly name: string;
  readonly inputShape: number[];
  readonly input: string;
  readonly weights: string;
  readonly layers: LayerSpec[];
  readonly outputs: string[];
}

interface Manifest {
  readonly generator: string;
  readonly networks: NetworkFixture[];
  readonly resize: { input: string; cases: { size: [number, number]; output: string }[] };
}

const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as Manifest;
const npy = (rel: string) => readNpy(readFileSync(join(FIXTURES, rel)), rel);

describe(`engine vs PyTorch (${manifest.generator})`, () => {
  for (const net of manifest.networks) {
    it(`${net.name}: ${net.layers.length} layers match torch layer by layer`, async () => {
      const params = paramsFromSafetensors(readFileSync(join(FIXTURES, net.weights)), net.inputShape, net.layers, net.weights);
      const inp = npy(net.input);
      assert.deepEqual(inp.shape, net.inputShape);
      const outputs = await runNetwork(tensor(inp.shape, inp.data), net.layers, params);
      let worst = 0;
      outputs.forEach((out, i) => {
        const ref = npy(net.outputs[i]);
        assert.deepEqual(out.shape, ref.shape, `${net.name} layer ${i} (${net.layers[i].kind}): shape`);
        worst = Math.max(worst, checkTensor(`${net.name} ${String(i).padStart(2)} ${net.layers[i].kind}`, out.data, ref.data, TOL));
      });
      console.log(`  ${net.name}: worst relative difference over ${outputs.length} layers ${worst.toExponential(2)}`);
    });
  }

  it('bilinear resize matches F.interpolate(align_corners=False)', () => {
    const src = npy(manifest.resize.input);
    const [c, h, w] = src.shape;
    for (const { size, output } of manifest.resize.cases) {
      const ref = npy(output);
      checkTensor(`resize ${h}x${w} → ${size[0]}x${size[1]}`, resizeBilinear(src.data, c, h, w, size[0], size[1]), ref.data, 1e-5);
    }
  });
});
