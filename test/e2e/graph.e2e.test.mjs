// End to end in a real VS Code: the feature-map panel of a branching network ("Run branching networks",
// the panel). A small residual network written into the workspace runs on a bundled sample; the panel
// draws the graph, with the add as a join of two edges, and the add's section names what it reads.
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

it('a residual network\'s panel draws the graph with the add as a join, and the add\'s section names its inputs', async () => {
  await wb.openFile('tinyres.cnn');
  await wb.waitForLine(/^gap\s*→/);
  await wb.clickToken('gap', 'gap', 0.5);
  await wb.command('CNN Lab: Run on Image');
  const row = wb.page.locator(ROWS).filter({ hasText: 'shapes.png' }).filter({ hasText: /bundled sample/ }).first();
  await row.waitFor();
  await row.click();
  const view = wb.webview();
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
