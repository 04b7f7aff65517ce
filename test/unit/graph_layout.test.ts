// The graph diagram's layout (client/src/webview/graphLayout.ts), checked on small graphs laid out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { graphLayout, isChain, readNames } from '../../client/src/webview/graphLayout.js';
import { diagramSvg } from '../../client/src/webview/diagram.js';
import { displayLayout } from '../../server/src/run/display.js';
import { analyzeSample, net } from '../helpers/core.js';

const cells = (inputs: number[][]) => graphLayout(inputs).layers.map((c) => [c.col, c.row]);

test('a chain is one row, a column per layer, and isChain says so', () => {
  const inputs = [[-1], [0], [1]];
  assert.ok(isChain(inputs));
  assert.deepEqual(cells(inputs), [[1, 0], [2, 0], [3, 0]]);
  assert.deepEqual({ ...graphLayout(inputs), layers: undefined }, { input: { col: 0, row: 0 }, layers: undefined, cols: 4, rows: 1 });
});

test('a residual block with an identity shortcut: the add sits after the convs on the main row', () => {
  // 0 conv, 1 relu, 2 conv, 3 add(input, 2), 4 relu — as ResNet-18's analysis lists it (skip first).
  const inputs = [[-1], [0], [1], [-1, 2], [3]];
  assert.ok(!isChain(inputs));
  assert.deepEqual(cells(inputs), [[1, 0], [2, 0], [3, 0], [4, 0], [5, 0]]);
});

test('a projection shortcut is a second row beside the main path, joined by the add', () => {
  // 0 conv, 1 conv, 2 conv1x1 (shortcut, reads the input), 3 add(1, 2), 4 conv.
  const inputs = [[-1], [0], [-1], [1, 2], [3]];
  assert.deepEqual(cells(inputs), [[1, 0], [2, 0], [1, 1], [3, 0], [4, 0]]);
  assert.equal(graphLayout(inputs).rows, 2);
});

test('three parallel branches joined by a concat, then a second module reuses the freed rows', () => {
  // Module 1: 0 conv1x1 | 1 conv1x1 → 2 conv3x3 | 3 maxpool → 4 conv1x1; 5 concat(0, 2, 4).
  // Module 2: 6 conv | 7 conv; 8 concat(6, 7).
  const inputs = [[-1], [-1], [1], [-1], [3], [0, 2, 4], [5], [5], [6, 7]];
  assert.deepEqual(cells(inputs), [
    [1, 0], [1, 1], [2, 1], [1, 2], [2, 2], [3, 0],
    [4, 0], [4, 1], [5, 0],
  ]);
  const g = graphLayout(inputs);
  assert.equal(g.rows, 3);
  assert.equal(g.cols, 6);
});

test('a layer that reads a later layer is refused', () => {
  assert.throws(() => graphLayout([[-1], [2], [1]]), /layer 1 reads layer 2/);
});

/** The panel's layer views of a sample (line = the layer's 0-based line in the file). */
function views(rel: string) {
  const a = analyzeSample(rel);
  return net(a).layers.map((l, i) => ({
    index: i, text: l.decl.text, keyword: l.decl.keyword, kind: l.decl.spec.kind, line: a.lines.position(l.decl.stmt.span.start).line,
    inputs: l.inputs, shape: l.out!, params: l.params, formula: l.formula, macs: l.macs, auto: !!l.decl.auto, layout: displayLayout(l.out!),
  }));
}

test('ResNet-18 is drawn as a graph: each of its 8 adds is a join with two incoming edges, and no relu or bn box', () => {
  const layers = views('samples/zoo/resnet18.cnn');
  const svg = diagramSvg([3, 224, 224], layers);
  assert.match(svg, /diagram-graph/);
  const joins = [...svg.matchAll(/<g class="blk gnode blk-add join" data-layer="(\d+)"/g)].map((m) => Number(m[1]));
  assert.deepEqual(joins, layers.filter((l) => l.kind === 'add').map((l) => l.index));
  assert.equal(joins.length, 8);
  for (const j of joins) assert.equal([...svg.matchAll(new RegExp(`data-to="${j}"`, 'g'))].length, 2, `edges into layer ${j}`);
  assert.doesNotMatch(svg, /blk-relu|blk-bn|style=/);
  // The first add reads the maxpool (the identity shortcut) and the block's second bn.
  const first = layers[joins[0]];
  assert.deepEqual(readNames(first.inputs, layers).map((n) => n.text), ['3: maxpool3 stride2 pad1', '8: bn2: bn']);
});

test('a chain keeps the strip of slabs', () => {
  assert.doesNotMatch(diagramSvg([3, 224, 224], views('samples/vgg16.cnn')), /gnode|gedge/);
  assert.deepEqual(readNames([-1], []), [{ index: -1, text: 'the network input' }]);
});
