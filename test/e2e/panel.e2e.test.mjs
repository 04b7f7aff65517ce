// End to end in a real VS Code (code-server + Chromium at 1440×900, the default layout): what a new user
// hit ("What a new user hit"): the feature-map panel at its default width beside the editor (~540 px),
// the webviews sharing one editor group, and the large-kernel quick fix's figures. One workbench for
// the whole file; the scenarios run in order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { recordTiming } from './lib/timings.mjs';
import { scenario, startWorkbench } from './lib/workbench.mjs';

const DEMO = 'network demo\ninput 3x224x224\nauto relu\nconv3-16 pad1\nmaxpool\nconv3-32 pad1\nmaxpool\n';
const KERNEL = 'network k\ninput 16x32x32\nconv5-32 pad2\n';

/** @type {import('./lib/workbench.mjs').Workbench} */
let wb;
before(async () => {
  wb = await startWorkbench({ name: 'panel', files: { 'demo.cnn': DEMO, 'scratch/kernel16.cnn': KERNEL } });
  recordTiming('panel: workbench load (s)', wb.timings.workbenchLoadMs / 1000);
}, { timeout: 240_000 });
after(async () => { await wb?.close(); });
const it = (title, fn, options) => scenario(test, () => wb, title, fn, options);

const ROWS = '.quick-input-widget .quick-input-list .monaco-list-row';

/** Runs "CNN Lab: Run on Image" with the cursor on `lineText`, picking a bundled sample. */
async function runOnImage(lineText, bundled) {
  await wb.clickToken(lineText, lineText, 0.5);
  await wb.command('CNN Lab: Run on Image');
  const row = wb.page.locator(ROWS).filter({ hasText: bundled }).filter({ hasText: /bundled sample/ }).first();
  await row.waitFor();
  await row.click();
}

/** The editor groups, each as the titles of its tabs. */
async function groups() {
  return wb.page.locator('.editor-group-container').evaluateAll((gs) => gs.map((g) => [...g.querySelectorAll('.tabs-container .tab')]
    .map((t) => (t.getAttribute('aria-label') || t.textContent || '').trim())));
}

it('the image picker lists the workspace\'s own images beside the bundled samples', async () => {
  await wb.openFile('demo.cnn');
  await wb.waitForLine(/^conv3-32 pad1\s*→\s*32×112×112/);
  await wb.clickToken('conv3-32 pad1');
  await wb.command('CNN Lab: Run on Image');
  const rows = wb.page.locator(ROWS);
  // The workspace is a copy of samples/: its images/edge.png is offered by its path in the workspace.
  await rows.filter({ hasText: 'images/edge.png' }).first().waitFor();
  await rows.filter({ hasText: /bundled sample/ }).first().waitFor();
  await rows.filter({ hasText: 'Choose an image' }).first().waitFor();
  await wb.page.keyboard.press('Escape');
  await wb.page.locator('.tabs-container .tab', { hasText: 'Feature maps' }).first().waitFor({ state: 'detached' });
});

it('the summary and the feature maps open in one editor group beside the code, not in a third column', async () => {
  await wb.openFile('demo.cnn');
  await wb.waitForLine(/^conv3-32 pad1/);
  await wb.clickToken('conv3-32 pad1');
  await wb.command('CNN Lab: Show Summary');
  await wb.page.locator('.tabs-container .tab', { hasText: 'Summary: demo' }).first().waitFor();
  await wb.command('View: Focus First Editor Group');
  await runOnImage('conv3-32 pad1', 'shapes.png');
  const view = wb.webview();
  await view.locator('#title', { hasText: 'demo' }).waitFor();
  await view.locator('.maps[data-layer="0"][data-state="drawn"]').waitFor();
  const g = await groups();
  assert.equal(g.length, 2, `editor groups: ${JSON.stringify(g)}`);
  const withMaps = g.find((tabs) => tabs.some((t) => /Feature maps/.test(t)));
  assert.ok(withMaps?.some((t) => /Summary: demo/.test(t)), `the summary and the maps are in different groups: ${JSON.stringify(g)}`);
  // Asking for the summary again reveals it where it is.
  await wb.command('View: Focus First Editor Group');
  await wb.clickToken('conv3-32 pad1');
  await wb.command('CNN Lab: Show Summary');
  await wb.page.locator('.tabs-container .tab.active', { hasText: 'Summary: demo' }).first().waitFor();
  assert.equal((await groups()).length, 2, 'a second Show Summary opened another group');
});

