/**
 * The comparison view without VS Code: its sorting and bar layout (client/src/webview/compareLayout.ts),
 * its page's content security policy (compareHtml.ts) and its message guard (compareMessages.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareNetworks } from '../../server/src/analysis/compare.js';
import { compareHtml, COMPARE_COLUMNS, STAGE_DEFINITION } from '../../client/src/compareHtml.js';
import { isFromCompareView } from '../../client/src/compareMessages.js';
import { barLayout, cells, legend, nextSort, sortOrder, stageColor, type ComparedNetwork } from '../../client/src/webview/compareLayout.js';
import { analyzeSample } from '../helpers/core.js';

/** A network with two stages and a head, figures chosen by hand. */
const net = (name: string, params: number[], macs: number[], extra: Partial<ComparedNetwork> = {}): ComparedNetwork => ({
  name, weightLayers: params.length, params: params.reduce((a, b) => a + b, 0), macs: macs.reduce((a, b) => a + b, 0),
  activations: 0, paramBytes: 0, fcShare: 0, rf: null,
  stages: params.map((p, i) => ({ key: i === params.length - 1 ? 'head' : `s${i}`, label: i === params.length - 1 ? 'head' : `stage ${i}`, size: null, params: p, macs: macs[i], layers: 1 })),
  ...extra,
});

const A = net('a', [10, 30, 60], [100, 0, 100], { rf: [5, 5], fcShare: 0.6 });
const B = net('b', [50, 50, 0], [400, 400, 0], { rf: [3, 7], fcShare: 0 });
const C = net('c', [20, 0, 20], [10, 0, 10], { rf: null, fcShare: 0.5 });

test('sortOrder: by a column either way, ties in file order, unknown fields first ascending', () => {
  const nets = [A, B, C];
  assert.deepEqual(sortOrder(nets, 'file', 'asc'), [0, 1, 2]);
  assert.deepEqual(sortOrder(nets, 'file', 'desc'), [2, 1, 0]);
  assert.deepEqual(sortOrder(nets, 'params', 'desc'), [0, 1, 2], 'a and b both have 100: file order');
  assert.deepEqual(sortOrder(nets, 'params', 'asc'), [2, 0, 1]);
  assert.deepEqual(sortOrder(nets, 'macs', 'desc'), [1, 0, 2]);
  // rf sorts by area: b 3×7 = 21 < a 5×5 = 25; c unknown.
  assert.deepEqual(sortOrder(nets, 'rf', 'asc'), [2, 1, 0]);
  assert.deepEqual(sortOrder(nets, 'fcShare', 'desc'), [0, 2, 1]);
  assert.deepEqual(sortOrder([C, A, B], 'name', 'asc'), [1, 2, 0]);
});

test('nextSort: a new column largest first (names A to Z), then turned round, then the file order', () => {
  let s = nextSort({ key: 'file', dir: 'asc' }, 'params');
  assert.deepEqual(s, { key: 'params', dir: 'desc' });
  s = nextSort(s, 'params');
  assert.deepEqual(s, { key: 'params', dir: 'asc' });
  assert.deepEqual(nextSort(s, 'params'), { key: 'file', dir: 'asc' });
  assert.deepEqual(nextSort(s, 'name'), { key: 'name', dir: 'asc' });
  assert.deepEqual(nextSort({ key: 'name', dir: 'asc' }, 'name'), { key: 'name', dir: 'desc' });
});

test('barLayout: one scale for all bars, segments end to end per stage, empty stages left out', () => {
  const nets = [A, B, C];
  const bars = barLayout(nets, sortOrder(nets, 'macs', 'desc'), 'macs', 400);
  assert.deepEqual(bars.map((b) => [b.index, b.name, b.total, b.width]), [[1, 'b', 800, 400], [0, 'a', 200, 100], [2, 'c', 20, 10]]);
  // a: 100 MACs in s0, none in s1, 100 in the head → two segments of 50 px.
  assert.deepEqual(bars[1].segments.map((s) => [s.key, s.x, s.width, s.value]), [['s0', 0, 50, 100], ['head', 50, 50, 100]]);
  const p = barLayout(nets, [0, 1, 2], 'params', 100);
  assert.deepEqual(p[0].segments.map((s) => [s.key, s.x, s.width]), [['s0', 0, 10], ['s1', 10, 30], ['head', 40, 60]]);
  for (const b of [...bars, ...p]) {
    const end = b.segments.length ? b.segments[b.segments.length - 1].x + b.segments[b.segments.length - 1].width : 0;
    assert.ok(Math.abs(end - b.width) < 1e-9, `${b.name}: segments end at ${end}, bar at ${b.width}`);
  }
  assert.deepEqual(barLayout([net('z', [0], [0])], [0], 'params', 100)[0], { index: 0, name: 'z', total: 0, width: 0, segments: [] }, 'nothing to draw, no division by zero');
});

