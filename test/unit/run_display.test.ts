/**
 * The pure logic behind the feature-map panel: receptive-field boxes (sizes and clipping checked on
 * VGG16 against the analysis), where a map sits over the input, class-activation maps against a hand
 * computation, the 8-bit channel scaling, the display layout, the extension's network picking and run
 * model, the page's content security policy and the network diagram.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  channelRanges, classActivationMap, displayLayout, findCamLayers, inputToRgba, mapPlacement, quantizeChannels, quantizeResized, tileSize,
  receptiveFieldBox, sumChannels, topValues, type FieldGeometry,
} from '../../server/src/run/display.js';
import { DEFAULT_BUDGET } from '../../server/src/run/budget.js';
import type { LayerMessage, StartedMessage } from '../../server/src/run/workerProtocol.js';
import { indexOf } from '../../server/src/features/locate.js';
import { addLayer, buildRun, finishRun, layerPixels, startRun } from '../../client/src/run/model.js';
import { defaultNetworkName } from '../../server/src/language/names.js';
import { budgetFromSettings } from '../../server/src/run/budget.js';
import { layerViews, networkKernels, networkTable, pickNetwork } from '../../server/src/run/describe.js';
import { featureMapsHtml } from '../../client/src/run/html.js';
import { isFromView, parseRunOrigin, parseViewState } from '../../client/src/run/messages.js';
import { makeNonce } from '../../client/src/webviewHtml.js';
import { channelLog } from '../../client/src/run/log.js';
import { diagramSvg } from '../../client/src/webview/diagram.js';
import { analyzeSample, net, readRepo } from '../helpers/core.js';
import { analyze } from '../../server/src/analysis/analyze.js';

const field = (l: { rf?: readonly [number, number]; jump?: readonly [number, number]; padding?: readonly [number, number] }): FieldGeometry => {
  assert.ok(l.rf && l.jump && l.padding, 'layer has a field');
  return { rf: l.rf, jump: l.jump, padding: l.padding };
};

test('a conv3 pad1 on the input: each unit sees a 3×3 patch, the corner one partly padding', () => {
  const vgg = net(analyzeSample('samples/vgg16.cnn'));
  const g = field(vgg.layers[0]);
  const corner = receptiveFieldBox(g, 0, 0, 224, 224);
  assert.deepEqual([corner.y0, corner.x0, corner.y1, corner.x1, corner.height, corner.width], [-1, -1, 2, 2, 3, 3]);
  assert.deepEqual(corner.visible, { y0: 0, x0: 0, y1: 2, x1: 2, height: 2, width: 2 });
  assert.equal(corner.coversPadding, true);
  const inner = receptiveFieldBox(g, 10, 20, 224, 224);
  assert.deepEqual([inner.y0, inner.x0, inner.y1, inner.x1], [9, 19, 12, 22]);
  assert.equal(inner.coversPadding, false);
  assert.deepEqual(inner.visible, { y0: 9, x0: 19, y1: 12, x1: 22, height: 3, width: 3 });
});

test('VGG16 pool5: 212×212 boxes every 32 pixels, padding 90; the corner unit is clipped, the centre one is not', () => {
  const vgg = net(analyzeSample('samples/vgg16.cnn'));
  const pools = vgg.layers.filter((l) => l.decl.spec.kind === 'maxpool');
  const pool5 = pools[pools.length - 1];
  assert.deepEqual(pool5.out, [512, 7, 7]);
  const g = field(pool5);
  assert.deepEqual(g, { rf: [212, 212], jump: [32, 32], padding: [90, 90] });
  const corner = receptiveFieldBox(g, 0, 0, 224, 224);
  assert.deepEqual([corner.height, corner.width, corner.y0, corner.x0], [212, 212, -90, -90]);
  assert.deepEqual(corner.visible, { y0: 0, x0: 0, y1: 122, x1: 122, height: 122, width: 122 });
  assert.equal(corner.coversPadding, true);
  const centre = receptiveFieldBox(g, 3, 3, 224, 224);
  assert.deepEqual([centre.y0, centre.x0, centre.y1, centre.x1], [6, 6, 218, 218]);
  assert.equal(centre.coversPadding, false);
  const last = receptiveFieldBox(g, 6, 6, 224, 224);
  assert.deepEqual([last.y0, last.y1, last.visible?.y1], [102, 314, 224]);
  // Each unit's cell centred on its field: the 7×7 map covers the image exactly.
  assert.deepEqual(mapPlacement(g, 7, 7), { x: 0, y: 0, width: 224, height: 224 });
  assert.deepEqual(mapPlacement(field(vgg.layers[0]), 224, 224), { x: 0, y: 0, width: 224, height: 224 });
});

test('receptive fields grow as the lecture sample says (3, 5, 6, 10, 14, 16, 24, 40) and boxes have that size', () => {
  const n = net(analyzeSample('samples/lecture/10-receptive-field.cnn'));
  const shaped = n.layers.filter((l) => ['conv', 'maxpool'].includes(l.decl.spec.kind));
  assert.deepEqual(shaped.map((l) => l.rf![0]), [3, 5, 6, 10, 14, 16, 24, 40]);
  for (const l of shaped) {
    const b = receptiveFieldBox(field(l), 2, 3, 64, 64);
    assert.deepEqual([b.height, b.width], [l.rf![0], l.rf![1]]);
    assert.equal(b.y1 - b.y0, l.rf![0]);
  }
  // Non-square: a 1×7 conv sees 1 row and 7 columns.
  const wide = net(analyze('network w\ninput 1x32x32\nconv1x7-4 pad0x3\n'));
  const b = receptiveFieldBox(field(wide.layers[0]), 5, 0, 32, 32);
  assert.deepEqual([b.height, b.width, b.y0, b.x0, b.visible?.width], [1, 7, 5, -3, 4]);
});

test('a unit that sees only padding has no visible box', () => {
  const b = receptiveFieldBox({ rf: [3, 3], jump: [1, 1], padding: [10, 10] }, 0, 0, 8, 8);
  assert.equal(b.visible, null);
  assert.equal(b.coversPadding, true);
});

test('findCamLayers: gap + fc (with flatten, dropout, softmax around) yes; a hidden fc or no gap, no', () => {
  assert.deepEqual(findCamLayers(['conv', 'relu', 'gap', 'fc']), { feature: 1, gap: 2, fc: 3 });
  assert.deepEqual(findCamLayers(['conv', 'relu', 'gap', 'flatten', 'dropout', 'fc', 'softmax']), { feature: 1, gap: 2, fc: 5 });
  assert.equal(findCamLayers(['conv', 'gap', 'fc', 'relu', 'fc']), undefined);
  assert.equal(findCamLayers(['conv', 'gap', 'fc', 'fc']), undefined);
  assert.equal(findCamLayers(['conv', 'maxpool', 'fc']), undefined);
  // In a graph the maps are what the gap reads, and the head after it must be a chain.
  assert.deepEqual(findCamLayers(['conv', 'conv', 'add', 'gap', 'fc'], [[-1], [0], [1, 0], [1], [3]]), { feature: 1, gap: 3, fc: 4 });
  assert.equal(findCamLayers(['conv', 'gap', 'flatten', 'fc'], [[-1], [0], [-1], [2]]), undefined);
  assert.equal(findCamLayers(['gap', 'fc']), undefined);
  assert.equal(findCamLayers(['conv', 'gap']), undefined);
  const vgg = net(analyzeSample('samples/vgg16.cnn'));
  assert.equal(findCamLayers(vgg.layers.map((l) => l.decl.spec.kind)), undefined);
});

test('findCamLayers on the zoo: the maps the gap reads (a ReLU after an add, a ReLU6, a concat) and the last fc past flatten and dropout', () => {
  const want: Record<string, { feature: string; reads: number; between: string[] }> = {
    resnet18: { feature: 'relu', reads: 1, between: ['flatten'] },
    resnet50: { feature: 'relu', reads: 1, between: ['flatten'] },
    mobilenet_v2: { feature: 'relu6', reads: 1, between: ['flatten', 'dropout'] },
    densenet121: { feature: 'relu', reads: 1, between: ['flatten'] },
    googlenet: { feature: 'concat', reads: 4, between: ['flatten', 'dropout'] },
  };
  for (const [name, w] of Object.entries(want)) {
    const n = net(analyzeSample(`samples/zoo/${name}.cnn`));
    const kinds = n.layers.map((l) => l.decl.spec.kind);
    const cam = findCamLayers(kinds, n.layers.map((l) => l.inputs));
    assert.ok(cam, name);
    const gap = kinds.lastIndexOf('gap');
    assert.deepEqual([cam.gap, cam.fc, cam.feature], [gap, n.layers.length - 1, n.layers[gap].inputs[0]], name);
    assert.equal(kinds[cam.feature], w.feature, name);
    assert.equal(n.layers[cam.feature].inputs.length, w.reads, name);
    if (w.feature === 'relu' && name.startsWith('resnet')) assert.equal(kinds[n.layers[cam.feature].inputs[0]], 'add', name);
    assert.deepEqual(kinds.slice(gap + 1, -1), w.between, name);
  }
  // The U-Net ends in a 1x1 conv: no CAM.
  const unet = net(analyzeSample('samples/zoo/unet.cnn'));
  assert.equal(findCamLayers(unet.layers.map((l) => l.decl.spec.kind), unet.layers.map((l) => l.inputs)), undefined);
});

test('classActivationMap against a hand computation, and its mean is the fc of the gap', () => {
  // A is (C=2, H=2, W=2); the fc weight is (K=2, C=2).
  const A = new Float32Array([1, 2, 3, 4, /* channel 1 */ 0, 1, 0, 1]);
  const W = new Float32Array([1, -1, /* class 1 */ 0.5, 2]);
  // CAM_0 = 1·A0 − 1·A1 = [1, 1, 3, 3]; CAM_1 = 0.5·A0 + 2·A1 = [0.5, 3, 1.5, 4].
  assert.deepEqual([...classActivationMap(A, 2, 4, W, 0)], [1, 1, 3, 3]);
  assert.deepEqual([...classActivationMap(A, 2, 4, W, 1)], [0.5, 3, 1.5, 4]);
  // gap(A) = [2.5, 0.5]; fc: class 0 = 2.5 − 0.5 = 2 = mean(CAM_0), class 1 = 1.25 + 1 = 2.25 = mean(CAM_1).
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.equal(mean(classActivationMap(A, 2, 4, W, 0)), 2);
  assert.equal(mean(classActivationMap(A, 2, 4, W, 1)), 2.25);
  assert.throws(() => classActivationMap(A, 2, 4, W, 2), /no row 2/);
  assert.throws(() => classActivationMap(A, 3, 4, W, 0), /not 3×4/);
});

