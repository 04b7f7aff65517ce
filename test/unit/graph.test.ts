/**
 * Branching networks: lowering to a graph (inputs in execution order, labels, `auto` in residuals),
 * the merges' shapes and receptive fields, their diagnostics, and the new layer kinds against PyTorch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../server/src/analysis/analyze.js';
import { toSummary } from '../../server/src/analysis/summary.js';
import { MAX_DEPTH } from '../../server/src/language/program.js';
import { applyEdits } from '../helpers/edits.js';
import { codes, net, problems, readRepo } from '../helpers/core.js';

/** Layer rows as `text in→out` with inputs, for compact assertions. */
const rows = (src: string) => net(analyze(src)).layers.map((l) => `${l.decl.text} [${l.inputs.join(',')}] ${l.out?.join('x') ?? '?'}`);

test('a residual block lowers to body, shortcut and an add reading both, in execution order', () => {
  const a = analyze(`input 64x56x56
residual
  conv3-128 stride2 pad1 nobias
  bn
  relu
  conv3-128 pad1 nobias
  bn
shortcut
  conv1-128 stride2 nobias
  bn
end
relu
`);
  assert.deepEqual(problems(a), []);
  assert.deepEqual(rows(a.text), [
    'conv3-128 stride2 pad1 nobias [-1] 128x28x28', 'bn [0] 128x28x28', 'relu [1] 128x28x28', 'conv3-128 pad1 nobias [2] 128x28x28', 'bn [3] 128x28x28',
    'conv1-128 stride2 nobias [-1] 128x28x28', 'bn [5] 128x28x28', 'residual add [6,4] 128x28x28', 'relu [7] 128x28x28',
  ]);
  const n = net(a);
  // torchvision BasicBlock(64, 128, stride 2, downsample): 64·128·9 + 128·128·9 + 2·(2·128) + 64·128 + 2·128 = 230,144.
  assert.equal(n.totals.params, 230_144);
  // MACs: 28·28·128·(64·9 + 128·9) + 28·28·128·64 = 179,830,784; the add costs none.
  assert.equal(n.totals.macs, 179_830_784);
  assert.deepEqual(n.layers[7].decl.inputNames, ['shortcut', 'body']);
  assert.equal(n.layers[7].macs, 0);
  // The add takes the body's field (the largest): 3×3 s2 p1 then 3×3 s1 p1 → rf 7, jump 2, padding 3.
  assert.deepEqual([n.layers[7].rf, n.layers[7].jump, n.layers[7].padding], [[7, 7], [2, 2], [3, 3]]);
  assert.equal(n.layers[7].fieldFrom, 1);
});

test('concat joins channels in the documented order: shortcut then body, branches as written, labels then the current tensor', () => {
  const dense = net(analyze('input 8x4x4\nresidual concat\n  conv3-5 pad1\nend\n')).layers;
  assert.deepEqual(dense.map((l) => l.out), [[5, 4, 4], [13, 4, 4]]);
  assert.deepEqual(dense[1].inputs, [-1, 0], 'identity shortcut first');
  const par = net(analyze('input 8x4x4\nparallel\nbranch\n  conv1-3\nbranch\n  conv1-5\nbranch\nend\n')).layers;
  assert.deepEqual(par[2].inputs, [0, 1, -1]);
  assert.deepEqual(par[2].out, [16, 4, 4]);
  assert.deepEqual(par[2].decl.inputNames, ['branch 1', 'branch 2', 'branch 3']);
  const skip = net(analyze('input 3x8x8\na: conv3-4 pad1\nb: conv3-6 pad1\nconv3-7 pad1\nconcat b a\n')).layers;
  assert.deepEqual(skip[3].inputs, [1, 0, 2]);
  assert.deepEqual(skip[3].out, [17, 8, 8]);
  assert.deepEqual(skip[3].decl.inputNames, ['`b`', '`a`', 'the current tensor']);
});

test('a reference reads the latest output with its label before it, so labels inside repeats work', () => {
  const n = net(analyze(`input 4x8x8
repeat 2
  s: conv3-4 pad1
  conv3-4 pad1
  add s
end
`));
  const adds = n.layers.filter((l) => l.decl.spec.kind === 'add');
  assert.deepEqual(adds.map((l) => l.inputs), [[0, 1], [3, 4]]);
  // A label on a construct names the construct's output; on a block use, the block's output.
  const m = net(analyze(`block pair
  conv3-4 pad1
  conv3-4 pad1
end
input 4x8x8
p: pair
r: residual
  relu
end
add p r
`));
  const last = m.layers[m.layers.length - 1];
  assert.deepEqual(last.inputs, [1, 3, 3]);
});