test('the VGG file\'s bars: VGG-E the longest params bar; every bar\'s stages add up to its total', () => {
  const nets = compareNetworks(analyzeSample('samples/vgg.cnn')).networks;
  const bars = barLayout(nets, sortOrder(nets, 'params', 'desc'), 'params', 1000);
  assert.equal(bars[0].name, 'VGG-E');
  assert.equal(bars[0].width, 1000);
  for (const b of bars) assert.equal(b.segments.reduce((s, x) => s + x.value, 0), b.total);
  // The head (three fcs, 123.6 M) is most of every VGG's parameters: 86 % of E's bar.
  const head = bars[0].segments.find((s) => s.key === 'head')!;
  assert.ok(Math.abs(head.width - (1000 * 123_642_856) / 143_667_240) < 1e-9);
});

test('legend: every stage that draws something, in order, the head last, one colour per key everywhere', () => {
  const l = legend([A, B, net('d', [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], new Array(12).fill(1))]);
  assert.deepEqual(l.map((e) => e.key), ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 'head']);
  assert.equal(l[0].color, stageColor('s0'));
  assert.equal(new Set(l.map((e) => e.color)).size, l.length, 'distinct colours');
  assert.equal(l[l.length - 1].label, 'head');
  // VGG's stage 5 is pool5 alone (no params, no MACs): not in the legend. Every VGG agrees on the sizes.
  const vgg = legend(compareNetworks(analyzeSample('samples/vgg.cnn')).networks);
  assert.deepEqual(vgg.map((e) => e.label), ['stage 0 (224×224)', 'stage 1 (112×112)', 'stage 2 (56×56)', 'stage 3 (28×28)', 'stage 4 (14×14)', 'head']);
  // Sizes that differ between networks are left out of the label.
  assert.deepEqual(legend([
    { ...A, stages: [{ ...A.stages[0], size: [8, 8] }] }, { ...B, stages: [{ ...B.stages[0], size: [9, 9] }] },
  ]).map((e) => e.label), ['stage 0']);
});

test('cells: the table\'s text as the CLI has it', () => {
  const d = compareNetworks(analyzeSample('samples/vgg.cnn')).networks[4];
  assert.deepEqual(cells(d), { name: 'VGG-D', weightLayers: '16', params: '138.36 M', macs: '15.47 G', activations: '114.6 MB', paramBytes: '553.4 MB', fcShare: '89.4%', rf: '212' });
  assert.equal(cells({ ...d, rf: [3, 7], rfApproximate: true }).rf, '≈3×7');
  assert.equal(cells({ ...d, rf: null }).rf, '?');
});

test('the page: a content security policy with a nonce, the script from the extension, the stage definition in the legend', () => {
  const html = compareHtml({ scriptUri: 'vscode-resource:/ext/dist/compare.js', cspSource: 'vscode-resource:', nonce: 'N0NCE' });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
  assert.equal(csp, "default-src 'none'; style-src vscode-resource: 'nonce-N0NCE'; script-src 'nonce-N0NCE'");
  assert.match(html, /<script nonce="N0NCE" src="vscode-resource:\/ext\/dist\/compare\.js"><\/script>/);
  assert.match(html, /<style nonce="N0NCE">/);
  assert.equal((html.match(/<script/g) ?? []).length, 1, 'no inline script');
  assert.ok(!/ on[a-z]+=/.test(html), 'no inline event handlers');
  assert.ok(html.includes(STAGE_DEFINITION.replace(/'/g, '&#39;')));
  for (const c of COMPARE_COLUMNS) assert.ok(html.includes(`data-key="${c.key}"`), c.key);
});

test('messages from the view are checked before use', () => {
  assert.ok(isFromCompareView({ type: 'ready' }));
  assert.ok(isFromCompareView({ type: 'reveal', network: 'VGG-D' }));
  for (const m of [null, 1, 'ready', {}, { type: 'reveal' }, { type: 'reveal', network: 3 }, { type: 'run' }]) assert.ok(!isFromCompareView(m), JSON.stringify(m));
});