it('narrow panel: VGG16 opens its first screens only; a jump lands on its layer; a deep unit\'s box is on screen', async () => {
  await wb.command('View: Focus First Editor Group');
  await wb.openFile('vgg16.cnn');
  await wb.waitForLine(/^conv3-64 pad1\s*→/);
  const t0 = Date.now();
  await runOnImage('conv3-64 pad1', 'shapes.png');
  const view = wb.webview();
  await view.locator('#title', { hasText: 'vgg16' }).waitFor({ timeout: 120_000 });
  // The panel beside the editor is narrow, and the maps start on the first screen.
  const width = await view.locator('body').evaluate(() => window.innerWidth);
  assert.ok(width < 720, `the panel is ${width} px wide; this scenario is about the narrow layout`);
  await view.locator('.maps[data-layer="0"][data-state="drawn"]').waitFor({ timeout: 120_000 });
  recordTiming('VGG16 (narrow panel): command to first layer drawn (ms)', Date.now() - t0);
  const firstMapTop = await view.locator('canvas.layer-canvas[data-layer="0"]').first().evaluate((c) => c.getBoundingClientRect().top);
  const innerHeight = await view.locator('body').evaluate(() => window.innerHeight);
  assert.ok(firstMapTop < innerHeight, `the first maps start at ${firstMapTop} px, below the ${innerHeight} px view`);
  const opened = Number(await view.locator('#layers').getAttribute('data-default-open'));
  assert.ok(opened >= 1 && opened < 10, `VGG16 opened ${opened} of its 39 layers`);
  await wb.screenshot('narrow-first-screen');

  // Jump with the layer bar to block 23 (maxpool 512×14×14): it lands there, laid out, and stays.
  await view.locator('.run-info', { hasText: /in \d/ }).waitFor({ timeout: 180_000 });
  await view.locator('#layer-jump').selectOption('23');
  await view.locator('.maps[data-layer="23"][data-state="drawn"]').waitFor();
  await view.locator('#layers[data-draw-queued="false"]').waitFor();
  const landed = await view.locator('details#layer-23').evaluate((d) => d.getBoundingClientRect().top);
  assert.ok(landed >= 0 && landed < 80, `the jump to layer 23 left its heading at ${landed} px from the top`);

  // Click a unit of a tile in the middle of the view: the input floats in a corner with its box on it.
  const canvas = view.locator('canvas.layer-canvas[data-layer="23"]').first();
  const d = await canvas.evaluate((c) => ({ ...c.dataset }));
  const [tw, th, gap, cols] = [d.tileWidth, d.tileHeight, d.gap, d.cols].map(Number);
  const k = Math.min(Number(d.channels) - 1, 2 * cols + 1); // channel in the third row, second column
  await canvas.click({ position: { x: (k % cols) * (tw + gap) + tw * 0.5, y: Math.floor(k / cols) * (th + gap) + th * 0.5 } });
  const rf = view.locator('#rf-box:not([hidden])');
  await rf.waitFor();
  await view.locator('#input-view[data-floating="true"]').waitFor();
  const onScreen = await view.locator('#rf-box').evaluate((b) => {
    const r = b.getBoundingClientRect();
    const pic = document.getElementById('input-canvas').getBoundingClientRect();
    return { r: { x: r.x, y: r.y, w: r.width, h: r.height }, pic: { x: pic.x, y: pic.y, w: pic.width, h: pic.height }, vw: innerWidth, vh: innerHeight };
  });
  const { r, pic, vw, vh } = onScreen;
  assert.ok(pic.x >= 0 && pic.y >= 0 && pic.x + pic.w <= vw && pic.y + pic.h <= vh, `the input is not in view: ${JSON.stringify(onScreen)}`);
  assert.ok(r.w > 0 && r.h > 0 && r.x >= pic.x - 1 && r.y >= pic.y - 1 && r.x + r.w <= pic.x + pic.w + 1 && r.y + r.h <= pic.y + pic.h + 1,
    `the receptive-field box is not on the input in view: ${JSON.stringify(onScreen)}`);
  const box = await rf.evaluate((b) => ({ ...b.dataset }));
  assert.equal(box.layer, '23');
  await wb.screenshot('narrow-deep-unit');

  // The keyboard: the focused tile's unit moves right with the arrow key.
  await canvas.focus();
  await canvas.press('ArrowRight');
  await view.locator(`#rf-box[data-unit-x="${Number(box.unitX) + 1}"]`).waitFor();
});

it('the large-kernel quick fix on `conv5-32 pad2` after 16 channels says 12,832 → 6,960 parameters, and applying it gives 6,960', async () => {
  await wb.command('View: Focus First Editor Group');
  await wb.openFile('scratch/kernel16.cnn');
  await wb.waitForLine(/^conv5-32 pad2\s*→\s*32×32×32/);
  // Information level: a squiggle a new user sees, not faint dots.
  await wb.page.locator('.monaco-editor .squiggly-info').first().waitFor();
  await wb.clickToken('conv5-32 pad2', 'conv5-32', 0.3);
  const offered = await wb.quickFix(/two 3×3 convolutions/);
  const title = offered.find((t) => /two 3×3 convolutions/.test(t)) ?? '';
  assert.match(title, /12,832 → 6,960/, `the fix's title: ${title}`);
  await wb.waitForNoLine(/conv5-32/);
  await wb.waitForLine(/^conv3-16 pad1\s*→\s*16×32×32/);
  await wb.waitForLine(/^conv3-32 pad1\s*→\s*32×32×32/);
  // The code lens adds it up: 16·16·9+16 + 16·32·9+32 = 6,960.
  await wb.page.locator('.contentWidgets .codelens-decoration, .codelens-decoration', { hasText: /6,960 params/ }).first().waitFor();
});
