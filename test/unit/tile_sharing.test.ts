/**
 * Tiles a layer shares with the layer it reads (display.ts shareTiles, model.ts sharePixels): the
 * panel leaves them out of a layer's pixels message and the page puts them back from the pixels it
 * already has. What the page draws must be exactly what the layer's own pixels would draw, so the
 * round trip is checked byte for byte on real runs of the real worker (dist/worker.js; build first).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { shareTiles, TileSource, unshareTiles } from '../../server/src/run/display.js';
import { writeNpy, writeSafetensors } from '../../server/src/engine/index.js';
import { WorkerClient, type RunOutcome } from '../../client/src/run/workerClient.js';
import { buildRun, pixelsMessage, sharePixels } from '../../client/src/run/model.js';
import type { ToView } from '../../client/src/run/messages.js';
import { readRepo, repoPath } from '../helpers/core.js';
import { stream, zooWeights } from '../helpers/zooweights.js';

type PixelsMessage = Extract<ToView, { type: 'layerPixels' }>;

const client = new WorkerClient(repoPath('dist/worker.js'));
after(() => client.dispose());

test('shareTiles keeps the tiles equal to the source\'s or inverted, byte for byte; unshareTiles puts them back', () => {
  // Three tiles of 4 bytes: the first equal to the source's, the second its inverse, the third its own.
  const source = Uint8Array.from([0, 10, 200, 255, 1, 2, 3, 4, 9, 9, 9, 9]);
  const own = Uint8Array.from([0, 10, 200, 255, 254, 253, 252, 251, 9, 9, 9, 8]);
  const s = shareTiles(source, own, 3)!;
  assert.deepEqual([...s.codes], [TileSource.Same, TileSource.Inverted, TileSource.Own]);
  assert.deepEqual([...s.pixels], [9, 9, 9, 8]);
  assert.deepEqual([...unshareTiles(source, s.codes, s.pixels)], [...own]);
  // A constant tile (all 0) equals a constant source tile, not its inverse (all 255).
  assert.deepEqual([...shareTiles(Uint8Array.of(0, 0), Uint8Array.of(0, 0), 1)!.codes], [TileSource.Same]);
  // Nothing to share, or tiles of another size: no sharing at all.
  assert.equal(shareTiles(source, Uint8Array.from(source, (v) => (v + 1) & 255), 3), undefined);
  assert.equal(shareTiles(source, own.subarray(0, 8), 2), undefined);
  // Bytes that do not fit the codes are refused, never drawn as something else.
  assert.throws(() => unshareTiles(source, s.codes, Uint8Array.of(1, 2, 3)), /1 own tiles of 4 bytes, but 3 bytes came/);
  assert.throws(() => unshareTiles(source, Uint8Array.of(0, 1, 7), s.pixels), /unknown source 7/);
});

/** Posts every layer's pixels as the panel does (sharePixels against what was sent) and rebuilds them as the page does. */
function throughThePage(outcome: RunOutcome): { sent: number; whole: number; shared: Map<number, number>; wrong: string[] } {
  const origin = { uri: 'file:///n.cnn', network: 'n', image: 'file:///i.npy', seed: 0 };
  const run = buildRun({ runId: 1, origin, sourceName: 'n.cnn', imageName: 'i.npy' }, outcome);
  const sentToPage = new Map<number, PixelsMessage>();
  const page = new Map<number, Uint8Array>();
  const shared = new Map<number, number>();
  const wrong: string[] = [];
  let sent = 0;
  let whole = 0;
  for (const o of outcome.layers) {
    const m = pixelsMessage(run, o);
    const out = sharePixels(m, run.view.layers[o.index].inputs, sentToPage);
    sentToPage.set(o.index, m);
    sent += out.pixels.length;
    whole += m.pixels.length;
    let px = out.pixels;
    if (out.shared) {
      shared.set(o.index, out.shared.codes.filter((c) => c !== TileSource.Own).length);
      px = unshareTiles(page.get(out.shared.from)!, out.shared.codes, out.pixels);
    }
    page.set(o.index, px);
    if (Buffer.compare(px, m.pixels) !== 0) wrong.push(`layer ${o.index} (${run.view.layers[o.index].text})`);
  }
  return { sent, whole, shared, wrong };
}

