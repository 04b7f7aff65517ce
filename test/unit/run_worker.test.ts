/**
 * The built run worker (dist/worker.js, what the extension starts) end to end over its typed messages:
 * progress per layer, every layer's pixels streamed back and its floats kept for queries, the Sobel
 * edge map bright on the edge,
 * cancellation, weights from .safetensors or .pth, clear errors for a corrupt image, bad weights and an over-budget run, and
 * class-activation maps for a gap + fc network. Build first (`node esbuild.js`; `npm test` does).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { analyze } from '../../server/src/analysis/analyze.js';
import { channelRanges, displayLayout, quantizeChannels, quantizeResized, sumChannels } from '../../server/src/run/display.js';
import { writeNpy } from '../../server/src/engine/index.js';
import { DEFAULT_BUDGET } from '../../server/src/run/budget.js';
import type { AnswerMessage, FromWorker, LayerMessage, LayerQuery, RunRequest, ToWorker } from '../../server/src/run/workerProtocol.js';
import { WorkerClient, RunError } from '../../client/src/run/workerClient.js';
import { layerViews, networkTable } from '../../server/src/run/describe.js';
import { planRun } from '../../server/src/run/plan.js';
import { EXPORT_FORMATS } from '../../server/src/interop/formats.js';
import { importOnnx } from '../../server/src/interop/onnxImport.js';
import { initParams } from '../../server/src/engine/weights.js';
import { parseSafetensors } from '../../server/src/engine/safetensors.js';
import { pytorchFiles } from '../../server/src/exportPytorch.js';
import type { Log } from '../../client/src/run/log.js';
import { goodJpeg, lyingJpeg, pngBomb } from '../helpers/hostile.js';
import { repoPath, readRepo } from '../helpers/core.js';

const WORKER = repoPath('dist/worker.js');
const EDGES = readRepo('samples/lecture/09-edges.cnn');
const EDGE_PNG = new Uint8Array(readFileSync(repoPath('samples/images/edge.png')));
const SHAPES_PNG = new Uint8Array(readFileSync(repoPath('samples/images/shapes.png')));

/** A worker speaking the raw protocol, recording every message. */
class RawWorker {
  readonly worker: Worker;
  readonly messages: FromWorker[] = [];
  private waiters: { pred: (m: FromWorker) => boolean; resolve: (m: FromWorker) => void }[] = [];

