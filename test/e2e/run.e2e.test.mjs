// End to end in a real VS Code (code-server + Chromium): "CNN Lab: Run on Image" and the feature-map
// panel (issue 5, scenarios 5 and 7b). One workbench for the whole file; the scenarios run in order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_DIR } from './lib/paths.mjs';
import { recordTiming } from './lib/timings.mjs';
import { scenario, startWorkbench, STEP_TIMEOUT } from './lib/workbench.mjs';

/** A PNG signature followed by bytes that are no PNG: decoding must fail with a message. */
const CORRUPT_PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('this is not a picture '.repeat(40))]);

/** A small network with several channels per layer, for a deeper receptive field and the README picture. */
const DEMO = 'network demo\ninput 3x224x224\nauto relu\nconv3-16 pad1\nmaxpool\nconv3-32 pad1\nmaxpool\n';

/** @type {import('./lib/workbench.mjs').Workbench} */
let wb;
before(async () => {
  wb = await startWorkbench({ name: 'run', files: { 'images/corrupt.png': CORRUPT_PNG, 'demo.cnn': DEMO } });
  recordTiming('run: workbench load (s)', wb.timings.workbenchLoadMs / 1000);
}, { timeout: 240_000 });
after(async () => { await wb?.close(); });
const it = (title, fn, options) => scenario(test, () => wb, title, fn, options);

const TOAST = '.notifications-toasts .notification-toast';

/** Set once 5a has seen the panel draw a map; 5b needs that panel. */
let panelShown = false;

/** Runs "CNN Lab: Run on Image" with the cursor on `lineText` of the active editor, and picks the image. */
async function runOnImage(lineText, image) {
  await wb.clickToken(lineText, lineText, 0.5);
  await wb.command('CNN Lab: Run on Image');
  const rows = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  if (image.bundled) {
    // The picker offers the pictures that ship with the extension.
    const row = rows.filter({ hasText: image.bundled }).filter({ hasText: /bundled sample/ }).first();
    try {
      await row.waitFor();
    } catch (e) {
      throw new Error(`the image picker offers no bundled "${image.bundled}": ${JSON.stringify(await rows.allInnerTexts())}`, { cause: e });
    }
    await row.click();
    return;
  }
  // "Choose an image…" opens VS Code's file dialog, a quick input that takes a path in code-server.
  await rows.filter({ hasText: 'Choose an image' }).first().click();
  await wb.page.locator('.quick-input-widget', { hasText: /Run on This Image|Run on Image/ }).first().waitFor();
  await wb.pickInFileDialog(image.path);
}

/** Reads a canvas of the webview, or a rectangle of it (CSS pixels): its size and the grey level (mean of R, G, B) of every pixel. */
async function canvasGrey(locator, rect) {
  return locator.evaluate((c, r) => {
    const k = r ? c.width / c.getBoundingClientRect().width : 1;
    const [x, y, w, h] = r ? [r.x, r.y, r.width, r.height].map((v) => Math.round(v * k)) : [0, 0, c.width, c.height];
    const { data } = c.getContext('2d').getImageData(x, y, w, h);
    const grey = [];
    for (let i = 0; i < data.length; i += 4) grey.push((data[i] + data[i + 1] + data[i + 2]) / 3);
    return { width: w, height: h, grey };
  }, rect);
}

/**
 * Channel `channel` of layer `layer` as the panel draws it, once drawn: the canvas holding it (a layer's
 * tiles share one canvas) and the tile's rectangle on that canvas in CSS pixels.
 */
async function tile(view, layer, channel) {
  await view.locator(`.maps[data-layer="${layer}"][data-state="drawn"]`).waitFor();
  const canvases = view.locator(`canvas.layer-canvas[data-layer="${layer}"]`);
  for (let i = 0; i < await canvases.count(); i++) {
    const canvas = canvases.nth(i);
    const d = await canvas.evaluate((c) => ({ ...c.dataset }));
    const k = channel - Number(d.firstChannel);
    if (k < 0 || k >= Number(d.channels)) continue;
    const [cols, w, h, gap] = [d.cols, d.tileWidth, d.tileHeight, d.gap].map(Number);
    return { canvas, rect: { x: (k % cols) * (w + gap), y: Math.floor(k / cols) * (h + gap), width: w, height: h } };
  }
  throw new Error(`layer ${layer} has no drawn tile for channel ${channel}`);
}

