/**
 * The language features as plain functions of an analysis (no server process): the cases the
 * protocol test does not reach — blocks, repeats, settings, clients without snippets, the summary
 * view's HTML.
 */
import { codeLenses } from '../../server/src/features/codeLens.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../server/src/analysis/analyze.js';
import { toSummary } from '../../server/src/analysis/summary.js';
import { defaultNetworkName } from '../../server/src/features/cache.js';
import { samePadding } from '../../server/src/features/codeActions.js';
import { completion, snippetToText } from '../../server/src/features/completion.js';
import { foldingRanges } from '../../server/src/features/folding.js';
import { formatLines } from '../../server/src/features/formatting.js';
import { hover } from '../../server/src/features/hover.js';
import { inlayHints } from '../../server/src/features/inlayHints.js';
import { indexOf } from '../../server/src/features/locate.js';
import { namedAt, invalidName } from '../../server/src/features/names.js';
import { semanticTokens, LEGEND } from '../../server/src/features/semanticTokens.js';
import { levelOf, readSettings, DEFAULT_SETTINGS } from '../../server/src/features/settings.js';
import { documentSymbols } from '../../server/src/features/symbols.js';
import { diagnostics, MAX_DIAGNOSTICS } from '../../server/src/features/diagnostics.js';
import { isFromSummaryView } from '../../client/src/summaryMessages.js';
import { statusText, summaryHtml } from '../../client/src/summaryHtml.js';
import { makeNonce } from '../../client/src/webviewHtml.js';
import { readRepo } from '../helpers/core.js';
import { applyEdits } from '../helpers/edits.js';
import { rng } from '../helpers/random.js';
import { LSPErrorCodes, ResponseError, type CancellationToken, type RemoteConsole } from 'vscode-languageserver';
import { checkCancelled, runSafe } from '../../server/src/features/runSafe.js';

const BLOCKS = `block stage
  conv3-8 pad1 x2
  maxpool
end
network r
input 3x32x32
auto relu
s1: stage
stage x2
repeat 2
  conv3-16 pad1
end
upsample2 zeros
conv3-4 pad1
fc-10
`;

const ALL = { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } };
const at = (text: string, needle: string, delta = 1) => text.indexOf(needle) + delta;
const md = (h: ReturnType<typeof hover>) => (h?.contents as { value: string } | undefined)?.value ?? '';

test('inlay hints: last layer of an xN line, of a repeat; each pass of a repeated call; each use and pass of a block body line', () => {
  const a = analyze(BLOCKS, 'r');
  const hints = inlayHints(a, ALL, { shapes: true, params: false }).map((h) => `${h.position.line}: ${h.label}`);
  // s1 runs stage on 3×32×32 (conv keeps 32×32, maxpool halves); `stage x2` runs it on 8×16×16 then on 8×8×8.
  assert.deepEqual(hints, [
    '1: → 8×32×32 | 8×16×16 → 8×8×8', // the body line: its use by s1, then the two passes of `stage x2` (issue 12)
    '2: → 8×16×16 | 8×8×8 → 8×4×4',
    '7: → 8×16×16',
    '8: → 8×8×8 → 8×4×4',
    '9: → 16×4×4',
    '10: → 16×4×4',
    '12: → 16×8×8',
    '13: → 4×8×8',
    '14: → 10',
  ]);
  assert.deepEqual(inlayHints(a, ALL, { shapes: false, params: false }), []);
  const params = inlayHints(a, { start: { line: 14, character: 0 }, end: { line: 14, character: 0 } }, { shapes: false, params: true });
  assert.deepEqual(params.map((h) => h.label), ['2,570 params']);
});

