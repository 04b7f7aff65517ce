// End to end in a real VS Code: the feature-map panel of a branching network ("Run branching networks",
// the panel). A small residual network written into the workspace runs on a bundled sample; the panel
// draws the graph, with the add as a join of two edges, and the add's section names what it reads. Then
// samples/zoo/resnet18.cnn: its 8 joins, and the receptive-field box of a unit of an add, pixel for pixel.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { recordTiming } from './lib/timings.mjs';
import { scenario, startWorkbench } from './lib/workbench.mjs';

const TINYRES = [
  'network tinyres',
  'input 3x32x32',
  'conv3-8 pad1',
  'relu',
  'residual',
  '  conv3-8 pad1',
  '  relu',
  '  conv3-8 pad1',
  'end',
  'relu',
  'gap',
  'fc-10',
  '',
].join('\n');

/** @type {import('./lib/workbench.mjs').Workbench} */
let wb;
before(async () => {
  wb = await startWorkbench({ name: 'graph', files: { 'tinyres.cnn': TINYRES } });
  recordTiming('graph: workbench load (s)', wb.timings.workbenchLoadMs / 1000);
}, { timeout: 240_000 });
after(async () => { await wb?.close(); });
const it = (title, fn, options) => scenario(test, () => wb, title, fn, options);

const ROWS = '.quick-input-widget .quick-input-list .monaco-list-row';

/** "Run on Image" with the cursor on `token` of `line`, on the bundled shapes.png; the panel's page. */
async function runOnShapes(line, token) {
  await wb.clickToken(line, token, 0.5);
  await wb.command('CNN Lab: Run on Image');
  const row = wb.page.locator(ROWS).filter({ hasText: 'shapes.png' }).filter({ hasText: /bundled sample/ }).first();
  await row.waitFor();
  await row.click();
  return wb.webview();
}

it('a residual network\'s panel draws the graph with the add as a join, and the add\'s section names its inputs', async () => {
  await wb.openFile('tinyres.cnn');
  await wb.waitForLine(/^gap\s*→/);
  const view = await runOnShapes('gap', 'gap');
  await view.locator('#title', { hasText: 'tinyres' }).waitFor();
  await view.locator('.maps[data-layer="5"][data-state="drawn"]').waitFor();

  // Layer 5 is the residual's add: it reads the first relu (the shortcut) and the block's last conv.
  const join = view.locator('#diagram svg.diagram-graph g.gnode.join[data-layer="5"]');
  await join.waitFor();
  assert.equal(await join.getAttribute('data-kind'), 'add');
  const into = await view.locator('#diagram path.gedge[data-to="5"]').evaluateAll((ps) => ps.map((p) => p.getAttribute('data-from')));
  assert.equal(into.length, 2, `edges into the add: ${JSON.stringify(into)}`);
  // The relu is left out of the graph, so the shortcut starts at the conv it follows.
  assert.deepEqual([...into].sort(), ['0', '4']);
  // The chain's strip is not drawn for a graph.
  assert.equal(await view.locator('#diagram g.blk:not(.gnode)').count(), 0);

  const reads = view.locator('.layer-reads[data-layer="5"]');
  const text = (await reads.textContent())?.replace(/\s+/g, ' ').trim();
  assert.equal(text, 'reads: 1: relu (line 4), 4: conv3-8 pad1 (line 8)');
  await wb.screenshot('graph-residual');
});

// samples/zoo/resnet18.cnn (the workspace is a copy of samples/) with He-initialised weights: the
// graph of the real network, and the receptive field of a unit of one of its adds.
it('resnet18.cnn: the diagram draws its 8 residual adds as joins of 2 edges each, and the first add\'s section names its inputs', async () => {
  await wb.command('View: Focus First Editor Group');
  await wb.openFile('zoo/resnet18.cnn');
  // The file's one network runs wherever the cursor is; its first lines are in view.
  await wb.waitForLine(/^\s*conv1: conv3-64 pad1 nobias\s*→\s*64×56×56/);
  const view = await runOnShapes('network resnet18', 'resnet18');
  await view.locator('#title', { hasText: 'resnet18' }).waitFor();
  await view.locator('.run-info', { hasText: /in \d/ }).waitFor({ timeout: 120_000 });

  // The adds are layers 9, 16, 25, 32, 41, 48, 57 and 64 (two per stage; the first of stages 2–4 has a projection shortcut).
  const joins = view.locator('#diagram svg.diagram-graph g.gnode.join');
  const layers = await joins.evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-layer'), g.getAttribute('data-kind')]));
  assert.deepEqual(layers, ['9', '16', '25', '32', '41', '48', '57', '64'].map((l) => [l, 'add']));
  for (const [l] of layers) {
    const into = await view.locator(`#diagram path.gedge[data-to="${l}"]`).count();
    assert.equal(into, 2, `edges into the add of layer ${l}`);
  }
  // The first add reads the maxpool (the identity shortcut) and the block's second bn; the bn is not
  // drawn in the graph, so that edge starts at the conv before it.
  const into = await view.locator('#diagram path.gedge[data-to="9"]').evaluateAll((ps) => ps.map((p) => p.getAttribute('data-from')));
  assert.deepEqual([...into].sort(), ['3', '7']);
  const reads = view.locator('.layer-reads[data-layer="9"]');
  await reads.waitFor({ state: 'attached' });
  assert.equal((await reads.textContent())?.replace(/\s+/g, ' ').trim(), 'reads: 3: maxpool3 stride2 pad1 (line 104), 8: bn2: bn (line 18)');
  await wb.screenshot('graph-resnet18');
});

