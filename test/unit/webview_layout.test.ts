/** The feature-map page's layout arithmetic (client/src/webview/layout.ts): heights reserved, layers opened, keyboard moves. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayLayout } from '../../server/src/run/display.js';
import { DEFAULT_OPEN_POLICY, geometry, initialOpen, mapsHeight, moveUnit, startUnit } from '../../client/src/webview/layout.js';
import { analyzeSample } from '../helpers/core.js';

test('a layer\'s reserved height is its rows of tiles and gaps: 64 maps of 224×224 at 72 px in 500 px are 11 rows of 6', () => {
  const l = displayLayout([64, 224, 224]);
  const g = geometry(l, 72, 72, 500, 72);
  assert.equal(g.cols, 6);
  assert.equal(g.rows, 11);
  // 11 rows of 72 px with 10 gaps of 4 px.
  assert.equal(mapsHeight(l, 72, 500, 72), 11 * 72 + 10 * 4);
  // A 14×14 map is drawn at 14 pixels scaled up: the gap rounds to whole canvas pixels (72/14 px each).
  const small = displayLayout([512, 14, 14]);
  const gs = geometry(small, 14, 14, 500, 72);
  assert.equal(gs.gap, 72 / 14);
  assert.ok(Math.abs(mapsHeight(small, 72, 500, 72) - (gs.rows * 72 + (gs.rows - 1) * gs.gap)) < 1e-9);
});

test('a very tall layer is split into canvases and its height counts the gaps between them', () => {
  const l = displayLayout([4096, 64, 64]);
  const g = geometry(l, 64, 64, 100, 64);
  assert.equal(g.cols, 1);
  const canvases = Math.ceil(g.rows / g.rowsPerCanvas);
  assert.ok(canvases > 1);
  assert.equal(mapsHeight(l, 64, 100, 64), g.rows * 64 + (g.rows - canvases) * g.gap + (canvases - 1) * 4);
});

test('VGG16 at 540 px opens only its first two screens; a small network opens whole', () => {
  const a = analyzeSample('samples/vgg16.cnn');
  const layers = a.networks[0].layers.map((l) => displayLayout(l.out!));
  const heights = layers.map((l) => mapsHeight(l, 72, 500, 72));
  const total = heights.reduce((s, h) => s + h, 0);
  assert.ok(total > 50 * 900, `VGG16's maps are ${total} px tall`);
  const open = initialOpen(heights, { ...DEFAULT_OPEN_POLICY, viewport: 900 });
  // conv3-64, its relu (832 px each) and the second conv start within 1,800 px; the 35 layers after stay closed.
  assert.deepEqual(open, [0, 1, 2]);
  const small = initialOpen([200, 150, 100, 40], { ...DEFAULT_OPEN_POLICY, viewport: 900 });
  assert.deepEqual(small, [0, 1, 2, 3]);
  // Past six screens, the layers that start in the first two open.
  const mid = initialOpen(Array(20).fill(500), { ...DEFAULT_OPEN_POLICY, viewport: 900 });
  assert.deepEqual(mid, [0, 1, 2, 3]);
});

test('the keyboard moves a unit within its map and across channels, never off the map', () => {
  const l = displayLayout([8, 4, 5]);
  const u = startUnit(l);
  assert.deepEqual(u, { channel: 0, y: 2, x: 2 });
  assert.deepEqual(moveUnit(u, 'ArrowRight', l), { channel: 0, y: 2, x: 3 });
  assert.deepEqual(moveUnit({ channel: 0, y: 0, x: 4 }, 'ArrowRight', l), { channel: 0, y: 0, x: 4 });
  assert.deepEqual(moveUnit({ channel: 0, y: 3, x: 0 }, 'ArrowDown', l), { channel: 0, y: 3, x: 0 });
  assert.deepEqual(moveUnit(u, 'PageDown', l), { channel: 1, y: 2, x: 2 });
  assert.deepEqual(moveUnit({ channel: 7, y: 0, x: 0 }, 'PageDown', l), { channel: 7, y: 0, x: 0 });
  assert.equal(moveUnit(u, 'a', l), undefined);
  // A vector of 10 shown as a grid: the move past its last unit stays put.
  const v = displayLayout([10]);
  const last = { channel: 0, y: Math.floor(9 / v.width), x: 9 % v.width };
  const next = moveUnit(last, 'ArrowRight', v)!;
  assert.ok(next.y * v.width + next.x < v.plane);
});