/** Mean grey of column x over the rows from y0 to y1 (exclusive). */
function columnMean(img, x, y0 = 0, y1 = img.height) {
  let s = 0;
  for (let y = y0; y < y1; y++) s += img.grey[y * img.width + x];
  return s / (y1 - y0);
}

it('5. the panel opens with the image picker, and closes again when the picker is dismissed', async () => {
  await wb.openFile('lecture/09-edges.cnn');
  await wb.waitForLine(/^conv3-1 pad1 sobelx\s*→\s*1×128×128/);
  await wb.clickToken('conv3-1 pad1 sobelx', 'conv3-1 pad1 sobelx', 0.5);
  await wb.command('CNN Lab: Run on Image');
  await wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first().waitFor();
  const tab = wb.page.locator('.tabs-container .tab', { hasText: 'Feature maps' });
  // The page loads while the user picks (it takes seconds in a browser-hosted editor).
  await tab.first().waitFor();
  await wb.page.keyboard.press('Escape');
  await tab.first().waitFor({ state: 'detached' });
});

it('5a. Run on Image: 09-edges.cnn on edge.png shows the input and a Sobel map bright on the edge', async () => {
  await wb.openFile('lecture/09-edges.cnn');
  await wb.waitForLine(/^conv3-1 pad1 sobelx\s*→\s*1×128×128/);
  const t0 = Date.now();
  await runOnImage('conv3-1 pad1 sobelx', { bundled: 'edge.png' });
  const view = wb.webview();
  await view.locator('#content:not([hidden])').waitFor();
  await view.locator('#title', { hasText: 'sobel-x' }).waitFor();
  // code-server's extension host runs Node 24, which has relaxed SIMD: the run uses the kernels' FMA build, as VS Code's Electron does.
  await view.locator('#run-info', { hasText: 'WebAssembly SIMD kernels, FMA build' }).waitFor();
  const map = await tile(view, 0, 0);
  recordTiming('Run on Image (09-edges, sobel-x): command to drawn map (ms)', Date.now() - t0);
  panelShown = true;
  await wb.page.locator('.tabs-container .tab', { hasText: 'Feature maps' }).first().waitFor();

  // The input as the network saw it: edge.png is dark on the left half and bright on the right.
  const input = await canvasGrey(view.locator('#input-canvas'));
  assert.equal(input.width, 128);
  assert.equal(input.height, 128);
  const left = columnMean(input, 16), right = columnMean(input, 112);
  assert.ok(left < 80 && right > 170, `the input is not dark left (${left.toFixed(1)}) and bright right (${right.toFixed(1)})`);

  // The Sobel-x map: brightest on the vertical edge (map columns 63–64), not elsewhere. The 128×128 map
  // is drawn at the tile's size on screen, so columns are compared as fractions of the tile's width.
  const sobel = await canvasGrey(map.canvas, map.rect);
  assert.ok(sobel.width >= 32, `the Sobel tile is ${sobel.width} pixels wide`);
  const margin = Math.ceil(sobel.height / 16);
  const cols = Array.from({ length: sobel.width }, (_, x) => columnMean(sobel, x, margin, sobel.height - margin));
  const at = (mapColumn) => Math.floor(((mapColumn + 0.5) / 128) * sobel.width);
  const brightest = cols.indexOf(Math.max(...cols));
  const brightestInMap = ((brightest + 0.5) / sobel.width) * 128;
  assert.ok(brightestInMap >= 61 && brightestInMap <= 66, `the brightest column of the Sobel-x map is at map column ${brightestInMap.toFixed(1)}, not on the edge at 63–64`);
  const onEdge = Math.max(cols[at(63)], cols[at(64)]);
  for (const x of [16, 32, 48, 80, 96, 112]) {
    assert.ok(onEdge > cols[at(x)] + 60, `the edge (grey ${onEdge.toFixed(1)}) is not much brighter than map column ${x} (grey ${cols[at(x)].toFixed(1)})`);
  }
});