it('resnet18.cnn: a click on a unit of layer1.1\'s add draws its receptive field, rows 19–61 and columns 59–101, where those pixels are', async () => {
  const view = wb.webview();
  // Layer 16 is layer1.1's add, 64×56×56 with the field of its body (43, jump 4, padding 21: PyTorch's probe of layer1).
  await view.locator('#layer-jump').selectOption('16');
  await view.locator('.maps[data-layer="16"][data-state="drawn"]').waitFor();
  await view.locator('#layers[data-draw-queued="false"]').waitFor();
  const canvas = view.locator('canvas.layer-canvas[data-layer="16"]').first();
  const d = await canvas.evaluate((c) => ({ ...c.dataset }));
  const [tw, th, first] = [d.tileWidth, d.tileHeight, d.firstChannel].map(Number);
  assert.equal(first, 0);
  // Unit (row 10, column 20) of channel 0: the middle of its cell in the first tile.
  await canvas.click({ position: { x: (20.5 * tw) / 56, y: (10.5 * th) / 56 } });
  const rf = view.locator('#rf-box[data-layer="16"]:not([hidden])');
  await rf.waitFor();
  const box = await rf.evaluate((b) => ({ ...b.dataset }));
  assert.deepEqual([box.channel, box.unitY, box.unitX, box.y0, box.x0, box.y1, box.x1, box.height, box.width, box.coversPadding],
    ['0', '10', '20', '19', '59', '62', '102', '43', '43', 'false']);
  assert.match((await view.locator('#rf-info').textContent()) ?? '', /Layer 16 \(residual add\), channel 0, unit \(row 10, column 20\).*: sees input rows 19 to 61 and columns 59 to 101, a 43×43 patch\./);
  // Where it is drawn: over input pixels [59, 102) × [19, 62) of the 224×224 picture as shown.
  const { r, pic } = await view.locator('#rf-box').evaluate((b) => {
    const rect = (e) => { const x = e.getBoundingClientRect(); return { x: x.x, y: x.y, w: x.width, h: x.height }; };
    return { r: rect(b), pic: rect(document.getElementById('input-canvas')) };
  });
  const px = pic.w / 224;
  const want = { x: pic.x + 59 * px, y: pic.y + 19 * (pic.h / 224), w: 43 * px, h: 43 * (pic.h / 224) };
  // Layout rounds to a sixty-fourth of a CSS pixel; a box one input pixel off is `px` (over 1 px here) off.
  assert.ok(px > 0.5, `the input is drawn ${pic.w} px wide`);
  for (const k of ['x', 'y', 'w', 'h']) {
    assert.ok(Math.abs(r[k] - want[k]) < 0.25 * px, `the box's ${k} is ${r[k]}, want ${want[k]} (box ${JSON.stringify(r)}, input ${JSON.stringify(pic)})`);
  }
  await wb.screenshot('graph-resnet18-add-unit');
});

it('resnet18.cnn after "Expand all": only the maps near the view are drawn at once, the others\' pixels fetched after; a jump draws them', async () => {
  const view = wb.webview();
  const layers = view.locator('#layers');
  await view.locator('#expand-all').click();
  // The mark and the layers' states read in one turn of the page: a layer that comes near the view
  // later (drawn layers above it growing) takes the mark back until it is drawn.
  let states;
  while (!states) {
    await view.locator('#layers[data-view-drawn="true"]').waitFor();
    const seen = await layers.evaluate((l) => ({
      viewDrawn: l.dataset.viewDrawn,
      states: Array.from(l.querySelectorAll('details.layer[open] > .maps'), (g) => [Number(g.getAttribute('data-layer')), g.getAttribute('data-state')]),
    }));
    if (seen.viewDrawn === 'true') states = seen.states;
  }
  assert.equal(states.length, 69, 'every layer is open');
  const waiting = states.filter(([, s]) => s === 'waiting').map(([i]) => i);
  const drawn = states.filter(([, s]) => s === 'drawn').map(([i]) => i);
  // The view is at layer 16 (the scenario before): layer4's maps are screens away, and wait.
  assert.ok(drawn.includes(16) && waiting.includes(60), `drawn ${drawn.join(',')}; waiting ${waiting.join(',')}`);
  assert.deepEqual(states.filter(([, s]) => s !== 'waiting' && s !== 'drawn'), [], 'no other state once the view is drawn');
  assert.equal(await layers.getAttribute('data-all-drawn'), 'false');
  // The run has finished, so the page fetches the other open layers' pixels one by one, without drawing them.
  await view.locator('#layers[data-prefetched="true"]').waitFor({ timeout: 60_000 });
  assert.equal(await view.locator('.maps[data-layer="60"]').getAttribute('data-state'), 'waiting');
  assert.equal(await view.locator('canvas.layer-canvas[data-layer="60"]').count(), 0);
  // The layer bar's jump to layer 60 brings its maps near: drawn from the pixels already here.
  await view.locator('#layer-jump').selectOption('60');
  await view.locator('.maps[data-layer="60"][data-state="drawn"]').waitFor();
  const tiles = await view.locator('canvas.layer-canvas[data-layer="60"]').evaluateAll((cs) => cs.reduce((n, c) => n + Number(c.dataset.channels), 0));
  assert.equal(tiles, 512);
  await view.locator('#collapse-all').click();
});