test('auto in a residual: the activation after the body\'s last conv comes after the add, a shortcut gets bn only (torchvision\'s block)', () => {
  const n = net(analyze(`input 64x8x8
auto bn relu
residual
  conv3-128 stride2 pad1 nobias
  conv3-128 pad1 nobias
shortcut
  conv1-128 stride2 nobias
end
`));
  assert.deepEqual(n.layers.map((l) => `${l.decl.text}[${l.inputs.join(',')}]`), [
    'conv3-128 stride2 pad1 nobias[-1]', 'bn (auto)[0]', 'relu (auto)[1]', 'conv3-128 pad1 nobias[2]', 'bn (auto)[3]',
    'conv1-128 stride2 nobias[-1]', 'bn (auto)[5]', 'residual add[6,4]', 'relu (auto)[7]',
  ]);
  // The classifier keeps no activation; auto inside a parallel branch works as anywhere.
  const p = net(analyze('input 3x8x8\nauto relu\nparallel\nbranch\n  conv1-2\nbranch\n  conv1-3\nend\ngap\nfc-10\nfc-4\n'));
  assert.deepEqual(p.layers.map((l) => l.decl.text), ['conv1-2', 'relu (auto)', 'conv1-3', 'relu (auto)', 'parallel concat', 'gap', 'fc-10', 'relu (auto)', 'fc-4']);
  assert.deepEqual(p.layers[8].inputs, [7]);
});

test('mul broadcasts a C×1×1 side over C×H×W (squeeze-and-excitation)', () => {
  const a = analyze(`input 32x14x14
residual mul
  gap
  conv1-8
  relu
  conv1-32
  sigmoid
end
`);
  assert.deepEqual(problems(a), []);
  const n = net(a);
  assert.deepEqual(n.layers.map((l) => l.out), [[32, 1, 1], [8, 1, 1], [8, 1, 1], [32, 1, 1], [32, 1, 1], [32, 14, 14]]);
  // torchvision's SqueezeExcitation(32, 8): fc1 32·8 + 8, fc2 8·32 + 32.
  assert.equal(n.totals.params, 32 * 8 + 8 + 8 * 32 + 32);
  assert.deepEqual(codes(analyze('input 32x14x14\nresidual mul\n  conv1-16\nend\n')), ['merge-mismatch']);
});

test('merge-mismatch names both shapes; the projection-shortcut fix makes the residual fit', () => {
  const src = 'input 16x32x32\nresidual\n  conv3-32 stride2 pad1\n  relu\nend\n';
  const a = analyze(src);
  const d = a.diagnostics.find((x) => x.code === 'merge-mismatch')!;
  assert.equal(d.message, 'add: identity shortcut gives 16×32×32, body 32×16×16 — add needs equal shapes');
  assert.equal(a.text.slice(d.span.start, d.span.end), 'residual', 'reported on the construct line');
  const fix = d.fixes![0];
  assert.equal(fix.title, 'Add a projection shortcut: `conv1-32 stride2 nobias` + `bn` (16×32×32 → 32×16×16)');
  const fixed = applyEdits(src, fix.edits);
  assert.equal(fixed, 'input 16x32x32\nresidual\n  conv3-32 stride2 pad1\n  relu\nshortcut\n  conv1-32 stride2 nobias\n  bn\nend\n');
  const b = analyze(fixed);
  assert.deepEqual(problems(b), []);
  assert.deepEqual(net(b).layers.at(-1)!.out, [32, 16, 16]);
  // Concat of maps of different sizes names every input.
  const c = analyze('input 3x8x8\nx: conv3-4 pad1\nconv3-4\nconcat x\n');
  assert.equal(c.diagnostics.find((x) => x.code === 'merge-mismatch')!.message,
    'concat: `x` gives 4×8×8, the current tensor 4×6×6 — concat needs the same height and width on every input');
});

test('unknown-label: did you mean, and "defined later" with its line', () => {
  const a = analyze('input 3x8x8\nskip: conv3-4 pad1\nconv3-4 pad1\nadd skp\nadd later\nlater: relu\n');
  const msgs = a.diagnostics.filter((d) => d.code === 'unknown-label').map((d) => d.message);
  assert.deepEqual(msgs, [
    "no output is labelled 'skp' — did you mean 'skip'?",
    "no output is labelled 'later' before this line: 'later' is defined later, on line 6; a reference reads an output computed before it",
  ]);
  // The lines after an unresolved reference are still analysed.
  assert.deepEqual(net(a).layers.at(-1)!.out, [4, 8, 8]);
});

test('misaligned-paths: paths whose units are centred differently are named', () => {
  const a = analyze('input 8x32x32\nparallel add\nbranch\n  conv2-8 stride2\nbranch\n  conv3-8 pad1 stride2\nend\n');
  const d = a.diagnostics.find((x) => x.code === 'misaligned-paths')!;
  assert.equal(d.severity, 'information');
  assert.match(d.message, /branch 1: units 2 px apart, unit 0 centred at 0\.5; branch 2: units 2 px apart, unit 0 centred at 0/);
  // ResNet's downsampling block is aligned: no such note.
  assert.deepEqual(codes(analyze('input 8x32x32\nresidual\n  conv3-8 stride2 pad1\nshortcut\n  conv1-8 stride2\nend\n')), []);
});