test('channel ranges and 8-bit scaling: per channel, constant channels black, NaN and infinities ignored', () => {
  const data = new Float32Array([0, 5, 10, 2.5, /* constant */ 7, 7, 7, 7, /* odd values */ NaN, -Infinity, 1, 3]);
  const { min, max } = channelRanges(data, 3, 4);
  assert.deepEqual([...min], [0, 7, 1]);
  assert.deepEqual([...max], [10, 7, 3]);
  const q = quantizeChannels(data, 3, 4, min, max);
  assert.deepEqual([...q], [0, 128, 255, 64, 0, 0, 0, 0, 0, 0, 0, 255]);
  // Values outside the range are clamped, not wrapped.
  assert.deepEqual([...quantizeChannels(new Float32Array([-5, 20]), 1, 2, new Float32Array([0]), new Float32Array([10]))], [0, 255]);
  assert.deepEqual([...sumChannels(new Float32Array([1, 2, 3, 4, 10, 20, 30, 40]), 2, 4)], [11, 22, 33, 44]);
});

test('tiles shrink to the size asked for, keeping their aspect; averaging matches a direct mean of each block', () => {
  const map = { vector: false, channels: 2, height: 224, width: 112, plane: 224 * 112 };
  assert.deepEqual(tileSize(map, 72), { height: 72, width: 36 });
  assert.deepEqual(tileSize(map, 300), { height: 224, width: 112 });
  assert.deepEqual(tileSize({ ...map, height: 7, width: 7, plane: 49 }, 72), { height: 7, width: 7 });
  assert.deepEqual(tileSize(displayLayout([4096]), 8), { height: 64, width: 64 });
  // 7×5 → 3×2 with unequal blocks (rows 0–1, 2–3, 4–6; columns 0–1, 2–4), against a plain loop.
  const [c, h, w, th, tw] = [2, 7, 5, 3, 2];
  const data = new Float32Array(c * h * w).map((_, i) => Math.sin(i * 1.7) * 10);
  const { min, max } = channelRanges(data, c, h * w);
  const got = quantizeResized(data, c, h, w, th, tw, min, max);
  for (let ch = 0; ch < c; ch++) {
    for (let r = 0; r < th; r++) {
      for (let q = 0; q < tw; q++) {
        const ys = [Math.floor((r * h) / th), Math.floor(((r + 1) * h) / th)];
        const xs = [Math.floor((q * w) / tw), Math.floor(((q + 1) * w) / tw)];
        let s = 0, n = 0;
        for (let y = ys[0]; y < ys[1]; y++) for (let x = xs[0]; x < xs[1]; x++) { s += data[ch * h * w + y * w + x]; n++; }
        const want = Math.round(((s / n - min[ch]) / (max[ch] - min[ch])) * 255);
        assert.ok(Math.abs(got[ch * th * tw + r * tw + q] - want) <= 1, `channel ${ch} pixel (${r}, ${q}): ${got[ch * th * tw + r * tw + q]} vs ${want}`);
      }
    }
  }
  // At the same size each value is scaled from its channel's range, as worked out by hand: channel 0
  // spans 0..15 (a step of 17 per unit), channel 1 spans −2..3 (51 per unit); outside values clamp.
  const small = new Float32Array([0, 1, 7.5, 15, /* channel 1 */ -2, 3, 0.5, 9]);
  const same = quantizeResized(small, 2, 2, 2, 2, 2, new Float32Array([0, -2]), new Float32Array([15, 3]));
  assert.deepEqual([...same], [0, 17, 128, 255, 0, 255, 128, 255]);
  assert.throws(() => quantizeResized(data, c, h, w, 8, 5, min, max), /cannot shrink 7×5 to 8×5/);
});

