/**
 * Where a forward's time goes: runs a .cnn network (He weights) through forward as the CLI does
 * (SIMD backend, keep 'last', fused) and sums the wall time per layer kind and shape class, median of
 * the rounds after a warm-up.
 *   node --import tsx test/bench/engine-profile.ts FILE [--threads N] [--rounds N] [--no-fuse]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { analyze } from '../../server/src/analysis/analyze.js';
import { fusionPlan } from '../../server/src/engine/fuse.js';
import { bufferPool, graphInputs, forward } from '../../server/src/engine/forward.js';
import { createSimdBackend } from '../../server/src/engine/simd/simd-backend.js';
import { firstInputShapes } from '../../server/src/engine/shapes.js';
import { tensor } from '../../server/src/engine/tensor.js';
import { initParams } from '../../server/src/engine/weights.js';
import { planRun } from '../../server/src/run/plan.js';

const file = process.argv[2];
const arg = (name: string, dflt: number) => { const i = process.argv.indexOf(name); return i >= 0 ? Number(process.argv[i + 1]) : dflt; };
const threads = arg('--threads', 1);
const rounds = arg('--rounds', 5);
const fuse = !process.argv.includes('--no-fuse');
const plan = planRun(analyze(readFileSync(file, 'utf8')), undefined, { maxMacs: 1e12, maxMemoryBytes: 1e10 }, 'last');
const params = initParams(plan.inputShape, plan.layers, 0, plan.inputs);
const backend = (await createSimdBackend({ threads }))!;
const input = tensor([...plan.inputShape]);
for (let i = 0; i < input.data.length; i++) input.data[i] = Math.sin(i);
const inShapes = firstInputShapes(plan.inputShape, plan.layers, plan.inputs);
const label = (i: number): string => {
  const s = plan.layers[i];
  if (s.kind !== 'conv') return s.kind;
  const g = s.groups > 1 ? (s.groups === inShapes[i][0] ? ' dw' : ` g${s.groups}`) : '';
  return `conv${s.kernel[0]}x${s.kernel[1]}${s.stride[0] > 1 ? ' s2' : ''}${g}`;
};
const chains = fuse ? fusionPlan(plan.layers, graphInputs(plan.layers.length, plan.inputs)) : [];
/** Each fused chain's last layer (where onLayer reports it) → its head. */
const headOf = new Map<number, number>();
chains.forEach((c, i) => { if (c && c !== 'absorbed') headOf.set(c.last, i); });
const pool = process.env.JSPOOL ? bufferPool() : (backend.bufferPool?.() ?? bufferPool());
const per = new Map<string, number[]>();
const totals: number[] = [];
for (let r = 0; r <= rounds; r++) {
  const sums = new Map<string, number>();
  let last = performance.now();
  const t0 = last;
  const [out] = await forward(input, plan.layers, params, {
    backend, inputs: plan.inputs, keep: 'last', fuse, ...pool,
    onLayer: (i) => {
      const now = performance.now();
      // With fusion the chain is reported at its last layer; charge it to the layer that heads it (a
      // conv with a residual add is labelled "+ add").
      const h = headOf.get(i) ?? i;
      const k = label(h) + (chains[h] && chains[h] !== 'absorbed' && chains[h].add !== undefined ? ' + add' : '');
      sums.set(k, (sums.get(k) ?? 0) + now - last);
      last = now;
    },
  });
  pool.free(out.data);
  if (r === 0) continue;
  totals.push(performance.now() - t0);
  for (const [k, v] of sums) per.set(k, [...(per.get(k) ?? []), v]);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const total = median(totals);
console.log(`${plan.network.name}: ${threads} thread(s), ${fuse ? 'fused' : 'unfused'}, median ${total.toFixed(1)} ms of ${rounds} (load ${loadavg()[0].toFixed(1)})`);
for (const [k, v] of [...per].sort((a, b) => median(b[1]) - median(a[1]))) {
  console.log(`  ${k.padEnd(14)} ${median(v).toFixed(1).padStart(8)} ms  ${((100 * median(v)) / total).toFixed(0).padStart(3)}%`);
}