  /** `env` adds to (or overrides) the worker's environment variables. */
  constructor(env: Record<string, string> = {}) {
    this.worker = new Worker(WORKER, { execArgv: [], env: { ...process.env, ...env } });
    this.worker.on('message', (m: FromWorker) => {
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
  }

  send(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  /** Resolves with the first message (already received or to come) that matches. */
  next(pred: (m: FromWorker) => boolean): Promise<FromWorker> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  /** The end of run `id`: done, cancelled or error. */
  end(id: number): Promise<FromWorker> {
    return this.next((m) => m.id === id && (m.type === 'done' || m.type === 'cancelled' || m.type === 'error'));
  }

  of(id: number): FromWorker[] {
    return this.messages.filter((m) => m.id === id && m.type !== 'answer');
  }

  private queries = 1000;

  /** Asks about a layer of run `run`; resolves with the answer message. */
  async ask(run: number, query: LayerQuery): Promise<AnswerMessage> {
    const id = this.queries++;
    this.send({ type: 'query', id, run, query });
    return await this.next((m) => m.type === 'answer' && m.id === id) as AnswerMessage;
  }

  /** Layer `index`'s floats from run `run`. */
  async floats(run: number, index: number): Promise<Float32Array> {
    const a = await this.ask(run, { kind: 'floats', index });
    assert.ok(a.result?.kind === 'floats', JSON.stringify(a));
    return a.result.data;
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

function request(id: number, over: Partial<RunRequest> = {}): RunRequest {
  return {
    type: 'run', id, text: EDGES, network: 'sobel-x', image: { bytes: EDGE_PNG, fileName: 'edge.png' },
    seed: 0, budget: DEFAULT_BUDGET, ...over,
  };
}

test('sobel-x on edge.png: started, progress, the layer, done, in that order; the edge columns are the brightest', async () => {
  const w = new RawWorker();
  try {
    w.send(request(1));
    const end = await w.end(1);
    assert.equal(end.type, 'done', JSON.stringify(end));
    assert.deepEqual(w.of(1).map((m) => m.type), ['started', 'progress', 'layer', 'done']);
    const [started, progress, layer] = w.of(1) as [Extract<FromWorker, { type: 'started' }>, Extract<FromWorker, { type: 'progress' }>, LayerMessage];
    assert.equal(started.network, 'sobel-x');
    assert.deepEqual(started.inputShape, [1, 128, 128]);
    assert.deepEqual([started.input.width, started.input.height, started.input.rgba.length], [128, 128, 128 * 128 * 4]);
    // The input picture is the grey image as the network sees it: 40 on the left, 215 on the right.
    assert.deepEqual([started.input.rgba[0], started.input.rgba[4 * 100]], [40, 215]);
    assert.deepEqual({ ...progress }, { type: 'progress', id: 1, index: 0, count: 1, text: 'conv3-1 pad1 sobelx' });
    assert.deepEqual(layer.shape, [1, 128, 128]);
    // The floats stay in the worker; asked for, they arrive whole.
    const data = await w.floats(1, 0);
    assert.ok(data instanceof Float32Array && data.length === 128 * 128);
    const ranges = channelRanges(data, 1, 128 * 128);
    assert.deepEqual([layer.min[0], layer.max[0]], [ranges.min[0], ranges.max[0]]);
    // Dark (40) left half, bright (215) right half: Sobel x sees the step at columns 63 and 64 only.
    const step = (215 - 40) / 255;
    const at = (y: number, x: number) => data[y * 128 + x];
    for (const y of [1, 40, 126]) {
      assert.ok(Math.abs(at(y, 63) - 4 * step) < 1e-5 && Math.abs(at(y, 64) - 4 * step) < 1e-5, `row ${y}: ${at(y, 63)}, ${at(y, 64)}`);
      for (const x of [1, 30, 62, 65, 100, 126]) assert.ok(Math.abs(at(y, x)) < 1e-6, `row ${y} column ${x}: ${at(y, x)}`);
    }
    // One unit's exact value, and none outside the map.
    const value = await w.ask(1, { kind: 'value', index: 0, channel: 0, flat: 40 * 128 + 63 });
    assert.deepEqual(value.result, { kind: 'value', value: at(40, 63) });
    const outside = await w.ask(1, { kind: 'value', index: 0, channel: 1, flat: 0 });
    assert.ok(outside.result?.kind === 'value' && Number.isNaN(outside.result.value));
    // As the panel draws it (8 bits, scaled per channel), the edge columns are white in every inner row:
    // the pixels sent (the whole map, no size was asked) are the floats scaled.
    assert.deepEqual([layer.tileHeight, layer.tileWidth], [128, 128]);
    const q = layer.pixels;
    assert.deepEqual([...q], [...quantizeChannels(data, 1, 128 * 128, layer.min, layer.max)]);
    for (let y = 1; y < 127; y++) {
      assert.equal(q[y * 128 + 63], 255);
      assert.equal(q[y * 128 + 64], 255);
      assert.ok(q[y * 128 + 20] < 160 && q[y * 128 + 110] < 160, `row ${y} flat parts are grey`);
    }
  } finally {
    await w.close();
  }
});

test('a deeper network: one progress message per layer in order, each layer sent once with the analysed shape', async () => {
  const text = readRepo('samples/lecture/10-receptive-field.cnn');
  const a = analyze(text);
  const layers = a.networks[0].layers;
  const w = new RawWorker();
  try {
    w.send(request(7, { text, network: undefined, image: { bytes: SHAPES_PNG, fileName: 'shapes.png' } }));
    const end = await w.end(7);
    assert.equal(end.type, 'done', JSON.stringify(end));
    const msgs = w.of(7);
    // The panel's description of the layers comes from the worker's own analysis, before any layer runs.
    const started = msgs[0];
    assert.ok(started.type === 'started');
    assert.deepEqual(started.layers, layerViews(a, a.networks[0]));
    assert.deepEqual(started.layers.map((l) => l.shape), layers.map((l) => l.out));
    assert.deepEqual(started.table, networkTable(a, a.networks[0]));
    assert.equal(started.table.rows.length, layers.length);
    assert.equal(started.kernels, 'random');
    const progress = msgs.filter((m) => m.type === 'progress');
    assert.deepEqual(progress.map((m) => m.index), layers.map((_, i) => i));
    assert.ok(progress.every((m) => m.count === layers.length));
    assert.deepEqual(progress.map((m) => m.text), layers.map((l) => l.decl.text));
    const sent = msgs.filter((m): m is LayerMessage => m.type === 'layer');
    assert.deepEqual(sent.map((m) => m.index), layers.map((_, i) => i));
    for (const [i, m] of sent.entries()) {
      assert.deepEqual(m.shape, layers[i].out, `layer ${i}`);
      assert.equal((await w.floats(7, i)).length, layers[i].activations);
      const l = displayLayout(m.shape);
      assert.equal(m.min.length, l.channels);
      assert.equal(m.pixels.length, l.vector ? l.plane : l.channels * m.tileHeight * m.tileWidth);
    }
    // Each layer's data follows its progress message (streamed, not all at the end).
    for (let i = 0; i < layers.length; i++) {
      assert.ok(msgs.findIndex((m) => m.type === 'progress' && m.index === i) < msgs.findIndex((m) => m.type === 'layer' && m.index === i));
    }
  } finally {
    await w.close();
  }
});

test('layers sharing a buffer (flatten, dropout) arrive intact', async () => {
  const text = 'network share\ninput 1x8x8\nconv3-2 pad1\nflatten\ndropout\nfc-3\n';
  const img = { bytes: EDGE_PNG, fileName: 'edge.png' };
  const w = new RawWorker();
  try {
    w.send(request(2, { text, network: 'share', image: img }));
    assert.equal((await w.end(2)).type, 'done');
    const layers = w.of(2).filter((m): m is LayerMessage => m.type === 'layer');
    assert.deepEqual(layers.map((l) => l.shape), [[2, 8, 8], [128], [128], [3]]);
    const [conv, flat, drop] = [await w.floats(2, 0), await w.floats(2, 1), await w.floats(2, 2)];
    assert.ok(conv.some((v) => v !== 0));
    assert.deepEqual(flat, conv);
    assert.deepEqual(drop, conv);
  } finally {
    await w.close();
  }
});

const SLOW = ['network slow', 'input 3x128x128', 'auto relu', ...Array(8).fill('conv3-32 pad1')].join('\n');

test('cancel stops a run at the next layer and the worker takes the next run', async () => {
  const w = new RawWorker();
  try {
    w.send(request(3, { text: SLOW, network: 'slow', image: { bytes: SHAPES_PNG, fileName: 'shapes.png' }, backend: 'typescript' }));
    await w.next((m) => m.id === 3 && m.type === 'progress');
    w.send({ type: 'cancel', id: 3 });
    const end = await w.end(3);
    assert.equal(end.type, 'cancelled');
    const count = w.of(3).filter((m) => m.type === 'progress').length;
    assert.ok(count < 16, `stopped after ${count} of 16 layers`);
    w.send(request(4));
    assert.equal((await w.end(4)).type, 'done');
  } finally {
    await w.close();
  }
});

test('a corrupt image, a wrong .npy and bad weights are typed errors with clear messages, and the worker lives on', async () => {
  const w = new RawWorker();
  try {
    const broken = new Uint8Array(EDGE_PNG.subarray(0, 60));
    w.send(request(5, { image: { bytes: broken, fileName: 'broken.png' } }));
    const e1 = await w.end(5);
    assert.equal(e1.type, 'error');
    assert.equal(e1.type === 'error' && e1.kind, 'input');
    assert.match(e1.type === 'error' ? e1.message : '', /^broken\.png: not a valid PNG/);

    w.send(request(6, { image: { bytes: new TextEncoder().encode('hello, not a picture'), fileName: 'note.jpg' } }));
    const e2 = await w.end(6);
    assert.match(e2.type === 'error' ? e2.message : '', /note\.jpg: not a PNG or JPEG image/);

    const npy = writeNpy([1, 4, 4], new Float32Array(16));
    w.send(request(15, { image: { bytes: npy, fileName: 'small.npy' } }));
    const e6 = await w.end(15);
    assert.equal(e6.type === 'error' && e6.kind, 'input');
    assert.match(e6.type === 'error' ? e6.message : '', /small\.npy: has shape \[1, 4, 4\], the network's input is \[1, 128, 128\]/);

    w.send(request(8, { weights: { bytes: new Uint8Array([1, 2, 3]), fileName: 'w.safetensors' }, network: 'box-blur' }));
    const e3 = await w.end(8);
    assert.equal(e3.type === 'error' && e3.kind, 'weights', JSON.stringify(e3));
    assert.match(e3.type === 'error' ? e3.message : '', /w\.safetensors/);

    w.send(request(9, { network: 'nope' }));
    const e4 = await w.end(9);
    assert.equal(e4.type === 'error' && e4.kind, 'plan');
    assert.match(e4.type === 'error' ? e4.message : '', /no network named 'nope' \(the file has: sobel-x, sobel-y, laplacian, box-blur\)/);

    w.send({ type: 'bogus', id: 10 } as unknown as ToWorker);
    const e5 = await w.end(10);
    assert.equal(e5.type === 'error' && e5.kind, 'internal');

    w.send(request(11));
    assert.equal((await w.end(11)).type, 'done');
  } finally {
    await w.close();
  }
});

test('an over-budget run is refused up front with the estimate, before reading the image', async () => {
  const text = readRepo('samples/vgg16.cnn');
  const w = new RawWorker();
  try {
    // The image is garbage on purpose: the budget is checked first.
    w.send(request(12, { text, network: undefined, image: { bytes: new Uint8Array(4), fileName: 'x.png' }, budget: { maxMacs: 1e9, maxMemoryBytes: 2e9 } }));
    const e = await w.end(12);
    assert.equal(e.type, 'error');
    if (e.type !== 'error') return;
    assert.equal(e.kind, 'budget');
    assert.equal(e.estimate?.macs, 15_470_264_320);
    assert.ok(e.estimate!.memoryBytes > 553e6, `${e.estimate!.memoryBytes}`);
    assert.match(e.message, /15\.47 GMACs \(15,470,264,320\)/);
    assert.match(e.message, /over the budget of 1\.00 GMACs/);
    assert.match(e.message, /cnnLab\.run\.maxGigaMacs/);
    assert.deepEqual(w.of(12).map((m) => m.type), ['error']);
  } finally {
    await w.close();
  }
});

test('a network ending in gap + fc gets class-activation maps whose means are the class scores', async () => {
  const text = 'network cam\ninput 3x32x32\nauto relu\nconv3-8 pad1\nmaxpool\nconv3-16 pad1\ngap\nfc-5\n';
  const w = new RawWorker();
  try {
    w.send(request(13, { text, network: 'cam', image: { bytes: SHAPES_PNG, fileName: 'shapes.png' }, camClasses: 3 }));
    const end = await w.end(13);
    assert.equal(end.type, 'done', JSON.stringify(end));
    if (end.type !== 'done') return;
    const kinds = analyze(text).networks[0].layers.map((l) => l.decl.spec.kind);
    const cam = end.cam!;
    assert.ok(cam, 'cam present');
    assert.deepEqual([cam.featureLayer, cam.gapLayer, cam.fcLayer], [kinds.indexOf('gap') - 1, kinds.indexOf('gap'), kinds.indexOf('fc')]);
    assert.deepEqual([cam.height, cam.width], [16, 16]);
    const logits = await w.floats(13, cam.fcLayer);
    const best = [...logits].map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, 3).map(([, i]) => i);
    assert.deepEqual(cam.classes.map((c) => c.index), best);
    for (const c of cam.classes) {
      const mean = c.map.reduce((s, v) => s + v, 0) / c.map.length;
      // He initialisation leaves the bias at zero, so the score is exactly the map's mean.
      assert.ok(Math.abs(mean - logits[c.index]) < 1e-4 * Math.max(1, Math.abs(logits[c.index])), `class ${c.index}: mean ${mean} vs score ${logits[c.index]}`);
      assert.equal(c.score, logits[c.index]);
    }
    assert.equal(end.top[0].index, best[0]);
  } finally {
    await w.close();
  }
});

test('Run on Image runs a branching network: every kept layer as torch computes it, and a CAM over what the gap reads', async () => {
  const { readNpy } = await import('../../server/src/engine/npy.js');
  const dir = 'test/fixtures/engine/graphs';
  const text = readRepo(`${dir}/resnet-block.cnn`);
  const bytes = (f: string) => new Uint8Array(readFileSync(repoPath(`${dir}/${f}`)));
  const w = new RawWorker();
  try {
    w.send(request(17, {
      text, network: undefined, image: { bytes: bytes('resnet-block/input.npy'), fileName: 'input.npy' },
      weights: { bytes: bytes('resnet-block/weights.safetensors'), fileName: 'weights.safetensors' }, camClasses: 2,
    }));
    const end = await w.end(17);
    assert.equal(end.type, 'done', JSON.stringify(end));
    if (end.type !== 'done') return;
    const layers = analyze(text).networks[0].layers;
    assert.equal(w.of(17).filter((m) => m.type === 'progress').length, layers.length);
    // Every output is kept for the panel (none recycled mid-run), the residual's add included.
    for (let i = 0; i < layers.length; i++) {
      const got = await w.floats(17, i);
      const ref = readNpy(readFileSync(repoPath(`${dir}/resnet-block/out_${String(i).padStart(2, '0')}.npy`))).data;
      const scale = Math.max(...ref.map(Math.abs));
      const diff = Math.max(...got.map((v, k) => Math.abs(v - ref[k])));
      assert.ok(diff <= 1e-4 * scale, `layer ${i} (${layers[i].decl.text}): max diff ${diff}, max |torch| ${scale}`);
    }
    const gap = layers.findIndex((l) => l.decl.spec.kind === 'gap');
    assert.deepEqual([end.cam?.featureLayer, end.cam?.gapLayer], [layers[gap].inputs[0], gap]);
  } finally {
    await w.close();
  }
});

test('the worker keeps the last finished run and the one going; queries give other sizes and channel sums, and say when a run is gone', async () => {
  const text = 'network q\ninput 1x16x16\nconv3-4 pad1\nmaxpool\n';
  const img = { bytes: EDGE_PNG, fileName: 'edge.png' };
  const w = new RawWorker();
  try {
    w.send(request(21, { text, network: 'q', image: img, maxSide: 8 }));
    assert.equal((await w.end(21)).type, 'done');
    const [conv, pool] = w.of(21).filter((m): m is LayerMessage => m.type === 'layer');
    // Sent at the size asked: the 16×16 maps shrunk to 8×8, the 8×8 pool maps as they are.
    assert.deepEqual([conv.tileHeight, conv.tileWidth, conv.pixels.length], [8, 8, 4 * 64]);
    assert.deepEqual([pool.tileHeight, pool.tileWidth], [8, 8]);
    const data = await w.floats(21, 0);
    assert.deepEqual([...conv.pixels], [...quantizeResized(data, 4, 16, 16, 8, 8, conv.min, conv.max)]);
    const small = await w.ask(21, { kind: 'pixels', index: 0, maxSide: 4 });
    assert.ok(small.result?.kind === 'pixels');
    assert.deepEqual([small.result.tileHeight, small.result.tileWidth], [4, 4]);
    assert.deepEqual([...small.result.pixels], [...quantizeResized(data, 4, 16, 16, 4, 4, conv.min, conv.max)]);
    const sum = await w.ask(21, { kind: 'sum', index: 0 });
    assert.ok(sum.result?.kind === 'sum');
    assert.deepEqual([...sum.result.values], [...sumChannels(data, 4, 256)]);
    assert.match((await w.ask(21, { kind: 'pixels', index: 5, maxSide: 4 })).error ?? '', /layer 5 has not run/);

    // A second run: while it goes and after it, the first stays asked about until the second has finished.
    w.send(request(22, { text, network: 'q', image: img }));
    assert.equal((await w.end(22)).type, 'done');
    assert.match((await w.ask(21, { kind: 'floats', index: 0 })).error ?? '', /no longer kept/);
    // Its buffers were reused for the second run's outputs, zeroed first: the same image gives the same maps.
    assert.deepEqual(await w.floats(22, 0), data);

    // A cancelled run is dropped; the last finished one is still there.
    w.send(request(23, { text: SLOW, network: 'slow', image: { bytes: SHAPES_PNG, fileName: 'shapes.png' }, backend: 'typescript' }));
    await w.next((m) => m.id === 23 && m.type === 'progress');
    w.send({ type: 'cancel', id: 23 });
    assert.equal((await w.end(23)).type, 'cancelled');
    assert.match((await w.ask(23, { kind: 'value', index: 0, channel: 0, flat: 0 })).error ?? '', /no longer kept/);
    assert.deepEqual(await w.floats(22, 0), data);
  } finally {
    await w.close();
  }
});

test('no CAM when a hidden fc with a ReLU sits after the gap', async () => {
  const w = new RawWorker();
  try {
    w.send(request(14, { text: readRepo('samples/lecture/05-gap-vs-fc.cnn'), network: 'gap-fc', image: { bytes: SHAPES_PNG, fileName: 'shapes.png' } }));
    const end = await w.end(14);
    assert.equal(end.type, 'done');
    assert.equal(end.type === 'done' && end.cam, undefined);
  } finally {
    await w.close();
  }
});

test('WorkerClient: a run resolves with every layer; an aborted run rejects as cancelled; a stuck worker is replaced', async () => {
  const client = new WorkerClient(WORKER, 50);
  try {
    const params = { text: EDGES, network: 'sobel-x', image: { bytes: EDGE_PNG, fileName: 'edge.png' }, seed: 0, budget: DEFAULT_BUDGET };
    const seen: number[] = [];
    const o = await client.run(params, { onProgress: (m) => seen.push(m.index) });
    assert.deepEqual(seen, [0]);
    assert.deepEqual(o.layers.map((l) => l.shape), [[1, 128, 128]]);
    assert.equal(o.started.network, 'sobel-x');
    // The SIMD kernels, in the build this runtime validates (the FMA one with relaxed SIMD: VS Code, Node 22+).
    assert.equal(o.started.backend, 'simd');
    assert.equal(o.started.kernelBuild, WebAssembly.validate(readFileSync(repoPath('dist/cnnlab-simd-fma.wasm'))) ? 'fma' : 'plain');

    // Aborted while a long layer runs: the worker cannot answer within 50 ms, so it is terminated.
    const slow = { ...params, text: ['network big', 'input 3x224x224', 'conv3-64 pad1', 'conv3-64 pad1'].join('\n'), network: 'big', backend: 'typescript' as const, image: { bytes: SHAPES_PNG, fileName: 'shapes.png' } };
    const controller = new AbortController();
    const p = client.run(slow, { signal: controller.signal, onProgress: () => controller.abort() });
    await assert.rejects(p, (e: unknown) => e instanceof RunError && e.kind === 'cancelled' && e.name === 'AbortError');
    assert.equal(client.busy, false);

    // A fresh worker takes the next run.
    const again = await client.run(params);
    assert.equal(again.layers.length, 1);

    const over = client.run({ ...params, budget: { maxMacs: 10, maxMemoryBytes: 2e9 } });
    await assert.rejects(over, (e: unknown) => e instanceof RunError && e.kind === 'budget' && e.estimate?.macs === 147_456);
  } finally {
    client.dispose();
  }
});

test('WorkerClient: a second run cancels the first; the first rejects as cancelled, the second resolves', async () => {
  const client = new WorkerClient(WORKER);
  try {
    const first = client.run({ text: SLOW, network: 'slow', backend: 'typescript', image: { bytes: SHAPES_PNG, fileName: 'shapes.png' }, seed: 0, budget: DEFAULT_BUDGET });
    const second = client.run({ text: EDGES, network: 'sobel-y', image: { bytes: EDGE_PNG, fileName: 'edge.png' }, seed: 0, budget: DEFAULT_BUDGET });
    await assert.rejects(first, (e: unknown) => e instanceof RunError && e.kind === 'cancelled');
    const o = await second;
    assert.equal(o.started.network, 'sobel-y');
    // A vertical edge has no horizontal gradient: sobel-y is zero everywhere except at the padded borders.
    const v = await client.query(o.started.id, { kind: 'value', index: 0, channel: 0, flat: 40 * 128 + 63 });
    assert.deepEqual(v, { kind: 'value', value: 0 });
  } finally {
    client.dispose();
  }
});

test('prepare initialises the weights ahead of the run, which then reuses them; a newer run stops the current one; a queued run cancelled never starts', async () => {
  const text = readRepo('samples/lecture/10-receptive-field.cnn');
  const w = new RawWorker();
  try {
    w.send({ type: 'prepare', id: 900, text, budget: DEFAULT_BUDGET, initialise: { seed: 3 } });
    w.send(request(20, { text, network: undefined, seed: 3, image: { bytes: SHAPES_PNG, fileName: 'shapes.png' } }));
    const started = await w.next((m) => m.id === 20 && m.type === 'started');
    assert.equal(started.type === 'started' && started.paramsCached, true);
    assert.equal((await w.end(20)).type, 'done');
    // A different seed is a different set of weights.
    w.send(request(21, { text, network: undefined, seed: 4, image: { bytes: SHAPES_PNG, fileName: 'shapes.png' } }));
    const s2 = await w.next((m) => m.id === 21 && m.type === 'started');
    assert.equal(s2.type === 'started' && s2.paramsCached, false);
    await w.end(21);
    const prepared = await w.next((m) => m.type === 'prepared' && m.id === 900);
    assert.deepEqual(prepared.type === 'prepared' && [prepared.network?.name, prepared.refusal], ['receptive-field', undefined]);
    // An over-budget prepare is refused and initialises nothing (the next run makes its own weights).
    w.send({ type: 'prepare', id: 901, text: readRepo('samples/vgg16.cnn'), budget: { maxMacs: 1e6, maxMemoryBytes: 1e6 }, initialise: { seed: 4 } });
    const refused = await w.next((m) => m.type === 'prepared' && m.id === 901);
    assert.match(refused.type === 'prepared' ? refused.refusal ?? '' : '', /over the budget of 1\.00 MMACs/);
    // A new run stops the one going (the newest request wins); one cancelled while queued never starts.
    w.send(request(22, { backend: 'typescript', text: SLOW, network: 'slow', image: { bytes: SHAPES_PNG, fileName: 'shapes.png' } }));
    await w.next((m) => m.id === 22 && m.type === 'progress');
    // The cancel goes first: sent after the run, it can reach the worker after run 22 has wound down and
    // run 23 has started (seen once in CI), and then 23 is no longer queued. Sent first, 23 is queued
    // behind 22 when its cancel is already known, whatever the timing.
    w.send({ type: 'cancel', id: 23 });
    w.send(request(23));
    assert.equal((await w.end(22)).type, 'cancelled');
    assert.equal((await w.end(23)).type, 'cancelled');
    assert.deepEqual(w.of(23).map((m) => m.type), ['cancelled']);
    w.send(request(24));
    assert.equal((await w.end(24)).type, 'done');
  } finally {
    await w.close();
  }
});

test('Run on Image with a .pth checkpoint: the same floats as its .safetensors; a hostile one is a weights error naming the global', async () => {
  const dir = 'test/fixtures/pth';
  const text = readRepo(`${dir}/net.cnn`);
  const bytes = (f: string) => new Uint8Array(readFileSync(repoPath(`${dir}/${f}`)));
  const image = { bytes: bytes('input.npy'), fileName: 'input.npy' };
  const w = new RawWorker();
  try {
    // One run at a time: a newer run stops the current one, and only the latest run's floats are kept.
    const floats: Float32Array[][] = [];
    for (const [id, file] of [[40, 'seq.safetensors'], [41, 'seq_model.pth']] as const) {
      w.send(request(id, { text, network: undefined, image, weights: { bytes: bytes(file), fileName: file } }));
      assert.equal((await w.end(id)).type, 'done', file);
      floats.push(await Promise.all([0, 1, 2, 3].map((i) => w.floats(id, i))));
    }
    assert.deepEqual(floats[1], floats[0]);

    w.send(request(42, { text, network: undefined, image, weights: { bytes: bytes('evil_system.pth'), fileName: 'evil_system.pth' } }));
    const e = await w.end(42);
    assert.equal(e.type === 'error' && e.kind, 'weights', JSON.stringify(e));
    assert.match(e.type === 'error' ? e.message : '', /refused to load evil_system\.pth: it asks to call posix\.system, and CNN Lab only reads tensors/);
  } finally {
    await w.close();
  }
});

/** A Log that keeps its entries, for asserting what was reported. */
function memoryLog(): Log & { readonly entries: string[] } {
  const entries: string[] = [];
  return { entries, info: (m) => entries.push(`info: ${m}`), warn: (m) => entries.push(`warn: ${m}`), error: (m) => entries.push(`error: ${m}`) };
}

test('when the SIMD kernels cannot load, the run says so: TypeScript kernels, a backendNote with the reason, and the client logs it', async () => {
  // The variable names the kernels' file; the bundle has no kernels.wat to assemble instead.
  const missing = '/nonexistent/cnnlab-simd.wasm';
  const w = new RawWorker({ CNNLAB_SIMD_WASM: missing });
  try {
    w.send(request(30));
    const started = await w.next((m) => m.id === 30 && m.type === 'started');
    assert.ok(started.type === 'started');
    assert.equal(started.backend, 'typescript');
    assert.equal(started.kernelBuild, undefined);
    assert.match(started.backendNote ?? '', /^the WebAssembly SIMD kernels did not load \(SIMD kernels not found: looked for \/nonexistent\/cnnlab-simd\.wasm and .*kernels\.wat\); the slower TypeScript kernels run instead$/);
    assert.equal((await w.end(30)).type, 'done');
    // Asking for the TypeScript kernels is no fallback: no note.
    w.send(request(31, { backend: 'typescript' }));
    const s2 = await w.next((m) => m.id === 31 && m.type === 'started');
    assert.equal(s2.type === 'started' && s2.backendNote, undefined);
  } finally {
    await w.close();
  }

  const saved = process.env.CNNLAB_SIMD_WASM;
  process.env.CNNLAB_SIMD_WASM = missing; // the client's worker copies the environment when it starts
  const log = memoryLog();
  const client = new WorkerClient(WORKER, 1500, log);
  try {
    const o = await client.run({ text: EDGES, network: 'sobel-x', image: { bytes: EDGE_PNG, fileName: 'edge.png' }, seed: 0, budget: DEFAULT_BUDGET });
    assert.equal(o.started.backend, 'typescript');
    assert.ok(log.entries.some((e) => /^warn: run 1 \(sobel-x\): the WebAssembly SIMD kernels did not load \(SIMD kernels not found/.test(e)), log.entries.join('\n'));
  } finally {
    client.dispose();
    if (saved === undefined) delete process.env.CNNLAB_SIMD_WASM;
    else process.env.CNNLAB_SIMD_WASM = saved;
  }
});

test('WorkerClient logs what it used to swallow: a callback that throws (the run goes on) and a failed run with its detail', async () => {
  const log = memoryLog();
  const client = new WorkerClient(WORKER, 1500, log);
  try {
    const params = { text: EDGES, network: 'sobel-x', image: { bytes: EDGE_PNG, fileName: 'edge.png' }, seed: 0, budget: DEFAULT_BUDGET };
    const o = await client.run(params, { onProgress: () => { throw new TypeError('the progress bar is gone'); } });
    assert.equal(o.layers.length, 1, 'the run finished despite the callback');
    assert.ok(log.entries.some((e) => /^error: run 1: the onProgress callback failed: TypeError: the progress bar is gone\n\s+at /.test(e)), log.entries.join('\n'));
    // A damaged JPEG: the user's message says what is wrong; the log also has the decoder's own words.
    const good = goodJpeg(16, 16);
    const badScan = good.slice();
    badScan[good.findIndex((b, i) => b === 0xff && good[i + 1] === 0xda) + 5] = 99; // a colour component the frame lacks
    await assert.rejects(client.run({ ...params, image: { bytes: badScan, fileName: 'scan.jpg' } }),
      (e: unknown) => e instanceof RunError && e.kind === 'input' && e.message === 'scan.jpg: the JPEG is damaged: its compressed data cannot be decoded');
    const entry = log.entries.find((e) => e.startsWith('error: run 2 failed (input): scan.jpg: the JPEG is damaged'));
    assert.match(entry ?? '', /\ncaused by: TypeError: Cannot set properties of undefined \(setting 'huffmanTableDC'\)/, log.entries.join('\n'));
  } finally {
    client.dispose();
  }
});

test('hostile images reach the worker as typed input errors: a PNG bomb, and a JPEG whose decoding the memory budget leaves no room for', async () => {
  const w = new RawWorker();
  try {
    w.send(request(40, { image: { bytes: pngBomb(1024), fileName: 'bomb.png' } }));
    const e1 = await w.end(40);
    assert.ok(e1.type === 'error' && e1.kind === 'input', JSON.stringify(e1));
    assert.match(e1.message, /^bomb\.png: not a valid PNG: its image data inflates to more than the 2 bytes a 1×1 image needs/);
    // The budget's 2 GB less the network's needs leave less than the 3.5 GB decoding and converting would take.
    w.send(request(41, { image: { bytes: lyingJpeg(10000, 10000), fileName: 'lying.jpg' } }));
    const e2 = await w.end(41);
    assert.ok(e2.type === 'error' && e2.kind === 'input', JSON.stringify(e2));
    assert.match(e2.message, /^lying\.jpg: decoding and converting this 10000×10000 JPEG needs about 3\.5 GB of memory, more than the 2\.0 GB it may use \(what the run's memory budget leaves after the network's 1 MB\); use a smaller image or raise the budget$/);
    w.send(request(42));
    assert.equal((await w.end(42)).type, 'done', 'the worker lives on');
  } finally {
    await w.close();
  }
});

test('prepare answers for the extension: the network at the cursor (the language server\'s rule), every network, and the refusal planRun gives', async () => {
  const client = new WorkerClient(WORKER);
  try {
    const text = EDGES;
    const a = analyze(text);
    const budget = DEFAULT_BUDGET;
    // Past a network's last line (a blank or comment line before the next one) is still that network.
    const gap = text.indexOf('network laplacian') - 1;
    const byOffset = await client.prepare({ text, budget, offset: gap });
    assert.deepEqual(byOffset.networks, a.networks.map((n) => n.name));
    assert.deepEqual(byOffset.network, { name: 'sobel-y', kernels: 'fixed', layers: ['conv3-1 pad1 sobely'] });
    assert.equal(byOffset.refusal, undefined);
    assert.equal((await client.prepare({ text, budget, offset: text.indexOf('conv3-1 pad1 laplacian') })).network?.name, 'laplacian');
    assert.equal((await client.prepare({ text, budget })).network?.name, 'sobel-x');
    // A name wins over the cursor; a name the file no longer has picks nothing.
    assert.equal((await client.prepare({ text, budget, offset: 0, network: 'box-blur' })).network?.name, 'box-blur');
    assert.equal((await client.prepare({ text, budget, network: 'gone' })).network, undefined);
    // The default name names a file without a `network` line; a file without layers has no network.
    const implicit = await client.prepare({ text: 'input 3x8x8\nconv3-4 pad1\nfc-2\n', budget, defaultName: 'tiny' });
    assert.deepEqual(implicit.network, { name: 'tiny', kernels: 'random', layers: ['conv3-4 pad1', 'fc-2'] });
    assert.deepEqual(await client.prepare({ text: '# nothing yet\n', budget }), { type: 'prepared', id: implicit.id + 1, networks: [] });
    // Refusals are the words planRun says to the editor: errors first, then the budget.
    const broken = 'network broken\ninput 3x8x8\nconv3-4 pad1\nmaxpool\nmaxpool\nmaxpool\nmaxpool\n';
    const r1 = await client.prepare({ text: broken, budget });
    assert.equal(r1.network?.name, 'broken');
    assert.match(r1.refusal ?? '', /^network 'broken' has 1 error; fix it before running \(line \d+: /);
    assert.throws(() => planRun(analyze(broken), 'broken', budget, 'all', 'editor'), (e: Error) => e.message === r1.refusal);
    const small = { maxMacs: 1e9, maxMemoryBytes: 2e9 };
    const r2 = await client.prepare({ text: readRepo('samples/vgg16.cnn'), budget: small });
    assert.match(r2.refusal ?? '', /^this run would take 15\.47 GMACs \(15,470,264,320\) and .* over the budget of 1\.00 GMACs .*cnnLab\.run\.maxGigaMacs/);
    assert.throws(() => planRun(analyze(readRepo('samples/vgg16.cnn')), 'vgg16', small, 'all', 'editor'), (e: Error) => e.message === r2.refusal);
  } finally {
    client.dispose();
  }
});

test('export and import run in the worker: the same ONNX and PyTorch files as the exporters give, and an ONNX model back as text and weights', async () => {
  const client = new WorkerClient(WORKER);
  try {
    const text = readRepo('samples/lecture/05-gap-vs-fc.cnn');
    const a = analyze(text);
    const name = a.networks[0].name;
    const onnx = await client.exportModel({ text, network: name, format: 'onnx', source: '05-gap-vs-fc.cnn', seed: 2 });
    const plan = planRun(a, name, { maxMacs: Infinity, maxMemoryBytes: Infinity }, 'last');
    const direct = EXPORT_FORMATS.onnx!.write(a, plan, initParams(plan.inputShape, plan.layers, 2, plan.inputs), {
      doc: `${name} from 05-gap-vs-fc.cnn, He-initialised weights (seed 2)`,
    });
    assert.ok(onnx.main instanceof Uint8Array && onnx.main.length > 1000, `${onnx.main.length} bytes`);
    assert.ok(Buffer.from(onnx.main).equals(Buffer.from(direct)), 'the worker\'s ONNX file is the exporter\'s, byte for byte');
    assert.equal(onnx.description, EXPORT_FORMATS.onnx!.description);
    // Back through the worker: the text, the figures and the weights the importer gives.
    const imported = await client.importModel({ bytes: onnx.main, name: 'back', label: 'back.onnx' });
    const expected = importOnnx(direct, { name: 'back', label: 'back.onnx' });
    assert.deepEqual(imported.problems, []);
    assert.equal(imported.text, expected.text);
    assert.deepEqual([imported.network, imported.layers, imported.params, imported.macs], [expected.network, expected.layers, expected.params, expected.macs]);
    assert.equal(imported.params, a.networks[0].totals.params);
    const tensors = parseSafetensors(imported.weights!);
    assert.deepEqual(tensors.map((t) => t.name), expected.tensors.map((t) => t.name));
    assert.deepEqual([...tensors[0].data!], [...expected.tensors[0].data]);
    // With a weights file (cnnLab.run.weights, read by the extension and sent as bytes) the model carries
    // those weights, not a seed's: the seed-2 weights that came back, exported again, come back the same.
    const withWeights = await client.exportModel({
      text, network: name, format: 'onnx', source: '05-gap-vs-fc.cnn', weights: { bytes: imported.weights!, fileName: 'back.safetensors' },
    });
    const again = parseSafetensors((await client.importModel({ bytes: withWeights.main, name: 'again', label: 'again.onnx' })).weights!);
    assert.deepEqual(again.map((t) => t.name), tensors.map((t) => t.name));
    const bytes = (d: Float32Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    again.forEach((t, i) => assert.ok(bytes(t.data!).equals(bytes(tensors[i].data!)), `${t.name}: other values than the weights file's`));
    // PyTorch: the module's source and its state_dict, as pytorchFiles writes them.
    const py = await client.exportModel({ text, network: name, format: 'pytorch', source: '05-gap-vs-fc.cnn', seed: 0 });
    const files = pytorchFiles(a, '05-gap-vs-fc.cnn', { network: name, seed: 0 });
    assert.equal(new TextDecoder().decode(py.main), files.source);
    assert.ok(Buffer.from(py.weights!).equals(Buffer.from(files.weights!)));
    const bare = await client.exportModel({ text, network: name, format: 'pytorch', source: '05-gap-vs-fc.cnn' });
    assert.equal(bare.weights, undefined);
    // What cannot be exported or imported is said, for the user, and the worker lives on.
    await assert.rejects(client.exportModel({ text, network: 'gone', format: 'onnx', source: 'x.cnn', seed: 0 }), /no network named 'gone'/);
    await assert.rejects(client.importModel({ bytes: new Uint8Array([1, 2, 3]), name: 'junk', label: 'junk.onnx' }), /junk\.onnx/);
    assert.equal((await client.prepare({ text, budget: DEFAULT_BUDGET })).network?.name, name);
  } finally {
    client.dispose();
  }
});