it('5b. clicking a unit draws its receptive-field box: 3×3 input pixels for a 3×3 conv', async () => {
  assert.ok(panelShown, 'the feature-map panel of 5a is not there (see 5a)');
  const view = wb.webview();
  const map = await tile(view, 0, 0);
  // Near unit (row 40, column 64) of the 128×128 map; a tile is smaller than 128 screen pixels, so the
  // unit hit may be a neighbour: the checks below use the unit the panel reports.
  await map.canvas.click({ position: { x: map.rect.x + (64.5 / 128) * map.rect.width, y: map.rect.y + (40.5 / 128) * map.rect.height } });
  const rf = view.locator('#rf-box:not([hidden])');
  await rf.waitFor();
  const d = await rf.evaluate((el) => ({ ...el.dataset }));
  const ux = Number(d.unitX), uy = Number(d.unitY);
  assert.ok(Math.abs(ux - 64) <= 3 && Math.abs(uy - 40) <= 3, `the click landed on unit (${uy}, ${ux}), not near (40, 64)`);
  assert.equal(d.height, '3', `rf-box data: ${JSON.stringify(d)}`);
  assert.equal(d.width, '3', `rf-box data: ${JSON.stringify(d)}`);
  assert.equal(d.x0, String(ux - 1), `rf-box data: ${JSON.stringify(d)}`);
  assert.equal(d.y0, String(uy - 1), `rf-box data: ${JSON.stringify(d)}`);
  // And the box on screen covers 3/128 of the input picture in each direction.
  const pic = await view.locator('#input-canvas').boundingBox();
  const drawn = await rf.boundingBox();
  assert.ok(pic && drawn);
  const want = (3 / 128) * pic.width;
  assert.ok(Math.abs(drawn.width - want) <= 2 && Math.abs(drawn.height - (3 / 128) * pic.height) <= 2,
    `the box is ${drawn.width.toFixed(1)}×${drawn.height.toFixed(1)} px, want ${want.toFixed(1)} px for 3 of 128 pixels`);
  assert.ok(Math.abs(drawn.x - (pic.x + ((ux - 1) / 128) * pic.width)) <= 2, `the box is not at column ${ux - 1} of the input`);
  await view.locator('#rf-info', { hasText: /3×3 patch/ }).waitFor();
  // The unit's exact value comes from the extension's floats: a Sobel response, finite.
  await view.locator('#rf-info[data-value]').waitFor();
  const value = Number(await view.locator('#rf-info').getAttribute('data-value'));
  assert.ok(Number.isFinite(value), `the probed value is ${value}`);
  await view.locator('#rf-info', { hasText: /value -?\d/ }).waitFor();
});

it('5c. a run shows its progress layer by layer and can be cancelled', async () => {
  // VGG16 takes a while on two cores: long enough to watch the progress and press Cancel.
  await wb.command('View: Focus First Editor Group');
  await wb.openFile('vgg16.cnn');
  await wb.waitForLine(/^conv3-64 pad1\s*→/);
  await runOnImage('conv3-64 pad1', { bundled: 'shapes.png' });
  const toast = wb.page.locator(TOAST, { hasText: /CNN Lab: vgg16/ }).first();
  await toast.locator('.notification-list-item-message', { hasText: /layer \d+ of \d+/ }).waitFor({ timeout: 60_000 });
  const progress = (await toast.innerText()).replace(/\s+/g, ' ');
  assert.match(progress, /layer \d+ of \d+/);
  await toast.hover(); // the buttons of a toast show on hover
  const c0 = Date.now();
  await toast.locator('.monaco-button', { hasText: 'Cancel' }).click();
  await toast.waitFor({ state: 'detached', timeout: 15_000 });
  recordTiming('cancel: click to progress gone (ms)', Date.now() - c0);
  // The panel still shows the previous run, and no error was reported.
  const view = wb.webview();
  await view.locator('#title', { hasText: 'sobel-x' }).waitFor();
  assert.equal(await wb.page.locator(TOAST, { hasText: /error|failed/i }).count(), 0, 'an error was shown after cancelling');
});