test('structure errors: sections out of place, a parallel without branches, unclosed constructs', () => {
  assert.deepEqual(codes(analyze('input 3x8x8\nshortcut\nbranch\n')), ['syntax', 'syntax']);
  assert.deepEqual(codes(analyze('input 3x8x8\nparallel\n  relu\nend\n')), ['syntax', 'syntax']);
  assert.deepEqual(codes(analyze('input 3x8x8\nresidual\n  relu\n')), ['unbalanced-end']);
  assert.deepEqual(codes(analyze('input 3x8x8\nresidual sub\nend\n')), ['unknown-option']);
  assert.deepEqual(codes(analyze('input 3x8x8\nresidual\n  relu\nshortcut\nshortcut\nend\n')), ['syntax']);
});

test('expansion bombs are refused before they are expanded, nesting past the limit is refused, the rest is analysed', () => {
  const big = analyze('input 3x8x8\nrepeat 100000\n  repeat 100000\n    conv3-8 pad1\n  end\nend\nrelu\n');
  assert.deepEqual(codes(big), ['too-large']);
  assert.equal(big.text.slice(big.diagnostics[0].span.start, big.diagnostics[0].span.end), '100000');
  assert.deepEqual(net(big).layers.map((l) => l.decl.text), ['relu']);
  const xn = analyze('input 3x8x8\nrelu x99999999999999\nconv3-8 pad1\n');
  assert.equal(xn.text.slice(xn.diagnostics[0].span.start, xn.diagnostics[0].span.end), 'x99999999999999');
  assert.equal(net(xn).layers.length, 1);
  // The budget is per document: the second million-layer network is refused, the first is kept.
  const two = analyze('network a\ninput 3x8x8\nrelu x60000\nnetwork b\ninput 3x8x8\nrelu x60000\n');
  assert.deepEqual([net(two, 'a').layers.length, net(two, 'b').layers.length], [60_000, 0]);
  assert.deepEqual(codes(two), ['too-large']);
  // An empty body repeated a billion times costs nothing.
  assert.deepEqual(codes(analyze('input 3x8x8\nrepeat 1000000000\nend\n')), []);
  const deep = 'input 3x8x8\n' + 'residual\n'.repeat(3000) + 'relu\n' + 'end\n'.repeat(3000);
  const d = analyze(deep);
  assert.deepEqual(codes(d), ['too-deep']);
  assert.equal(d.lines.position(d.diagnostics[0].span.start).line, 1 + MAX_DEPTH);
  const chain = Array.from({ length: 3000 }, (_, i) => `block b${i}\n  ${i === 2999 ? 'relu' : `b${i + 1}`}\nend\n`).join('') + 'network n\ninput 3x8x8\nb0\n';
  assert.deepEqual(codes(analyze(chain)), ['too-deep']);
});

test('the new kinds give PyTorch\'s shapes, parameters and MACs (fixtures from generate_kinds.py)', () => {
  const fx = JSON.parse(readRepo('test/fixtures/torch/kinds.json')) as { cases: { line: string; input: number[]; out: number[]; params: number; macs: number }[] };
  assert.ok(fx.cases.length >= 20);
  for (const c of fx.cases) {
    const a = analyze(`input ${c.input.join('x')}\n${c.line}\n`);
    assert.deepEqual(problems(a).filter((p) => p !== 'dropped-pixels'), [], c.line);
    const l = net(a).layers[0];
    assert.deepEqual([l.out, l.params, l.macs], [c.out, c.params, c.macs], `${c.line} on ${c.input.join('×')}`);
  }
});

test('summary --json: layers in execution order with inputs (−1 = the input); merges are layers of their kind', () => {
  const s = toSummary(analyze('input 3x8x8\na: conv3-4 pad1\nresidual\n  conv3-4 pad1\nend\nconcat a\n'));
  const layers = s.networks[0].layers;
  assert.deepEqual(layers.map((l) => [l.kind, l.inputs]), [['conv', [-1]], ['conv', [0]], ['add', [0, 1]], ['concat', [0, 2]]]);
  assert.deepEqual(layers.map((l) => l.line), [2, 4, 5, 6]);
});

test('samples/mistakes.cnn demonstrates the graph diagnostics', () => {
  const c = new Set(codes(analyze(readRepo('samples/mistakes.cnn'))));
  for (const k of ['merge-mismatch', 'unknown-label', 'misaligned-paths', 'too-deep']) assert.ok(c.has(k), k);
});

test('a file past a million characters gets one note on its first line and is not analysed', () => {
  const text = 'network big\ninput 3x8x8\n' + 'relu\n'.repeat(420_000);
  const a = analyze(text);
  assert.deepEqual(codes(a), ['too-large']);
  assert.equal(a.text.slice(a.diagnostics[0].span.start, a.diagnostics[0].span.end), 'network big');
  assert.match(a.diagnostics[0].message, /2\.1 million characters; CNN Lab analyses files of up to 1 million/);
  assert.equal(a.networks.length, 0);
  assert.equal(a.parsed.statements.length, 0, 'nothing was parsed');
});
