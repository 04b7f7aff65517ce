// End to end in a real VS Code (code-server + Chromium): what a person sees while writing a network.
// One workbench for the whole file; the scenarios run in order in it (issue 5, scenarios 1–4, 6, 7a).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_DIR } from './lib/paths.mjs';
import { recordTiming } from './lib/timings.mjs';
import { scenario, startWorkbench } from './lib/workbench.mjs';

/** The files the scenarios open besides the samples (written before the workbench starts). */
const FILES = {
  'scratch/scratch.cnn': 'network scratch\ninput 3x32x32\nauto relu\nconv3-16 pad1\n',
  // 64 channels in and out: two 3×3 convs need 2·(9·64·64+64) = 73,856 weights, one 5×5 needs 102,464.
  'scratch/kernel.cnn': 'network stack\ninput 64x56x56\nconv5-64 pad2\n',
  'scratch/complete.cnn': 'network complete\ninput 3x64x64\n',
  'scratch/garbage.cnn': garbage(5000),
};

/** @type {import('./lib/workbench.mjs').Workbench} */
let wb;
before(async () => {
  wb = await startWorkbench({ name: 'editor', files: FILES });
  recordTiming('editor: workbench load (s)', wb.timings.workbenchLoadMs / 1000);
}, { timeout: 240_000 });
after(async () => { await wb?.close(); });
const it = (title, fn, options) => scenario(test, () => wb, title, fn, options);

/** Reads "Errors: N, Warnings: N, Infos: N" from the status bar's problems item. */
async function problemTotals() {
  const label = await wb.page.locator('#status\\.problems a, #status\\.problems').first().getAttribute('aria-label') ?? '';
  // The label names only the kinds there are ("Infos: 1"): a kind not named has none.
  const n = (k) => Number(new RegExp(`${k}: (\\d+)`, 'i').exec(label)?.[1] ?? 0);
  return { label, errors: n('Errors'), warnings: n('Warnings'), infos: n('Infos') };
}

const closeAllEditors = () => wb.closeAllEditors();