test('display layout: maps tile by channel; vectors and C×1×1 maps are one near-square tile', () => {
  assert.deepEqual(displayLayout([64, 224, 224]), { vector: false, channels: 64, height: 224, width: 224, plane: 224 * 224 });
  assert.deepEqual(displayLayout([1000]), { vector: true, channels: 1, height: 32, width: 32, plane: 1000 });
  assert.deepEqual(displayLayout([512, 1, 1]), { vector: true, channels: 1, height: 23, width: 23, plane: 512 });
  assert.deepEqual(displayLayout([1, 1, 1]), { vector: true, channels: 1, height: 1, width: 1, plane: 1 });
});

test('topValues matches a full sort and skips NaN', () => {
  const data = new Float32Array(1000).map((_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
  data[17] = NaN;
  const want = [...data].map((value, index) => ({ index, value })).filter((e) => !Number.isNaN(e.value))
    .sort((a, b) => b.value - a.value || a.index - b.index).slice(0, 5);
  assert.deepEqual(topValues(data, 5), want);
  assert.deepEqual(topValues(new Float32Array([1, 3, 2]), 10).map((e) => e.index), [1, 2, 0]);
});

test('inputToRgba undoes ImageNet normalisation and stretches a .npy range', () => {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const rgb = [0.2, 0.6, 1];
  const data = new Float32Array(rgb.map((v, c) => (v - mean[c]) / std[c]));
  const img = inputToRgba(data, [3, 1, 1], { kind: 'normalised', mean, std });
  assert.deepEqual([...img.rgba], [51, 153, 255, 255]);
  const grey = inputToRgba(new Float32Array([-2, 0, 2, 6]), [1, 2, 2], { kind: 'range' });
  assert.deepEqual([...grey.rgba].filter((_, i) => i % 4 === 0), [0, 64, 128, 255]);
});

test('pickNetwork: by name, by the cursor, else the first; defaultNetworkName is the file base name', () => {
  const text = readRepo('samples/lecture/09-edges.cnn');
  const a = analyze(text);
  assert.equal(pickNetwork(a, text.indexOf('conv3-1 pad1 laplacian'))?.name, 'laplacian');
  assert.equal(pickNetwork(a, text.indexOf('network sobel-y'))?.name, 'sobel-y');
  assert.equal(pickNetwork(a, 0)?.name, 'sobel-x');
  assert.equal(pickNetwork(a)?.name, 'sobel-x');
  // Past a network's last line (a blank or comment line before the next one) is still that network, as the
  // status bar says: one rule for "the network at the cursor" (analysis' networkAtOffset).
  const gap = text.indexOf('network laplacian') - 1;
  assert.ok(gap > 0 && !/\S/.test(text[gap]) && gap > net(a, 'sobel-y').decl.span.end);
  assert.equal(pickNetwork(a, gap)?.name, 'sobel-y');
  assert.equal(pickNetwork(a, gap)?.name, indexOf(a).networkAt(gap)?.name);
  assert.equal(pickNetwork(a, 0, 'box-blur')?.name, 'box-blur');
  assert.equal(pickNetwork(a, 0, 'gone'), undefined);
  assert.equal(defaultNetworkName('file:///home/me/my%20net.cnn'), 'my net');
  assert.equal(defaultNetworkName('C:\\nets\\tiny.cnn'), 'tiny');
  assert.deepEqual(budgetFromSettings(2, 500), { maxMacs: 2e9, maxMemoryBytes: 500e6 });
  assert.deepEqual(budgetFromSettings(undefined, -1), DEFAULT_BUDGET);
});

/**
 * A worker's layer message written out by hand: `pixels` as the worker would send them for a map of
 * `shape` at tiles of tileHeight×tileWidth, each channel scaled from [min[c], max[c]].
 */
function layerMessage(index: number, shape: number[], tile: [number, number], pixels: number[], min: number[], max: number[]): LayerMessage {
  return {
    type: 'layer', id: 1, index, shape, tileHeight: tile[0], tileWidth: tile[1],
    pixels: new Uint8Array(pixels), min: new Float32Array(min), max: new Float32Array(max),
  };
}

/**
 * The tiny network's conv output 0, 1, …, 31 as 2 channels of 4×4: channel 0 spans 0..15 and channel 1
 * 16..31, so each unit is 17 grey levels above the one before it in its channel.
 */
const CONV_PIXELS = Array.from({ length: 32 }, (_, i) => 17 * (i % 16));
const convLayer = (): LayerMessage => layerMessage(0, [2, 4, 4], [4, 4], CONV_PIXELS, [0, 16], [15, 31]);
/** Its fc output [1, 2, 3]: a vector is one tile of ⌈√3⌉ = 2 columns and 2 rows, its three values 0, 128, 255. */
const fcLayer = (): LayerMessage => layerMessage(1, [3], [2, 2], [0, 128, 255], [1], [3]);

const TINY = 'network t\ninput 1x4x4\nconv3-2 pad1\nfc-3\n';

/** The worker's 'started' message for network `t` of TINY, described from its analysis as the worker does (describe.ts). */
function started(): StartedMessage {
  const a = analyze(TINY);
  const n = a.networks[0];
  return {
    type: 'started', id: 1, network: 't', layers: layerViews(a, n), table: networkTable(a, n), kernels: networkKernels(n),
    inputShape: [1, 4, 4], macs: 1, memoryBytes: 1,
    backend: 'typescript', paramsCached: false, loadMs: 1, input: { width: 4, height: 4, rgba: new Uint8ClampedArray(64) },
  };
}

test('buildRun joins the worker\'s description with the outcome; the panel gets the pixels the run sent, or must ask for another size', () => {
  const outcome = {
    started: started(),
    layers: [convLayer(), fcLayer()],
    done: { type: 'done' as const, id: 1, runMs: 2, top: [{ index: 2, value: 3 }] },
  };
  const origin = { uri: 'file:///t.cnn', network: 't', image: 'file:///i.png', seed: 0 };
  const run = buildRun({ runId: 4, origin, sourceName: 't.cnn', imageName: 'i.png' }, outcome);
  assert.equal(run.view.layers.length, 2);
  assert.equal(run.workerRun, 1);
  assert.deepEqual(run.view.layers[0].field, { rf: [3, 3], jump: [1, 1], padding: [1, 1], approximate: false });
  assert.equal(run.view.layers[0].line, 2);
  assert.deepEqual(run.view.layers.map((l) => [l.keyword, l.kind, l.params, l.macs, l.auto]), [['conv', 'conv', 20, 288, false], ['fc', 'fc', 99, 96, false]]);
  assert.equal(run.view.kernels, 'random');
  // The summary table comes as the webview draws it: cells per layer (the torchinfo columns) and the totals.
  assert.deepEqual(run.view.table.rows, [['0', 'conv3-2 pad1', '2×4×4', '20', '288', '3'], ['1', 'fc-3', '3', '99', '96', '6']]);
  assert.deepEqual(run.view.table.totals[0], ['Total params', '119  (fc layers 99 = 83.2%)']);
  const px = layerPixels(run, 0, 72)!;
  assert.equal(px.runId, 4);
  assert.deepEqual([px.tileHeight, px.tileWidth, px.pixels.length], [4, 4, 32]);
  assert.deepEqual([...px.pixels], CONV_PIXELS);
  assert.deepEqual([px.pixels[0], px.pixels[15], px.pixels[16], px.pixels[31]], [0, 255, 0, 255]);
  assert.deepEqual([...px.min, ...px.max], [0, 16, 15, 31]);
  assert.deepEqual(px.layout, { vector: false, channels: 2, height: 4, width: 4, plane: 16 });
  // A 4×4 map fits any tile of 4 pixels or more; a 2-pixel tile must be asked of the worker.
  assert.ok(layerPixels(run, 0, 4));
  assert.equal(layerPixels(run, 0, 2), undefined);
  // A vector is never shrunk.
  const vec = layerPixels(run, 1, 1)!;
  assert.deepEqual([vec.tileHeight, vec.tileWidth, vec.pixels.length], [2, 2, 3]);
  assert.deepEqual([...vec.pixels], [0, 128, 255]);
  assert.throws(() => buildRun({ runId: 5, origin, sourceName: 't.cnn', imageName: 'i.png' }, { ...outcome, layers: outcome.layers.slice(0, 1) }), /returned 1 layers/);
});

test('a run is shown as it goes: started from the worker\'s description, layers checked as they arrive, finished by done', () => {
  const ctx = { runId: 9, origin: { uri: 'file:///t.cnn', network: 't', image: 'file:///i.png', seed: 0 }, sourceName: 't.cnn', imageName: 'i.png' };
  const run = startRun(ctx, started());
  // Shapes come from the worker's analysis before any layer has run; no time and no top values yet.
  assert.deepEqual(run.view.layers.map((l) => l.shape), [[2, 4, 4], [3]]);
  assert.equal(run.view.runMs, undefined);
  assert.deepEqual(run.view.top, []);
  assert.equal(layerPixels(run, 0, 72), undefined);
  assert.throws(() => addLayer(run, layerMessage(0, [2, 2, 2], [2, 2], Array(8).fill(0), [0, 0], [0, 0])),
    /layer 0 \(conv3-2 pad1\) came out 2×2×2, the analysis says 2×4×4/);
  assert.throws(() => addLayer(run, layerMessage(2, [3], [2, 2], [0, 0, 0], [0], [0])), /sent layer 2; the network has 2/);
  // A constant map (every unit 1) is all black, its range a single value.
  addLayer(run, layerMessage(0, [2, 4, 4], [4, 4], Array(32).fill(0), [1, 1], [1, 1]));
  assert.equal(layerPixels(run, 0, 72)?.pixels.length, 32);
  const done = { type: 'done' as const, id: 1, runMs: 5, top: [{ index: 0, value: 1 }] };
  assert.throws(() => finishRun(run, done), /returned 1 layers, the network has 2/);
  addLayer(run, layerMessage(1, [3], [2, 2], [255, 0, 0], [0], [1]));
  const view = finishRun(run, done);
  assert.equal(view.runMs, 5);
  assert.deepEqual(view.top, [{ index: 0, value: 1 }]);
  assert.equal(run.view, view);
  assert.equal(view.backendNote, undefined);
  // A slow fallback reaches the panel's view, whose header shows it.
  const slow = startRun(ctx, { ...started(), backendNote: 'the WebAssembly SIMD kernels did not load (x)' });
  assert.equal(slow.view.backendNote, 'the WebAssembly SIMD kernels did not load (x)');
});

test('the page allows only its nonce\'d script and the extension\'s stylesheet, and loads nothing remote', () => {
  const html = featureMapsHtml({ scriptUri: 'vscode-resource://ext/dist/webview.js', styleUri: 'vscode-resource://ext/dist/webview.css', cspSource: 'vscode-resource:', nonce: 'abc123' });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc123'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  assert.match(html, /<script nonce="abc123" src="vscode-resource:\/\/ext\/dist\/webview\.js"><\/script>/);
  assert.doesNotMatch(html, /https?:\/\//);
  assert.match(html, /<div id="backend-note" class="backend-note" role="status" hidden><\/div>/);
  for (const id of ['input-canvas', 'overlay-canvas', 'rf-box', 'rf-info', 'overlay-select', 'layers', 'diagram', 'summary-table', 'rerun', 'colormap-toggle']) {
    assert.match(html, new RegExp(`id="${id}"`), id);
  }
  assert.ok(isFromView({ type: 'requestLayer', runId: 1, index: 0, maxSide: 72 }));
  assert.ok(!isFromView({ type: 'requestLayer', runId: 1, index: 0 }));
  assert.ok(!isFromView({ type: 'requestLayer', runId: 1, index: 0, maxSide: 0 }));
  assert.ok(!isFromView({ type: 'requestLayer', runId: 1 }));
  assert.ok(isFromView({ type: 'probe', runId: 1, index: 0, channel: 3, flat: 17 }));
  assert.ok(!isFromView({ type: 'probe', runId: 1, index: 0, channel: 3 }));
  assert.ok(!isFromView({ type: 'nope' }));
});

test('the VGG16 diagram: the input and one block per conv, pool and fc, with shape labels at each change', () => {
  const vgg = net(analyzeSample('samples/vgg16.cnn'));
  const layers = vgg.layers.map((l, i) => ({
    index: i, text: l.decl.text, keyword: l.decl.keyword, kind: l.decl.spec.kind, line: 0, inputs: l.inputs, shape: l.out!, params: l.params,
    formula: l.formula, macs: l.macs, auto: !!l.decl.auto, layout: displayLayout(l.out!),
  }));
  const svg = diagramSvg([3, 224, 224], layers);
  const blocks = [...svg.matchAll(/<g class="blk blk-(\w+)" data-layer="(-?\d+)"/g)].map((m) => m[1]);
  assert.equal(blocks.filter((k) => k === 'conv').length, 13);
  assert.equal(blocks.filter((k) => k === 'maxpool').length, 5);
  assert.equal(blocks.filter((k) => k === 'fc').length, 3);
  assert.equal(blocks[0], 'input');
  assert.doesNotMatch(svg, /blk-relu|style=/);
  for (const label of ['64×224×224', '128×112×112', '512×7×7', '4096', '1000']) assert.match(svg, new RegExp(`>${label}</text>`), label);
});

test('the run log writes "[Level - time] message" lines into the channel, as the language client does', () => {
  const lines: string[] = [];
  const log = channelLog({ appendLine: (l) => lines.push(l) }, () => new Date(2026, 0, 2, 3, 4, 5));
  log.warn('the WebAssembly SIMD kernels did not load');
  log.error('run 3 failed (input): x.png: not a valid PNG');
  log.info('hello');
  const time = new Date(2026, 0, 2, 3, 4, 5).toLocaleTimeString();
  assert.deepEqual(lines, [
    `[Warn - ${time}] the WebAssembly SIMD kernels did not load`,
    `[Error - ${time}] run 3 failed (input): x.png: not a valid PNG`,
    `[Info - ${time}] hello`,
  ]);
});

test('a restored panel\'s state is checked field by field: only file URIs of the kinds a run reads, typed fields, sane ranges', () => {
  const origin = { uri: 'file:///home/me/nets/vgg.cnn', network: 'vgg16', image: 'file:///home/me/cat%201.JPG', weights: 'file:///w/vgg16.safetensors', seed: 3 };
  const good = { origin, expanded: [0, 3], expandedFor: 'x#vgg16#38', colormap: 'viridis', overlay: 'cam:2', opacity: 55, tile: 72 };
  assert.deepEqual(parseViewState(good), good);
  assert.deepEqual(parseViewState({ origin: { ...origin, weights: undefined } }).origin, { uri: origin.uri, network: 'vgg16', image: origin.image, seed: 3 });
  // Anything else in the origin drops it: other schemes, other kinds of file, queries, wrong types.
  for (const bad of [
    { uri: 'https://evil.example/x.cnn' }, { uri: 'vscode-remote://h/x.cnn' }, { uri: 'file:///etc/passwd' }, { image: 'file:///dev/zero' },
    { image: 'file:///x.png?y=1' }, { image: 'command:workbench.action.quit' }, { weights: 'file:///w/vgg16.bin' }, { weights: 7 },
    { seed: -1 }, { seed: 1.5 }, { seed: '3' }, { network: '' }, { network: 'n'.repeat(201) }, { network: { toString: 'x' } },
    { uri: `file:///${'a'.repeat(5000)}.cnn` },
  ]) {
    assert.equal(parseViewState({ origin: { ...origin, ...bad } }).origin, undefined, JSON.stringify(bad));
  }
  assert.equal(parseRunOrigin(null), undefined);
  // Other fields of the wrong type or out of range are dropped one by one; the rest stays.
  assert.deepEqual(parseViewState({ origin, expanded: [1, -2], colormap: 'jet', overlay: 'sum:x', opacity: 400, tile: 1e9, expandedFor: 5 }), { origin });
  assert.deepEqual(parseViewState({ expanded: 'all', overlay: '', opacity: 0 }), { overlay: '', opacity: 0 });
  for (const junk of [undefined, null, 42, 'state', [1, 2]]) assert.deepEqual(parseViewState(junk), {});
});

test('nonces come from the cryptographic random source: 32 characters of [A-Za-z0-9], different every time', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const n = makeNonce();
    assert.match(n, /^[A-Za-z0-9]{32}$/);
    seen.add(n);
  }
  assert.equal(seen.size, 200);
  // A test may still ask for a fixed one.
  assert.equal(makeNonce(() => 0), 'A'.repeat(32));
});
