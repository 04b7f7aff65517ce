// End to end in a real VS Code (code-server + Chromium): the trained sample (samples/trained) run on its
// circle picture with its weights; the class-activation map overlay lights up the circle.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_DIR } from './lib/paths.mjs';
import { recordTiming } from './lib/timings.mjs';
import { scenario, startWorkbench } from './lib/workbench.mjs';

const expected = JSON.parse(readFileSync(join(REPO_DIR, 'samples', 'trained', 'expected.json'), 'utf8'));

/** @type {import('./lib/workbench.mjs').Workbench} */
let wb;
before(async () => {
  // The workspace is a copy of samples/; the weights setting is workspace-relative.
  wb = await startWorkbench({ name: 'trained', settings: { 'cnnLab.run.weights': 'trained/shapes.safetensors' } });
  recordTiming('trained: workbench load (s)', wb.timings.workbenchLoadMs / 1000);
}, { timeout: 240_000 });
after(async () => { await wb?.close(); });
const it = (title, fn, options) => scenario(test, () => wb, title, fn, options);

/** Picks `path` in "Run on Image"'s picker through "Choose an image…" and VS Code's file dialog. */
async function chooseImage(path) {
  const rows = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  await rows.filter({ hasText: 'Choose an image' }).first().click();
  await wb.pickInFileDialog(path);
}

it('trained shapes.cnn on circle.png: the top class is circle and its CAM overlay is hottest on the circle', async () => {
  await wb.openFile('trained/shapes.cnn');
  await wb.waitForLine(/^fc: fc-4\s*→/);
  await wb.clickToken('fc: fc-4', 'fc: fc-4', 0.5);
  const t0 = Date.now();
  await wb.command('CNN Lab: Run on Image');
  await chooseImage(join(wb.workspace, 'trained', 'circle.png'));
  const view = wb.webview();
  await view.locator('#title', { hasText: 'shapes' }).waitFor();
  const top = view.locator('#top-list li').first();
  await top.waitFor();
  recordTiming('Run on Image (trained shapes): command to top class (ms)', Date.now() - t0);
  assert.equal(expected.classes[Number(await top.getAttribute('data-index'))], 'circle', await view.locator('#top-list').innerText());
  // The trained weights were loaded (random ones would not give PyTorch's logit).
  const index = Number(await top.getAttribute('data-index'));
  const value = Number(await top.getAttribute('data-value'));
  assert.ok(Math.abs(value - expected.pictures.circle.logits[index]) < 1e-3, `top logit ${value}, PyTorch's ${expected.pictures.circle.logits[index]}`);

  // The overlay select offers the top class's CAM (and picks it when a run has one); choose it explicitly.
  const select = view.locator('#overlay-select');
  await select.locator('option[value="cam:0"]').waitFor({ state: 'attached' });
  await select.selectOption('');
  await select.selectOption('cam:0');
  const overlay = view.locator('#overlay-canvas[data-overlay="cam:0"]');
  await overlay.waitFor();
  // Turbo runs from blue (low) through green to red (high): R − B measures the heat of a pixel.
  const heat = await overlay.evaluate((c) => {
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    const h = [];
    for (let i = 0; i < data.length; i += 4) h.push(data[i + 3] ? data[i] - data[i + 2] : NaN);
    return { width: c.width, height: c.height, h };
  });
  const input = await view.locator('#input-canvas').evaluate((c) => ({ width: c.width, height: c.height }));
  const { centre: [cx, cy], radius } = expected.pictures.circle;
  // Canvas pixels to picture pixels (the overlay may be drawn at another resolution than the input).
  const kx = 64 / heat.width, ky = 64 / heat.height;
  let inside = 0, nIn = 0, outside = 0, nOut = 0;
  for (let y = 0; y < heat.height; y++) {
    for (let x = 0; x < heat.width; x++) {
      const v = heat.h[y * heat.width + x];
      if (Number.isNaN(v)) continue;
      const d = Math.hypot((x + 0.5) * kx - cx, (y + 0.5) * ky - cy);
      if (d <= radius) { inside += v; nIn++; } else if (d > radius + 6) { outside += v; nOut++; }
    }
  }
  assert.ok(nIn > 0 && nOut > 0, `overlay ${heat.width}×${heat.height} (input ${input.width}×${input.height}) has pixels inside and outside the circle`);
  const [meanIn, meanOut] = [inside / nIn, outside / nOut];
  console.log(`# CAM heat (R − B): inside the circle ${meanIn.toFixed(1)}, outside ${meanOut.toFixed(1)}`);
  assert.ok(meanIn > meanOut + 40, `CAM heat (R − B) inside the circle ${meanIn.toFixed(1)}, outside ${meanOut.toFixed(1)}`);
});
