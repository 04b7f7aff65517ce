/** Diagnostics: stable codes on the right lines, ranges on the offending token, working quick fixes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../server/src/analysis/analyze.js';
import { analyzeSample, codes, net, problems, readRepo } from '../helpers/core.js';
import { applyEdits } from '../helpers/edits.js';

test('samples/mistakes.cnn reports exactly the codes its `expect:` comments name, line by line', () => {
  const text = readRepo('samples/mistakes.cnn');
  const a = analyzeSample('samples/mistakes.cnn');
  const expected = new Map<number, string[]>();
  text.split('\n').forEach((l, i) => {
    const m = /#\s*expect:\s*(.*)$/.exec(l);
    if (m) expected.set(i + 1, m[1].trim().split(/\s+/).sort());
  });
  const actual = new Map<number, string[]>();
  for (const d of a.diagnostics) {
    const line = a.lines.position(d.span.start).line + 1;
    actual.set(line, [...(actual.get(line) ?? []), d.code].sort());
  }
  assert.deepEqual(Object.fromEntries(actual), Object.fromEntries(expected));
  // Every code the README promises is demonstrated by the sample.
  const all = new Set([...expected.values()].flat());
  for (const c of ['syntax', 'unknown-layer', 'unknown-option', 'missing-input', 'shape-collapse', 'groups-mismatch', 'dropped-pixels',
    'pool-on-1x1', 'rf-exceeds-input', 'fc-dominates', 'large-kernel']) assert.ok(all.has(c), `mistakes.cnn lacks ${c}`);
});

test('every diagnostic has a non-empty range inside the text and a message', () => {
  for (const f of ['samples/mistakes.cnn', 'samples/vgg.cnn', 'samples/alexnet.cnn']) {
    const a = analyzeSample(f);
    for (const d of a.diagnostics) {
      assert.ok(d.span.start >= 0 && d.span.end <= a.text.length && d.span.end > d.span.start, `${f}: ${d.code} has range ${JSON.stringify(d.span)}`);
      assert.ok(d.message.length > 10);
    }
  }
});

test('the range is on the offending token', () => {
  const a = analyze('input 3x32x32\nconv3-8 padd1 stride2\nconv3-9 groups3 pad1\n');
  const token = (code: string) => { const d = a.diagnostics.find((x) => x.code === code)!; return a.text.slice(d.span.start, d.span.end); };
  assert.equal(token('unknown-option'), 'padd1');
  assert.equal(token('groups-mismatch'), 'groups3');
  assert.equal(token('dropped-pixels'), 'stride2');
});

test('"did you mean" keeps the typed numbers: convv3-8 → conv3-8, padd1 → pad1, fc4096 → fc-4096', () => {
  const cases: [string, string][] = [['convv3-8', 'conv3-8'], ['con3-8', 'conv3-8'], ['maxpol', 'maxpool'], ['fc4096', 'fc-4096'], ['sofmax', 'softmax'], ['reluu', 'relu'], ['dropuot', 'dropout']];
  for (const [typo, fixed] of cases) {
    const a = analyze(`input 3x32x32\n${typo}\n`);
    const d = a.diagnostics.find((x) => x.code === 'unknown-layer');
    assert.ok(d, `${typo}: no unknown-layer`);
    assert.match(d.message, new RegExp(`did you mean '${fixed}'`), typo);
    assert.equal(applyEdits(a.text, d.fixes![0].edits), `input 3x32x32\n${fixed}\n`);
  }
  const b = analyze('input 3x32x32\nconv3-8 padd1 strid2\n');
  assert.deepEqual(b.diagnostics.map((d) => d.fixes?.[0].edits[0].text), ['pad1', 'stride2']);
});

test('an unknown layer passes its input through so later lines are still checked', () => {
  const a = analyze('input 3x32x32\nfrobnicate 3\nconv3-8 groups2\nmaxpool3\n');
  assert.deepEqual(codes(a), ['unknown-layer', 'groups-mismatch']);
  assert.equal(net(a).layers[0].out?.join('x'), '3x32x32');
});

test('a broken line does not hide diagnostics on later lines', () => {
  const a = analyze('input 3x32x32\nconv3-8 : : pad1 $$\n64 128\nconv3-8 groups3\n: :\nconvv3-4\n');
  const byLine = a.diagnostics.map((d) => [a.lines.position(d.span.start).line + 1, d.code]);
  assert.ok(byLine.some(([l, c]) => l === 4 && c === 'groups-mismatch'), JSON.stringify(byLine));
  assert.ok(byLine.some(([l, c]) => l === 6 && c === 'unknown-layer'), JSON.stringify(byLine));
  assert.ok(byLine.some(([l, c]) => l === 2 && c === 'syntax'));
  assert.ok(byLine.some(([l, c]) => l === 3 && c === 'syntax'));
});

test('enormous numbers give diagnostics, never NaN or Infinity', () => {
  for (const src of ['input 3x224x224\nconv3-99999999999 pad1\nfc-99999999999\n', 'input 99999999999x99999999999x99999999999\nconv3-8\n',
    'input 3x224x224\nconv99999999999999999999-8\n', 'input 3x224x224\nfc-1e400\nupsample99999999\n']) {
    const a = analyze(src);
    assert.ok(a.diagnostics.some((d) => d.severity === 'error'), src);
    for (const n of a.networks) {
      for (const v of [n.totals.params, n.totals.macs, n.totals.activations, ...n.layers.flatMap((l) => [l.params, l.macs, ...(l.out ?? [])])]) {
        assert.ok(Number.isFinite(v), `${src}: ${v}`);
      }
    }
  }
});

test('the large-kernel quick fix rewrites a 5×5 conv as two 3×3 convs with the same receptive field and its real cost', () => {
  // 16 → 16 channels: 2·(16·16·9 + 16) = 4,640 parameters instead of 16·16·25 + 16 = 6,416.
  const src = 'input 16x32x32\nconv5-16 pad2\nrelu\n';
  const a = analyze(src);
  const d = a.diagnostics.find((x) => x.code === 'large-kernel')!;
  assert.equal(d.message, 'a 5×5 conv has the receptive field of two stacked 3×3 convs; on this 16×32×32 input, two 3×3 convs of ' +
    '16 → 16 → 16 channels with a nonlinearity between them need fewer parameters (6,416 → 4,640) and fewer MACs (6.55 M → 4.72 M)');
  assert.deepEqual(d.fixes!.map((f) => [f.title, f.preferred]), [[
    'Replace by two 3×3 convolutions (16 → 16 → 16 channels) with `relu` between them, as after this conv: ' +
    'same receptive field, fewer parameters (6,416 → 4,640) and fewer MACs (6.55 M → 4.72 M)', true]]);
  const fixed = applyEdits(src, d.fixes![0].edits);
  assert.equal(fixed, 'input 16x32x32\nconv3-16 pad1\nrelu\nconv3-16 pad1\nrelu\n');
  const b = analyze(fixed);
  assert.deepEqual(codes(b), []);
  const before = net(a).layers[0];
  const after = net(b).layers[2];
  assert.deepEqual([after.rf, after.out], [before.rf, before.out]);
  assert.equal(net(a).totals.params - net(b).totals.params, 6_416 - 4_640);
  // 3 → 8 channels, no activation written and no `auto`: the middle conv stays at 3 channels and a relu goes between.
  const seven = analyze('input 3x32x32\nconv7-8\n').diagnostics[0];
  assert.match(seven.message, /three stacked 3×3 convs; on this 3×32×32 input, three 3×3 convs of 3 → 3 → 3 → 8 channels with a nonlinearity between them need fewer parameters \(1,184 → 392\) and fewer MACs \(794\.98 k → 282\.42 k\)/);
  assert.equal(seven.fixes!.length, 1, 'the 8-channel middle (1,392 parameters) costs more than the 7×7 conv and is not offered');
  assert.match(seven.fixes![0].title, /^Replace by three 3×3 convolutions \(3 → 3 → 3 → 8 channels\) with ReLUs between them: /);
  assert.equal(applyEdits('input 3x32x32\nconv7-8\n', seven.fixes![0].edits), 'input 3x32x32\nconv3-3\nrelu\nconv3-3\nrelu\nconv3-8\n');
});

test('large-kernel after a narrower layer: the 32-wide stack costs more, so the fix keeps the middle conv at the input width', () => {
  // The issue: conv5-32 after 16 channels rewritten as conv3-32 twice went from 12,832 to 13,888 parameters.
  const src = 'input 16x32x32\nconv5-32 pad2\n';
  const d = analyze(src).diagnostics.find((x) => x.code === 'large-kernel')!;
  assert.equal(d.message, 'a 5×5 conv has the receptive field of two stacked 3×3 convs; on this 16×32×32 input, two 3×3 convs of ' +
    '16 → 16 → 32 channels with a nonlinearity between them need fewer parameters (12,832 → 6,960) and fewer MACs (13.11 M → 7.08 M)');
  assert.deepEqual(d.fixes!.map((f) => f.title), ['Replace by two 3×3 convolutions (16 → 16 → 32 channels) with a ReLU between them: ' +
    'same receptive field, fewer parameters (12,832 → 6,960) and fewer MACs (13.11 M → 7.08 M)']);
  assert.equal(applyEdits(src, d.fixes![0].edits), 'input 16x32x32\nconv3-16 pad1\nrelu\nconv3-32 pad1\n');
});

test('large-kernel where stacking does not pay (5×5 valid on a 5×5 map): the hint says so and the fix never says fewer', () => {
  const d = analyze('input 8x5x5\nconv5-8\n').diagnostics.find((x) => x.code === 'large-kernel')!;
  assert.equal(d.message, 'a 5×5 conv has the receptive field of two stacked 3×3 convs, but here stacking trades one cost for the other: ' +
    'on this 8×5×5 input, two 3×3 convs of 8 → 8 → 8 channels with a nonlinearity between them need fewer parameters (1,608 → 1,168) but more MACs (1.60 k → 5.76 k)');
  assert.deepEqual(d.fixes!.map((f) => [f.title, f.preferred]), [['Replace by two 3×3 convolutions (8 → 8 → 8 channels) with a ReLU between them: ' +
    'same receptive field, but more MACs here (parameters 1,608 → 1,168, MACs 1.60 k → 5.76 k)', undefined]]);
});

test('large-kernel without a fix (pad1, a block, xN, a 21×21 kernel) claims no nonlinearity', () => {
  for (const src of ['input 16x32x32\nconv5-32 pad1\n', 'input 3x32x32\nblock b\nconv5-8 same\nend\nb\n', 'input 3x32x32\nconv5-8 pad2 x2\n', 'input 3x99x99\nconv21-4 same\n']) {
    const ds = analyze(src).diagnostics.filter((x) => x.code === 'large-kernel');
    assert.equal(ds.length, 1, src);
    assert.equal(ds[0].fixes, undefined, src);
    assert.doesNotMatch(ds[0].message, /nonlinearit/, src);
  }
  // pad1 spread over the stack: the first 3×3 conv pads, the second does not (32×32 → 32×32 → 30×30, as the 5×5 pad1 conv).
  const pad1 = analyze('input 16x32x32\nconv5-32 pad1\n').diagnostics[0].message;
  const hand = net(analyze('input 16x32x32\nconv3-16 pad1\nrelu\nconv3-32\n')).totals;
  assert.ok(pad1.includes(`fewer parameters (12,832 → ${hand.params.toLocaleString('en-US')}) and fewer MACs (11.52 M → ${(hand.macs / 1e6).toFixed(2)} M)`), pad1);
  assert.equal(analyze('input 3x99x99\nconv21-4 same\n').diagnostics[0].message, 'a 21×21 conv has the receptive field of 10 stacked 3×3 convs');
});

test('the fc-dominates fix replaces flatten by gap and the share drops', () => {
  const src = readRepo('samples/lecture/05-gap-vs-fc.cnn');
  const a = analyze(src);
  const d = a.diagnostics.find((x) => x.code === 'fc-dominates')!;
  assert.match(d.message, /fc layers hold 99\.6% of the parameters \(16,782,858 of 16,858,506\)/);
  assert.match(d.message, /remove 16,711,680/);
  const b = analyze(applyEdits(src, d.fixes![0].edits));
  assert.equal(net(a).totals.params - net(b).totals.params, 16_711_680);
  assert.equal(net(b, 'flatten-fc').totals.params, net(b, 'gap-fc').totals.params);
});

test('missing-input and double-activation fixes resolve their diagnostics', () => {
  for (const [src, code] of [['conv3-8 pad1\nrelu\n', 'missing-input'], ['input 3x8x8\nauto relu\nconv3-8\nrelu\n', 'double-activation']] as const) {
    const a = analyze(src);
    const d = a.diagnostics.find((x) => x.code === code)!;
    const b = analyze(applyEdits(src, d.fixes![0].edits));
    assert.deepEqual(problems(b), [], `${code}: ${b.text}`);
  }
});

test('severities follow the issue: errors, warnings, information, hints', () => {
  const sev = new Map(analyzeSample('samples/mistakes.cnn').diagnostics.map((d) => [d.code, d.severity]));
  assert.deepEqual(
    ['shape-collapse', 'groups-mismatch', 'dropped-pixels', 'pool-on-1x1', 'rf-exceeds-input', 'fc-dominates', 'large-kernel', 'syntax'].map((c) => sev.get(c)),
    ['error', 'error', 'warning', 'warning', 'information', 'information', 'information', 'error']);
});

test('one mistake, one diagnostic: a maxpool that collapses a 1×1 map is only shape-collapse; a late input only input-not-first', () => {
  const collapse = analyze('input 8x1x1\nmaxpool\n');
  assert.deepEqual(codes(collapse), ['shape-collapse']);
  // A pool that keeps 1×1 (3×3 with pad 1) still gets pool-on-1x1.
  assert.ok(codes(analyze('input 8x1x1\nmaxpool3 stride1 pad1\n')).includes('pool-on-1x1'));
  const late = analyze('network n\nconv3-8\ninput 3x32x32\n');
  assert.deepEqual(codes(late).filter((c) => c !== 'rf-exceeds-input'), ['input-not-first']);
  // Without any input line the network still gets missing-input.
  assert.deepEqual(codes(analyze('network n\nconv3-8\n')), ['missing-input']);
});

test('the large-kernel note is information (a visible squiggle), on the whole head token `conv5-32`', () => {
  const a = analyze('input 16x32x32\nconv5-32 pad2\n');
  const d = a.diagnostics.find((x) => x.code === 'large-kernel')!;
  assert.equal(d.severity, 'information');
  assert.equal(a.text.slice(d.span.start, d.span.end), 'conv5-32');
  assert.match(d.fixes![0].title, /12,832 → 6,960/);
});