test('hover: a block body line lists its layers from every use; a repeat body line details each copy', () => {
  const a = analyze(BLOCKS, 'r');
  const body = md(hover(a, at(BLOCKS, 'conv3-8')));
  assert.match(body, /6 layers from the 2 lines that use its block/);
  assert.match(body, /\| 10 \| `conv3-8 pad1 x2` \| 8×8×8 \| 584 \|/);
  const rep = md(hover(a, at(BLOCKS, 'conv3-16')));
  assert.match(rep, /layer #15 of `r` · via `repeat` · copy 1/);
  assert.match(rep, /layer #17 of `r` · via `repeat` · copy 2/);
  const call = md(hover(a, at(BLOCKS, 's1')));
  assert.match(call, /\*\*block `stage`\*\*: 3×32×32 → 8×16×16 · 5 layers · 808 params/);
  assert.match(md(hover(a, at(BLOCKS, 'conv3-4'))), /approximate: after upsampling/);
  assert.match(md(hover(a, at(BLOCKS, 'auto'))), /added 9 layers/);
  assert.match(md(hover(a, at(BLOCKS, 'block stage', 8))), /block `stage`\*\* · used 2 times/);
  assert.equal(hover(a, at(BLOCKS, '  conv3-8', 0)), null, 'nothing on indentation');
});

test('document symbols nest repeat bodies and list blocks on their own; folding covers networks, blocks, repeats', () => {
  const a = analyze(BLOCKS, 'r');
  const tree = (s: { name: string; children?: unknown[] }[]): unknown => s.map((x) => (x.children?.length ? [x.name, tree(x.children as never)] : x.name));
  assert.deepEqual(tree(documentSymbols(a).symbols), [
    ['stage', ['conv3-8 pad1 x2', 'maxpool']],
    ['r', ['input 3x32x32', 's1: stage', 'stage x2', ['repeat 2', ['conv3-16 pad1']], 'upsample2 zeros', 'conv3-4 pad1', 'fc-10']],
  ]);
  assert.deepEqual(foldingRanges(a).map((f) => [f.startLine, f.endLine]), [[0, 2], [4, 14], [9, 10]]);
  const limited = documentSymbols(a, undefined, 6);
  assert.deepEqual(tree(limited.symbols), [['stage', ['conv3-8 pad1 x2', 'maxpool']], ['r', ['input 3x32x32', 's1: stage']]]);
  assert.equal(limited.truncated, 6, 'stage x2, repeat 2 (and its body line), upsample, conv, fc');
});

test('formatting: mixed-case keywords are lower-cased, repeat bodies indented, comment lines follow the depth', () => {
  const text = 'network x\ninput 3x8x8\nFC-10\nfc-10\nREPEAT 2\nConv3-4   PAD1\n# inside\nend\n  # after\n';
  const a = analyze(text);
  const out = applyEdits(text, formatLines(a, 0, 100).map((c) => ({
    span: { start: a.lines.lineStart(c.line), end: a.lines.lineStart(c.line) + text.split('\n')[c.line].length }, text: c.text,
  })));
  assert.equal(out, 'network x\ninput 3x8x8\nfc-10\nfc-10\nrepeat 2\n  conv3-4 pad1\n  # inside\nend\n# after\n');
  assert.deepEqual(formatLines(a, 5, 5).map((c) => c.line), [5], 'range formatting touches only its lines');
  assert.equal(formatLines(analyze(out), 0, 100).length, 0, 'formatting is idempotent');
  assert.deepEqual(formatLines(analyze('repeat 2\nrelu\nend\n'), 0, 9, '\t').map((c) => c.text), ['\trelu']);
});

test('completion: plain text for clients without snippets, nothing in comments, auto and input arguments', () => {
  const text = 'network c\ninput \nauto relu \n\nconv3-8 # pad\n';
  const a = analyze(text);
  const plain = completion(a, a.lines.offset(3, 0), { snippets: false, markdown: false });
  const conv = plain.find((i) => i.label === 'conv')!;
  assert.equal((conv.textEdit as { newText: string }).newText, 'conv3-64 pad1');
  assert.equal(conv.insertTextFormat, 1);
  assert.equal((conv.documentation as { kind: string }).kind, 'plaintext');
  assert.deepEqual(completion(a, a.lines.offset(4, 13), { snippets: true, markdown: true }), []);
  assert.deepEqual(completion(a, a.lines.offset(2, 10), { snippets: true, markdown: true }).map((i) => i.label), ['relu6', 'leakyrelu', 'sigmoid', 'tanh', 'silu', 'hardswish', 'bn', 'none']);
  assert.deepEqual(completion(a, a.lines.offset(1, 6), { snippets: true, markdown: true }).map((i) => i.label), ['C×H×W']);
  assert.equal(snippetToText('upsample${1:2} ${2|nearest,zeros|}'), 'upsample2 nearest');
  assert.equal(snippetToText('block ${1:name}\n\t$0\nend'), 'block name\n  \nend');
});

test('same padding: written in place of the padding, dilation counted, not offered when it cannot be symmetric', () => {
  const text = 'network p\ninput 3x32x32\nconv3-8 pad1 dilation2\nconv3-8 pad 0\nconv2-8\nconv3-8 pad1\n';
  const a = analyze(text);
  const stmt = (i: number) => a.parsed.statements[i];
  const fix = (i: number) => samePadding(a, stmt(i));
  assert.equal(applyEdits(text, [fix(2)!.edit]).split('\n')[2], 'conv3-8 same dilation2');
  assert.equal(applyEdits(text, [fix(3)!.edit]).split('\n')[3], 'conv3-8 same');
  assert.equal(fix(4), undefined, 'an even kernel cannot keep the size');
  assert.equal(fix(5), undefined, 'already keeps the size');
});

test('names: blocks, labels and networks; keywords and duplicates refused as block names', () => {
  const a = analyze(BLOCKS + 'block other\nrelu\nend\n', 'r');
  const call = namedAt(a, at(BLOCKS, 'stage x2'))!;
  assert.equal(call.kind, 'block');
  assert.equal(call.references.length, 2);
  assert.equal(namedAt(a, at(BLOCKS, 's1'))!.kind, 'label');
  assert.equal(namedAt(a, at(BLOCKS, 'network r', 8))!.kind, 'network');
  assert.equal(namedAt(a, at(BLOCKS, 'maxpool')), undefined);
  assert.match(invalidName(a, call, 'maxpool')!, /keyword/);
  assert.match(invalidName(a, call, 'other')!, /already exists/);
  assert.match(invalidName(a, call, '3x3')!, /not a name/);
  assert.equal(invalidName(a, call, 'stage2'), undefined);
});

test('semantic tokens mark labels, block calls and the numbers of heads and options (LF and CRLF)', () => {
  for (const eol of ['\n', '\r\n']) {
    const text = ['s1: conv3x5-8 stride2', 'stage x2', 'block stage', 'end', ''].join(eol);
    const a = analyze(text);
    const data = semanticTokens(a).data;
    const got: string[] = [];
    let line = 0;
    let ch = 0;
    for (let i = 0; i < data.length; i += 5) {
      line += data[i];
      ch = data[i] ? data[i + 1] : ch + data[i + 1];
      got.push(`${LEGEND.tokenTypes[data[i + 3]]}${data[i + 4] ? '+decl' : ''}:${text.split(eol)[line].slice(ch, ch + data[i + 2])}`);
    }
    assert.deepEqual(got, ['variable+decl:s1', 'function:conv', 'number:3', 'operator:x', 'number:5', 'number:8', 'parameter:stride', 'number:2',
      'namespace:stage', 'parameter:x', 'number:2', 'keyword:block', 'namespace+decl:stage', 'keyword:end']);
    const ranged = semanticTokens(a, { from: 1, to: 1 }).data;
    assert.equal(ranged.length / 5, 3);
    assert.equal(ranged[0], 1, 'a range starts at its own line');
  }
});

test('settings: partial or malformed values fall back to the defaults; levels and teaching hints', () => {
  assert.deepEqual(readSettings(undefined), DEFAULT_SETTINGS);
  const s = readSettings({ inlayHints: { params: true, shapes: 'yes' }, diagnostics: { teachingHints: false, severity: { 'dropped-pixels': 'error', x: 'loud' } } });
  assert.deepEqual(s.inlayHints, { shapes: true, params: true });
  assert.deepEqual(s.diagnostics.severity, { 'dropped-pixels': 'error' });
  assert.equal(levelOf(s, 'dropped-pixels', 'warning'), 'error');
  assert.equal(levelOf(s, 'large-kernel', 'hint'), 'off');
  assert.equal(levelOf(readSettings({ diagnostics: { teachingHints: false, severity: { 'fc-dominates': 'warning' } } }), 'fc-dominates', 'information'), 'warning');
});

test('locate: statements by line, the network at a position, the default network name', () => {
  const text = 'network a\ninput 3x8x8\nrelu\n\nnetwork b\ninput 3x8x8\nrelu\n';
  const ix = indexOf(analyze(text));
  assert.deepEqual(ix.statementsInLines(1, 2).map((s) => s.head.text), ['input', 'relu']);
  assert.equal(ix.networkAt(text.indexOf('\n\n') + 1)?.name, 'a');
  assert.equal(ix.networkAt(text.length)?.name, 'b');
  assert.equal(defaultNetworkName('file:///home/u/my%20net.cnn'), 'my net');
  assert.equal(defaultNetworkName('untitled:Untitled-1'), 'Untitled-1');
});

test('summary view: escaped cells, a CSP with the nonce, sortable columns; messages are validated', () => {
  const s = toSummary(analyze('network n\ninput 3x8x8\nconv3-4 pad1\n'));
  const nonce = makeNonce(() => 0.5);
  const html = summaryHtml({ ...s.networks[0], name: '<b>' }, nonce, 'vscode-resource:');
  assert.match(html, new RegExp(`script-src 'nonce-${nonce}'`));
  assert.match(html, /default-src 'none'/);
  assert.ok(!html.includes('<b>') && html.includes('&#60;b&#62;'), 'names are escaped');
  assert.match(html, /data-key="params"/);
  assert.match(html, /data-line="2" data-index="0" data-params="112"/);
  assert.equal(statusText('vgg16', toSummary(analyze(readRepo('samples/vgg16.cnn'))).networks[0].totals), '$(symbol-structure) vgg16: 138.36 M params · 15.47 G MACs');
  assert.ok(isFromSummaryView({ type: 'reveal', line: 3 }));
  assert.ok(!isFromSummaryView({ type: 'reveal', line: '3' }));
  assert.ok(!isFromSummaryView({ type: 'other' }));
});

test('every feature survives random text, and formatting keeps every word and is idempotent', () => {
  const random = rng(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const words = ['network n', 'input 3x16x16', 'input', 'auto relu', 'auto bn relu', 'block b', 'b', 'b x2', 'repeat 2', 'end', 'conv3-8 pad1',
    'conv5-4', 'CONV3-2 Pad1 x3', 'l1: conv1-4', 'maxpool', 'maxpool3 stride2 pad1', 'gap', 'flatten', 'fc-10', 'FC-4096', 'soft-max', 'bn',
    'dropout0.5', 'upsample2 zeros', 'convv3-8', 'conv3-8 padd1', '$', ': x', 'x: y: z', '# comment', '   ', '', 'conv3-8   pad1   # c', 'dwconv3 same',
    'residual', 'residual concat', 'shortcut', 'parallel', 'parallel add', 'branch', 'add l1', 'concat l1 s', 's: residual', 'mul', 'add nope', 'Residual ADD'];
  for (let round = 0; round < 60; round++) {
    const lines = Array.from({ length: 1 + Math.floor(random() * 25) }, () => (random() < 0.2 ? '  ' : '') + pick(words));
    const text = lines.join(random() < 0.1 ? '\r\n' : '\n') + (random() < 0.5 ? '\n' : '');
    const a = analyze(text, 'fuzz');
    for (let o = 0; o <= text.length; o += 1 + Math.floor(random() * 4)) {
      hover(a, o);
      completion(a, o, { snippets: true, markdown: true });
      namedAt(a, o);
    }
    inlayHints(a, ALL, { shapes: true, params: true });
    documentSymbols(a);
    foldingRanges(a);
    semanticTokens(a);
    for (const s of a.parsed.statements) samePadding(a, s);
    if (text.includes('\r')) continue;
    const changes = formatLines(a, 0, 1e6);
    const formatted = text.split('\n').map((l, i) => changes.find((c) => c.line === i)?.text ?? l).join('\n');
    const squash = (t: string) => t.toLowerCase().replace(/\s+/g, '');
    assert.equal(squash(formatted), squash(text), `formatting lost a character of:\n${text}`);
    assert.deepEqual(formatLines(analyze(formatted, 'fuzz'), 0, 1e6), [], `not idempotent:\n${text}\n---\n${formatted}`);
  }
});

test('runSafe: a result, an exception turned into the empty result and logged, cancellation, deliberate errors', async () => {
  const logged: string[] = [];
  const console = { error: (m: string) => logged.push(m) } as unknown as RemoteConsole;
  const live = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) } as CancellationToken;
  const cancelled = { ...live, isCancellationRequested: true } as CancellationToken;
  assert.equal(await runSafe(console, 'ok', live, null, () => 42), 42);
  assert.equal(await runSafe(console, 'async', live, null, async () => 43), 43);
  assert.equal(await runSafe(console, 'boom', live, null, () => { throw new Error('boom'); }), null);
  assert.deepEqual(await runSafe(console, 'rejects', live, [], async () => { throw new Error('later'); }), []);
  assert.ok(logged[0].startsWith('boom failed: Error: boom') && logged[1].startsWith('rejects failed'), logged.join('\n'));
  const c = await runSafe(console, 'cancelled', cancelled, null, () => 1);
  assert.ok(c instanceof ResponseError && c.code === LSPErrorCodes.RequestCancelled);
  const mid = await runSafe(console, 'midway', live, null, () => checkCancelled(cancelled));
  assert.ok(mid instanceof ResponseError && mid.code === LSPErrorCodes.RequestCancelled);
  const invalid = await runSafe(console, 'rename', live, null, () => { throw new ResponseError(-32602, 'bad name'); });
  assert.ok(invalid instanceof ResponseError && invalid.message === 'bad name');
  assert.equal(logged.length, 2, 'cancellation and deliberate errors are not logged as failures');
});

test('a file with thousands of problems publishes the first thousand in order and one note saying how many more', () => {
  const text = ['network g', 'input 3x32x32', ...Array.from({ length: 1500 }, (_, i) => `conv3-8 padd${i}`)].join('\n');
  const a = analyze(text);
  assert.ok(a.diagnostics.length > MAX_DIAGNOSTICS + 100, `only ${a.diagnostics.length} problems`);
  const d = diagnostics(a, 'file:///g.cnn', DEFAULT_SETTINGS);
  assert.equal(d.length, MAX_DIAGNOSTICS + 1);
  for (let i = 1; i < MAX_DIAGNOSTICS; i++) {
    const [p, q] = [d[i - 1].range.start, d[i].range.start];
    assert.ok(p.line < q.line || (p.line === q.line && p.character <= q.character), `diagnostic ${i} is out of order`);
  }
  const note = d[MAX_DIAGNOSTICS];
  assert.equal(note.code, 'too-many-problems');
  assert.equal(note.severity, 3); // Information
  assert.match(String(note.message), new RegExp(`^${(a.diagnostics.length - MAX_DIAGNOSTICS).toLocaleString('en-US')} more problems from here on`));
  assert.ok(note.range.start.line >= d[MAX_DIAGNOSTICS - 1].range.start.line);
  // A file under the cap is published whole, without the note.
  const small = analyze('network s\ninput 3x8x8\nconv3-8 padd1\n');
  assert.deepEqual(diagnostics(small, 'file:///s.cnn', DEFAULT_SETTINGS).map((x) => x.code), small.diagnostics.map((x) => x.code));
});

test('code lens on a network with an error: the known layers so far and the line to fix, no Run lens', () => {
  // conv3-64 on 3 channels: 1,792 params (1.79 k), then a conv that collapses the 2×2 map on line 5.
  const text = 'network n\ninput 3x4x4\nconv3-64 pad1\nmaxpool\nconv5-8\nconv3-8\n';
  const lenses = codeLenses(analyze(text), 'file:///n.cnn');
  assert.deepEqual(lenses.map((l) => l.command?.title), ['1.79 k params · 27.65 k MACs so far · fix line 5 to see the rest']);
  const ok = codeLenses(analyze('network n\ninput 3x4x4\nconv3-64 pad1\n'), 'file:///n.cnn').map((l) => l.command?.title);
  assert.deepEqual(ok, ['1,792 params · 27.65 k MACs · 7.2 kB of weights', '▶ Run on image']);
  const noInput = codeLenses(analyze('network n\nconv3-64 pad1\n'), 'file:///n.cnn').map((l) => l.command?.title);
  assert.equal(noInput.length, 1);
  assert.match(noInput[0]!, /write `input C×H×W`/);
});