it('5d. a unit deeper in the network sees a larger patch: 8×8 after conv3, maxpool, conv3', async () => {
  await wb.command('View: Focus First Editor Group');
  await wb.openFile('demo.cnn');
  await wb.waitForLine(/^conv3-32 pad1\s*→\s*32×112×112/);
  await runOnImage('conv3-32 pad1', { bundled: 'shapes.png' });
  const view = wb.webview();
  await view.locator('#title', { hasText: 'demo' }).waitFor();
  // Layers: 0 conv, 1 relu (auto), 2 maxpool, 3 conv, 4 relu (auto), 5 maxpool. A unit of layer 4 sees
  // 3 + 1 + 2·2 = 8 input pixels each way (jump 2 after the pool).
  // A network this size opens whole; were layer 4 closed, open it as a person would.
  if (!(await view.locator('details#layer-4').evaluate((d) => d.open))) await view.locator('details#layer-4 > summary').click();
  const t = await tile(view, 4, 1);
  await t.canvas.scrollIntoViewIfNeeded();
  await t.canvas.click({ position: { x: t.rect.x + t.rect.width * 0.5, y: t.rect.y + t.rect.height * 0.5 } });
  const rf = view.locator('#rf-box:not([hidden])');
  await rf.waitFor();
  const d = await rf.evaluate((el) => ({ ...el.dataset }));
  assert.equal(d.layer, '4', JSON.stringify(d));
  assert.equal(d.height, '8', `rf-box data: ${JSON.stringify(d)}`);
  assert.equal(d.width, '8', `rf-box data: ${JSON.stringify(d)}`);
  // Unit x of a map with jump 2 and padding 3 sees input columns 2x−3 … 2x+4.
  assert.equal(Number(d.x0), 2 * Number(d.unitX) - 3, JSON.stringify(d));

  // The README's picture of the panel: the colour map on, the editor group maximized.
  await view.locator('#colormap-toggle').check();
  // Maximize the panel's group, whichever group has the focus now: its tab makes it the active one.
  await wb.page.locator('.tabs-container .tab', { hasText: 'Feature maps' }).first().click();
  await wb.command('View: Toggle Maximize Editor Group');
  // Both redraw the maps (new colours, more tiles per row): wait until no redraw is queued.
  await view.locator('#layers[data-draw-queued="false"]').waitFor();
  await view.locator('.maps[data-layer="4"][data-state="drawn"]').waitFor();
  // The clicked unit is still outlined after the redraws.
  await view.locator('.maps[data-layer="4"] #unit-marker[data-channel="1"]').waitFor();
  await view.locator('.maps[data-layer="4"] canvas.layer-canvas').first().scrollIntoViewIfNeeded();
  const shot = await wb.screenshot('readme-feature-maps');
  await wb.command('View: Toggle Maximize Editor Group');
  if (process.env.CNN_LAB_E2E_DOCS) {
    mkdirSync(join(REPO_DIR, 'docs'), { recursive: true });
    copyFileSync(shot, join(REPO_DIR, 'docs', 'feature-maps.png'));
  }
});

it('7b. a corrupt image gives an error message, not a hang', async () => {
  await wb.command('View: Focus First Editor Group');
  await wb.openFile('lecture/09-edges.cnn');
  await wb.waitForLine(/^conv3-1 pad1 sobelx/);
  const t0 = Date.now();
  await runOnImage('conv3-1 pad1 sobelx', { path: join(wb.workspace, 'images', 'corrupt.png') });
  const error = wb.page.locator(TOAST, { hasText: /CNN Lab:/ }).filter({ has: wb.page.locator('.codicon-error, .codicon-notifications-error') }).first();
  try {
    await error.waitFor({ timeout: STEP_TIMEOUT });
  } catch (e) {
    const toasts = await wb.page.locator(TOAST).allInnerTexts();
    throw new Error(`no error message for a corrupt image; notifications: ${JSON.stringify(toasts)}`, { cause: e });
  }
  recordTiming('corrupt image: command to error message (ms)', Date.now() - t0);
  const text = (await error.innerText()).replace(/\s+/g, ' ');
  console.error(`# the error shown for a corrupt image: ${text}`);
  assert.match(text, /png|image|decode|corrupt|read/i, text);
});