it('1. vgg16.cnn: no problems, shape hints, hover with 1,792 parameters, outline, status bar totals', async () => {
  await wb.watchFirstSquiggle();
  const enterAt = await wb.openFile('vgg16.cnn');
  // The inlay hint right after the first conv line.
  const line = await wb.waitForLine(/^conv3-64 pad1\s*→\s*64×224×224\s*$/);
  assert.match(line, /64×224×224/);
  // VGG16 has one teaching note (fc-dominates, information); nothing is an error or a warning.
  const squiggleAt = await wb.firstSquiggleAt();
  recordTiming('first diagnostics after Quick Open, first .cnn file (includes activation and server start) (ms)', squiggleAt - enterAt);
  const totals = await problemTotals();
  assert.equal(totals.errors, 0, `errors in vgg16.cnn: ${totals.label}`);
  assert.equal(totals.warnings, 0, `warnings in vgg16.cnn: ${totals.label}`);
  assert.equal(await wb.editor.locator('.squiggly-error, .squiggly-warning').count(), 0);

  const hover = await wb.hover('conv3-64 pad1', 'conv3-64', '1,792');
  assert.match(hover, /1,792/);
  assert.match(hover, /64×224×224/);
  // The README's picture: the file with its shape hints, the code lens and a hover on the first fc.
  await wb.hover('FC-4096', 'FC-4096', '102,764,544');
  const shot = await wb.screenshot('readme-editor');
  if (process.env.CNN_LAB_E2E_DOCS) {
    mkdirSync(join(REPO_DIR, 'docs'), { recursive: true });
    copyFileSync(shot, join(REPO_DIR, 'docs', 'screenshot.png'));
  }

  // The status bar shows the network's totals.
  const bar = (await wb.statusBar()).join(' | ');
  assert.match(bar, /vgg16: 138\.36 ?M params · 15\.47 ?G MACs/, `status bar: ${bar}`);

  // The outline lists the layers.
  await wb.command('Explorer: Focus on Outline View');
  const outline = wb.page.locator('.outline-pane .monaco-list-row, .pane-body.outline-pane .monaco-list-row');
  await outline.filter({ hasText: 'conv3-64 pad1' }).first().waitFor();
  const rows = (await outline.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  for (const want of ['vgg16', 'conv3-64 pad1', 'maxpool', 'conv3-128 pad1']) {
    assert.ok(rows.some((r) => r.includes(want)), `the outline has no row "${want}": ${JSON.stringify(rows)}`);
  }
  await wb.command('View: Show Explorer');
});

it('2. typing mistakes: squiggles, Problems rows with codes, the light bulb fixes the typo', async () => {
  await closeAllEditors();
  // First diagnostics of a file opened while the server runs (the performance figure).
  await wb.watchFirstSquiggle();
  const enterAt = await wb.openFile('mistakes.cnn');
  const squiggleAt = await wb.firstSquiggleAt();
  recordTiming('first diagnostics after Quick Open, server running (ms)', squiggleAt - enterAt);
  await closeAllEditors();

  await wb.openFile('scratch/scratch.cnn');
  await wb.waitForLine(/^conv3-16 pad1\s*→/);
  // An unknown layer, then a 3×3 pooling at stride 3 on a 32×32 map: it never reaches the last 2 rows and columns.
  await wb.typeAtEnd('convv3-16 pad1\nmaxpool3');
  await wb.waitForSquiggle('error');
  await wb.waitForSquiggle('warning');
  const rows = await wb.problems({ want: [/unknown-layer/, /dropped-pixels/] });
  assert.ok(rows.some((r) => /convv3-16|did you mean/.test(r)), `rows: ${JSON.stringify(rows)}`);

  await wb.clickToken('convv3-16', 'convv3-16', 0.3);
  const offered = await wb.quickFix(/Change to 'conv3-16'/);
  assert.ok(offered.length >= 1);
  await wb.waitForNoLine(/convv3/);
  await wb.waitForLine(/^maxpool3\s*→\s*16×10×10/);
  const convs = (await wb.visibleLines()).filter((l) => /^conv3-16 pad1\s*→\s*16×32×32/.test(l));
  assert.equal(convs.length, 2, `the fixed line is not conv3-16 pad1:\n${(await wb.visibleLines()).join('\n')}`);
  await wb.problems({ want: [/dropped-pixels/], unwanted: [/unknown-layer/] });
});

it('3. the quick fix "two 3×3 convolutions" rewrites conv5-64: same receptive field, fewer parameters', async () => {
  await closeAllEditors();
  await wb.openFile('scratch/kernel.cnn');
  await wb.waitForLine(/^conv5-64 pad2\s*→\s*64×56×56/);
  const before = await wb.hover('conv5-64 pad2', 'conv5-64', /Receptive field/);
  assert.match(before, /Receptive field:\**\s*5×5/, before);
  assert.match(before, /102,464/, before);

  await wb.clickToken('conv5-64 pad2', 'conv5-64', 0.3);
  await wb.quickFix(/two 3×3 convolutions/);
  await wb.waitForNoLine(/conv5-64/);
  const lines = (await wb.visibleLines()).filter((l) => /^conv3-64 pad1/.test(l));
  assert.equal(lines.length, 2, `expected two conv3-64 pad1 lines:\n${(await wb.visibleLines()).join('\n')}`);

  // The last of the two sees the same 5×5 field; the network has fewer parameters.
  const afterHover = await hoverNth('conv3-64 pad1', 1, /Receptive field/);
  assert.match(afterHover, /Receptive field:\**\s*5×5/, afterHover);
  const net = await wb.hover('network stack', 'stack', /Parameters/);
  assert.match(net, /73,856/, net);
});

/** Hovers the n-th (0-based) visible line that starts with `text`, moving in again until the hover shows (as wb.hover does). */
async function hoverNth(text, n, expect, timeout = 30_000) {
  const page = wb.page;
  const hoverSel = '.monaco-editor .monaco-hover:not(.hidden) .monaco-hover-content';
  const content = page.locator(hoverSel, { hasText: expect }).first();
  const deadline = Date.now() + timeout;
  let lastError;
  while (Date.now() < deadline) {
    const boxes = await wb.editor.evaluate((ed, text) => [...ed.querySelectorAll('.view-lines .view-line')]
      .filter((el) => (el.textContent || '').replace(/\u00a0/g, ' ').startsWith(text))
      .map((el) => { const r = el.firstElementChild.firstElementChild.getBoundingClientRect(); return { top: parseFloat(el.style.top), x: r.x, y: r.y, w: r.width, h: r.height }; })
      .sort((a, b) => a.top - b.top), text);
    assert.ok(boxes[n], `no line ${n} starting with ${text}`);
    await page.mouse.move(2, 2);
    await page.locator(hoverSel).first().waitFor({ state: 'hidden', timeout: 2000 }).catch(() => {});
    const x = boxes[n].x + Math.min(20, boxes[n].w / 2);
    const y = boxes[n].y + boxes[n].h / 2;
    await page.mouse.move(x - 3, y);
    await page.mouse.move(x, y);
    try {
      await content.waitFor({ timeout: Math.max(500, Math.min(5000, deadline - Date.now())) });
      return await content.innerText();
    } catch (e) {
      lastError = e;
    }
  }
  throw new Error(`the hover over line ${n} starting with "${text}" did not show ${expect} within ${timeout} ms`, { cause: lastError });
}

it('4. completion offers layer snippets; accepting one inserts a valid line', async () => {
  await closeAllEditors();
  await wb.openFile('scratch/complete.cnn');
  await wb.waitForLine(/^input 3x64x64/);
  await wb.typeAtEnd('');
  await wb.page.keyboard.press('Control+Space');
  const suggest = wb.page.locator('.editor-widget.suggest-widget');
  const rows = suggest.locator('.monaco-list-row');
  await rows.first().waitFor();
  const labels = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  for (const want of ['conv', 'maxpool']) {
    assert.ok(labels.some((l) => l.startsWith(want)), `completion offers no "${want}": ${JSON.stringify(labels)}`);
  }
  await wb.page.keyboard.type('conv');
  await rows.filter({ hasText: /^\s*conv\b/ }).first().waitFor();
  // Select the `conv` item itself (not dwconv, not a snippet of several lines) and accept it with Tab.
  const items = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  const k = items.findIndex((t) => /^conv\b/.test(t) && !/^convolution/i.test(t));
  assert.ok(k >= 0, `no conv item: ${JSON.stringify(items)}`);
  const selected = async () => (await suggest.locator('.monaco-list-row.focused').innerText()).replace(/\s+/g, ' ').trim();
  for (let guard = 0; guard < 20 && !/^conv\b/.test(await selected()); guard++) await wb.page.keyboard.press('ArrowDown');
  await wb.page.keyboard.press('Tab');
  await suggest.waitFor({ state: 'hidden' });
  await wb.page.keyboard.press('Escape'); // leave the snippet's placeholders
  const line = await wb.waitForLine(/^conv3-64 pad1\s*→\s*64×64×64\s*$/);
  assert.match(line, /→ 64×64×64/);
  assert.equal(await wb.editor.locator('.squiggly-error, .squiggly-warning').count(), 0, 'the inserted line has a problem');
});

it('6. "CNN Lab: Show Summary" opens the table: VGG16 has 138,357,544 parameters', async () => {
  await closeAllEditors();
  await wb.openFile('vgg16.cnn');
  await wb.waitForLine(/^conv3-64 pad1\s*→/);
  await wb.command('CNN Lab: Show Summary');
  const view = wb.webview();
  await view.locator('table').first().waitFor();
  await view.locator('body', { hasText: '138,357,544' }).waitFor();
  const rows = await view.locator('table tr').count();
  assert.ok(rows >= 30, `the summary table has ${rows} rows`);
  await wb.page.locator('.tabs-container .tab', { hasText: 'Summary: vgg16' }).waitFor();
});

it('7a. a 5,000-line garbage file keeps the editor responsive', async () => {
  await closeAllEditors();
  const enterAt = await wb.openFile('scratch/garbage.cnn');
  await wb.waitForSquiggle('error');
  const shownAt = await wb.page.evaluate(() => performance.now());
  recordTiming('garbage file: Quick Open to first squiggles (ms)', shownAt - enterAt);

  // Typing still echoes at once.
  await wb.clickToken('conv3-8 pad1', 'pad1', 1);
  await wb.page.keyboard.press('End');
  const t0 = await wb.page.evaluate(() => performance.now());
  await wb.page.keyboard.type(' x2');
  await wb.waitForLine(/^conv3-8 pad1 x2/, 5000);
  const t1 = await wb.page.evaluate(() => performance.now());
  recordTiming('garbage file: typing echo (ms)', t1 - t0);
  // The other files are still served at once.
  await wb.openFile('vgg16.cnn');
  await wb.hover('conv3-64 pad1', 'conv3-64', '1,792');
  // And the garbage file's own valid lines still get a hover and their shapes: garbage further down must
  // not take the network at the top with it.
  await wb.openFile('scratch/garbage.cnn');
  const h0 = Date.now();
  const why = 'a later line such as `o relu391 :2` (a word, a word, then `:`) makes the parser drop every '
    + 'statement of the file: for "network g / input 3x32x32 / conv3-8 pad1 / o relu391 :2" `cnnlab summary` '
    + 'shows no network and the server answers hover null and no inlay hints on lines 1–3';
  try {
    await wb.hover('input 3x32x32', 'input', /input/i, 10_000);
  } catch (e) {
    throw new Error(`no hover on the garbage file's \`input\` line: ${why}`, { cause: e });
  }
  recordTiming('garbage file: hover answered (ms)', Date.now() - h0);
  try {
    await wb.waitForLine(/^conv3-8 pad1 x2\s*→\s*8×32×32/, 10_000);
  } catch (e) {
    throw new Error(`no shape hint on the garbage file's valid conv line: ${why}`, { cause: e });
  }
});

it('8. resnet18.cnn: a residual\'s `end` shows its merge in the hover and its shape as a hint (issue 9)', async () => {
  await closeAllEditors();
  await wb.openFile('zoo/resnet18.cnn');
  // The first `end` closes layer1's residual: 64×56×56 from the body and the identity shortcut.
  await wb.waitForLine(/^\s*end\s*→\s*64×56×56/);
  const h = await wb.hover('end', 'end', /element-wise additions/);
  assert.match(h, /Inputs:\**\s*identity shortcut: 64×56×56/, h);
  assert.match(h, /body: 64×56×56/, h);
  assert.match(h, /Merged shape:\**\s*64×56×56/, h);
  // The first block's add sees 27×27 pixels (two 3×3 convs after the stem's 11×11 at jump 4).
  assert.match(h, /Receptive field:\**\s*27×27/, h);
  assert.match(h, /200,704 element-wise additions/, h);
  const bar = (await wb.statusBar()).join(' | ');
  assert.match(bar, /resnet18: 11\.69 ?M params · 1\.81 ?G MACs/, `status bar: ${bar}`);
});

/** A deterministic garbage file: a valid start, then lines of random tokens, symbols, numbers, long and unbalanced. */
function garbage(lines) {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const words = ['conv3-', 'conv', 'maxpool', 'fc-', 'block', 'end', 'repeat', 'network', 'input', 'auto', 'relu', 'pad',
    'stride', 'x', '99999999999999999', '-1', '0', '3x', '$', '@@', '{', '}', '(', '"', '\'', '\\', '→', '×', 'λ', '🙂', '\t',
    '#', '//', ':', 'gap', 'flatten', 'dropout1.5', 'upsample', 'dwconv', 'groups7', 'dilation0'];
  const out = ['network g', 'input 3x32x32', 'conv3-8 pad1'];
  while (out.length < lines) {
    const n = rnd() < 0.02 ? 400 : Math.floor(rnd() * 12);
    let s = '';
    for (let i = 0; i < n; i++) s += pick(words) + (rnd() < 0.5 ? String(Math.floor(rnd() * 1000)) : '') + (rnd() < 0.7 ? ' ' : '');
    out.push(s);
  }
  return out.join('\n') + '\n';
}
