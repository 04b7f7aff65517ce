/**
 * "Run on Image" without the editor: VGG16 on samples/images/shapes.png through the built worker
 * (dist/worker.js), which also shrinks every layer's tiles to the panel's default 72 pixels and scales
 * them to 8 bits, then the copy a postMessage to the webview makes and the webview's colour look-up
 * of every pixel. panel-bench.mjs times the whole thing in a real VS Code.
 * Run: node --import tsx test/bench/run-bench.ts [threads…]   (build first: node esbuild.js)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_BUDGET } from '../../server/src/run/budget.js';
import { buildRun, layerPixels } from '../../client/src/run/model.js';
import { WorkerClient, type RunOutcome } from '../../client/src/run/workerClient.js';
import { colormapLut } from '../../client/src/webview/colormap.js';

const repo = (f: string) => fileURLToPath(new URL(`../../${f}`, import.meta.url));
const text = readFileSync(repo('samples/vgg16.cnn'), 'utf8');
const image = new Uint8Array(readFileSync(repo('samples/images/shapes.png')));
const threadsList = process.argv.slice(2).map(Number).filter((n) => n > 0);

async function timedRun(client: WorkerClient, threads: number): Promise<{ outcome: RunOutcome; startedMs: number; totalMs: number }> {
  const t0 = performance.now();
  let startedMs = 0;
  const outcome = await client.run(
    { text, image: { bytes: image, fileName: 'shapes.png' }, seed: 0, budget: DEFAULT_BUDGET, threads, maxSide: 72 },
    { onStarted: () => { startedMs = performance.now() - t0; } },
  );
  return { outcome, startedMs, totalMs: performance.now() - t0 };
}

const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;

for (const threads of threadsList.length ? threadsList : [1, 2]) {
  const client = new WorkerClient(repo('dist/worker.js'));
  console.log(`\nVGG16 (15.47 GMACs) on shapes.png, ${threads} kernel thread${threads === 1 ? '' : 's'}`);
  const first = await timedRun(client, threads);
  const s = first.outcome.started;
  console.log(`  first run:  ${fmt(first.totalMs)} end to end  (worker start + load ${fmt(first.startedMs)}, of which input + He init ${fmt(s.loadMs)}; layers ${fmt(first.outcome.done.runMs)}, ${s.backend})`);
  const second = await timedRun(client, threads);
  console.log(`  again:      ${fmt(second.totalMs)} end to end  (load ${fmt(second.outcome.started.loadMs)} with the weights reused; layers ${fmt(second.outcome.done.runMs)}, ${(2 * 15.47e9 / (second.outcome.done.runMs * 1e6)).toFixed(1)} GFLOP/s)`);

  const origin = { uri: 'file:///vgg16.cnn', network: 'vgg16', image: 'file:///shapes.png', seed: 0 };
  const run = buildRun({ runId: 1, origin, sourceName: 'vgg16.cnn', imageName: 'shapes.png' }, second.outcome);
  let bytes = 0;
  let tiles = 0;
  const messages = run.view.layers.map((l) => {
    const m = layerPixels(run, l.index, 72)!;
    bytes += m.pixels.length;
    tiles += m.layout.channels;
    return m;
  });
  let t = performance.now();
  for (const m of messages) structuredClone(m);
  const cloneMs = performance.now() - t;
  t = performance.now();
  const lut = colormapLut('grey');
  for (const m of messages) {
    const out = new Uint32Array(m.pixels.length);
    for (let i = 0; i < m.pixels.length; i++) out[i] = lut[m.pixels[i]];
  }
  const lutMs = performance.now() - t;
  const floats = run.view.layers.reduce((n, l) => n + l.shape.reduce((x, y) => x * y, 1), 0);
  console.log(`  all maps:   ${tiles} tiles, ${(bytes / 1e6).toFixed(1)} MB of 8-bit pixels at 72 pixels a tile (from ${(4 * floats / 1e6).toFixed(0)} MB of floats, kept in the worker)`);
  console.log(`              structured clone ${fmt(cloneMs)}, colour look-up of every pixel ${fmt(lutMs)} (webview)`);
  console.log(`  sum, every map shown (weights reused): ${fmt(second.totalMs + cloneMs + lutMs)} + the browser's drawing and messaging (panel-bench.mjs)`);
  client.dispose();
}