test('resnet18 with PyTorch\'s weights: every batch norm\'s tiles go as its convolution\'s, and the page draws each layer\'s own bytes', async () => {
  const text = readRepo('samples/zoo/resnet18.cnn');
  const keys = JSON.parse(readRepo('test/fixtures/torch/zoo_weights.json')).models.resnet18.keys as [string, number[]][];
  const o = await client.run({
    text, defaultName: 'resnet18', image: { bytes: writeNpy([3, 224, 224], stream('input', 3 * 224 * 224, (u) => 2 * u - 1)), fileName: 'input.npy' },
    weights: { bytes: writeSafetensors(zooWeights(keys)), fileName: 'resnet18.safetensors' },
    seed: 0, budget: { maxMacs: Infinity, maxMemoryBytes: Infinity }, maxSide: 72, threads: 2,
  });
  const r = throughThePage(o);
  assert.deepEqual(r.wrong, []);
  const kinds = o.started.layers.map((l) => l.kind);
  const bns = kinds.flatMap((k, i) => (k === 'bn' ? [i] : []));
  assert.equal(bns.length, 20);
  // A tile is shared only when every byte matches: float rounding may leave a rare tile out.
  for (const i of bns) {
    const channels = o.started.layers[i].layout.channels;
    assert.ok((r.shared.get(i) ?? 0) >= 0.95 * channels, `bn layer ${i}: ${r.shared.get(i) ?? 0} of ${channels} tiles shared`);
  }
  assert.ok(r.sent < 0.8 * r.whole, `${r.sent} of ${r.whole} bytes sent`);
});

test('a batch norm with negative scales: its tiles go as its convolution\'s inverted; a ReLU shares only tiles it leaves as they are', async () => {
  const text = 'network n\ninput 3x16x16\nconv3-4 pad1\nbn\nrelu\n';
  const conv = stream('w', 4 * 3 * 9, (u) => 2 * u - 1);
  // Channels 0 and 2 have a negative scale, 1 and 3 a positive one; the shifts keep channel 3 positive.
  const weights = writeSafetensors([
    { name: '0.weight', shape: [4, 3, 3, 3], data: conv },
    { name: '0.bias', shape: [4], data: Float32Array.of(0, 0, 0, 20) },
    { name: '1.weight', shape: [4], data: Float32Array.of(-1.5, 0.7, -0.2, 2) },
    { name: '1.bias', shape: [4], data: Float32Array.of(0.1, -0.3, 0, 50) },
    { name: '1.running_mean', shape: [4], data: Float32Array.of(0, 0.5, -0.5, 0) },
    { name: '1.running_var', shape: [4], data: Float32Array.of(1, 2, 0.5, 1) },
  ]);
  const o = await client.run({
    text, defaultName: 'n', image: { bytes: writeNpy([3, 16, 16], stream('x', 768, (u) => 2 * u - 1)), fileName: 'x.npy' },
    weights: { bytes: weights, fileName: 'n.safetensors' }, seed: 0, budget: { maxMacs: Infinity, maxMemoryBytes: Infinity }, maxSide: 72, threads: 1,
  });
  const origin = { uri: 'file:///n.cnn', network: 'n', image: 'file:///x.npy', seed: 0 };
  const run = buildRun({ runId: 1, origin, sourceName: 'n.cnn', imageName: 'x.npy' }, o);
  const [c, b, relu] = o.layers.map((l) => pixelsMessage(run, l));
  const sent = new Map([[0, c]]);
  const bn = sharePixels(b, [0], sent);
  assert.deepEqual([...bn.shared!.codes], [TileSource.Inverted, TileSource.Same, TileSource.Inverted, TileSource.Same]);
  assert.equal(bn.pixels.length, 0);
  assert.deepEqual([...unshareTiles(c.pixels, bn.shared!.codes, bn.pixels)], [...b.pixels]);
  // The ReLU clips the channels that go below 0; channel 3 (conv bias 20, bn shift 50) stays positive.
  sent.set(1, b);
  const r = sharePixels(relu, [1], sent);
  assert.equal(r.shared!.codes[3], TileSource.Same);
  assert.ok(r.shared!.codes.filter((x) => x === TileSource.Own).length >= 2);
  // Sizes or runs that differ, or a layer reading two: the whole pixels go.
  assert.equal(sharePixels(b, [0], new Map([[0, { ...c, tileWidth: 8 }]])), b);
  assert.equal(sharePixels(b, [0], new Map([[0, { ...c, runId: 2 }]])), b);
  assert.equal(sharePixels(b, [0, 1], sent), b);
});
