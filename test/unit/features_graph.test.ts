/**
 * The editor on branching networks (residual/shortcut, parallel/branch, add/concat/mul LABEL), as plain
 * functions of an analysis. Every figure a hover or hint shows is checked against a value worked out by
 * hand in the comments (shapes, element-wise operations, receptive fields), not read back from the analysis.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../server/src/analysis/analyze.js';
import { completion, snippetToText, STARTERS } from '../../server/src/features/completion.js';
import { foldingRanges } from '../../server/src/features/folding.js';
import { formatLines, formatting, indentUnit } from '../../server/src/features/formatting.js';
import { hover } from '../../server/src/features/hover.js';
import { inlayHints } from '../../server/src/features/inlayHints.js';
import { definition, namedAt, references, rename, invalidName } from '../../server/src/features/names.js';
import { semanticTokens, LEGEND } from '../../server/src/features/semanticTokens.js';
import { documentSymbols } from '../../server/src/features/symbols.js';
import { applyEdits } from '../helpers/edits.js';
import { toSummary } from '../../server/src/analysis/summary.js';
import { statusText, summaryHtml } from '../../client/src/summaryHtml.js';
import { makeNonce } from '../../client/src/webviewHtml.js';

/**
 * 16×8×8 in, `auto relu`. By hand (rf = receptive field, j = jump):
 * skip conv3 pad1: 16×8×8, rf 3 j 1. Residual 1: body conv3, conv3 → rf 5, 7; identity shortcut; add 16×8×8 = 1,024 additions, rf 7 (body).
 * Residual 2: body conv3-32 stride2 → 32×4×4, rf 7 + 2·1 = 9, j 2; shortcut conv1-32 stride2 → 32×4×4, rf 7; add 512 additions, rf 9 (body).
 * Parallel: conv1-8 → 8×4×4 rf 9; conv3-8 pad1 → 8×4×4 rf 9 + 2·2 = 13; empty branch 32×4×4 rf 9; concat 8 + 8 + 32 = 48×4×4 = 768 values, rf 13 (branch 2).
 * conv1-16 → 16×4×4; upsample2 → 16×8×8; add skip: 16×8×8 + 16×8×8 = 1,024 additions.
 */
const GRAPH = `network g
input 16x8x8
auto relu
skip: conv3-16 pad1
residual
  conv3-16 pad1
  conv3-16 pad1
end
residual
  conv3-32 pad1 stride2
shortcut
  conv1-32 stride2
end
parallel
branch
  conv1-8
branch
  conv3-8 pad1
branch
end
conv1-16
upsample2
add skip
`;

/**
 * A block whose body is a residual with a projection, used twice in a row (`down x2`) and once more.
 * 8×16×16 → 8×8×8 → 8×4×4 (the two passes), then 8×2×2. rf: 3 (j 2), 3 + 2·2 = 7 (j 4), 7 + 2·4 = 15 (j 8).
 */
const DOWN = `block down
  residual
    conv3-8 pad1 stride2
  shortcut
    conv1-8 stride2
  end
end
network d
input 8x16x16
down x2
down
`;

const ALL = { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } };
const at = (text: string, needle: string, delta = 1, from = 0) => {
  const i = text.indexOf(needle, from);
  assert.ok(i >= 0, `'${needle}' not found`);
  return i + delta;
};
const md = (h: ReturnType<typeof hover>) => (h?.contents as { value: string } | undefined)?.value ?? '';
const hints = (text: string) => inlayHints(analyze(text), ALL, { shapes: true, params: false }).map((h) => `${h.position.line}: ${h.label}`);

test('inlay hints on merge lines and on the end of residual/parallel', () => {
  assert.deepEqual(hints(GRAPH), [
    '3: → 16×8×8', '5: → 16×8×8', '6: → 16×8×8',
    '7: → 16×8×8', // end of residual 1: the add
    '9: → 32×4×4', '11: → 32×4×4',
    '12: → 32×4×4', // end of residual 2
    '15: → 8×4×4', '17: → 8×4×4',
    '19: → 48×4×4', // end of the parallel: the concat
    '20: → 16×4×4', '21: → 16×8×8',
    '22: → 16×8×8', // add skip
  ]);
});

test('inlay hints of a block used several times: every pass of `down x2` in order, then the other use (issue 12)', () => {
  assert.deepEqual(hints(DOWN), [
    '2: → 8×8×8 → 8×4×4 | 8×2×2',
    '4: → 8×8×8 → 8×4×4 | 8×2×2',
    '5: → 8×8×8 → 8×4×4 | 8×2×2', // the residual's end inside the block
    '9: → 8×8×8 → 8×4×4', // the call runs the block twice
    '10: → 8×2×2',
  ]);
  // A repeated call whose passes keep the shape says it once.
  assert.deepEqual(hints('block b\n  conv3-4 pad1\nend\nnetwork n\ninput 4x8x8\nb x3\n'), ['1: → 4×8×8', '5: → 4×8×8']);
});

test('hover on a residual end and opener: inputs with shapes and lines, merged shape, additions, receptive field', () => {
  const a = analyze(GRAPH);
  const end = md(hover(a, at(GRAPH, 'end\nresidual')));
  assert.match(end, /\*\*`residual add`\*\* · add of 2 inputs/);
  assert.match(end, /identity shortcut: 16×8×8 \(line 4\) · body: 16×8×8 \(line 7\)/);
  assert.match(end, /Merged shape:\*\* 16×8×8/);
  assert.match(end, /1,024 element-wise additions · 0 MACs/);
  assert.match(end, /Receptive field:\*\* 7×7 input pixels · jump 1 · that of body/);
  assert.match(end, /then `relu` added by `auto` after the merge/);
  const opener = md(hover(a, at(GRAPH, 'residual\n  conv3-32')));
  assert.match(opener, /shortcut: 32×4×4 \(line 12\) · body: 32×4×4 \(line 10\)/);
  assert.match(opener, /512 element-wise additions/);
  assert.match(opener, /9×9 input pixels · jump 2 · that of body/);
  assert.match(opener, /A residual connection/);
});

test('hover on a parallel, on shortcut/branch lines and on a merge line with its label', () => {
  const a = analyze(GRAPH);
  const par = md(hover(a, at(GRAPH, 'parallel')));
  assert.match(par, /branch 1: 8×4×4 \(line 16\) · branch 2: 8×4×4 \(line 18\) · branch 3: 32×4×4 \(line 13\)/, 'the empty branch reads the residual\'s output: the relu moved after its add, on its `end`');
  assert.match(par, /Merged shape:\*\* 48×4×4/);
  assert.match(par, /no arithmetic: copies 768 values · 0 MACs/);
  assert.match(par, /13×13 input pixels · jump 2 · that of branch 2/);
  assert.match(md(hover(a, at(GRAPH, 'shortcut'))), /\*\*shortcut\*\* of the `residual` on line 9\n\n- 16×8×8 → 32×4×4 · into the `residual add`/);
  const branches = [...GRAPH.matchAll(/^branch$/gm)].map((m) => md(hover(a, m.index! + 1)));
  assert.match(branches[0], /\*\*branch 1\*\* of the `parallel` on line 14\n\n- 32×4×4 → 8×4×4/);
  assert.match(branches[2], /- 32×4×4 → 32×4×4 \(empty: the identity\)/);
  const add = md(hover(a, at(GRAPH, 'add skip')));
  assert.match(add, /`skip`: 16×8×8 \(line 4\) · the current tensor: 16×8×8 \(line 22\)/);
  assert.match(add, /1,024 element-wise additions/);
  assert.match(md(hover(a, at(GRAPH, 'add skip', 5))), /^\*\*`skip`\*\* — the output labelled on line 4/);
});

test('hover on a block residual lists each run: three merges with their own shapes and fields', () => {
  const a = analyze(DOWN);
  const end = md(hover(a, at(DOWN, '  end') + 2));
  assert.match(end, /layer #2 of `d` · via `down` · copy 1\n\n- \*\*Inputs:\*\* shortcut: 8×8×8 \(line 5\) · body: 8×8×8 \(line 3\)/);
  assert.match(end, /512 element-wise additions[^]*3×3 input pixels · jump 2/);
  assert.match(end, /copy 2[^]*128 element-wise additions[^]*7×7 input pixels · jump 4/);
  assert.match(end, /32 element-wise additions[^]*15×15 input pixels · jump 8/);
  const mul = 'network m\ninput 8x4x4\nx: conv1-8\ngap\nconv1-8\nmul x\n';
  // 8×4×4 × 8×1×1 (broadcast): 128 multiplications.
  assert.match(md(hover(analyze(mul), at(mul, 'mul x'))), /`x`: 8×4×4 \(line 3\) · the current tensor: 8×1×1 \(line 5\)[^]*128 element-wise multiplications/);
});

test('outline nests residual bodies, shortcut and branch sections; folding covers them', () => {
  const a = analyze(GRAPH);
  const tree = (s: { name: string; detail?: string; children?: unknown[] }[]): unknown =>
    s.map((x) => (x.children?.length ? [`${x.name} ${x.detail ?? ''}`.trim(), tree(x.children as never)] : `${x.name} ${x.detail ?? ''}`.trim()));
  // Params by hand: 3 × (16·16·9 + 16 = 2,320) + (32·16·9 + 32 = 4,640) + (32·16 + 32 = 544) + (8·32 + 8 = 264)
  // + (8·32·9 + 8 = 2,312) + (16·48 + 16 = 784) = 15,504.
  assert.deepEqual(tree(documentSymbols(a).symbols), [[
    'g 16×8×8 → 16×8×8 · 15,504 params', [
      'input 16x8x8', 'skip: conv3-16 pad1 → 16×8×8',
      ['residual → 16×8×8', ['conv3-16 pad1 → 16×8×8', 'conv3-16 pad1 → 16×8×8']],
      ['residual → 32×4×4', ['conv3-32 pad1 stride2 → 32×4×4', ['shortcut → 32×4×4', ['conv1-32 stride2 → 32×4×4']]]],
      ['parallel → 48×4×4', [['branch 1 → 8×4×4', ['conv1-8 → 8×4×4']], ['branch 2 → 8×4×4', ['conv3-8 pad1 → 8×4×4']], 'branch 3 → 32×4×4']],
      'conv1-16 → 16×4×4', 'upsample2 → 16×8×8', 'add skip → 16×8×8',
    ]]]);
  assert.deepEqual(foldingRanges(a).map((f) => [f.startLine, f.endLine]), [[0, 22], [4, 6], [8, 11], [10, 11], [13, 18], [14, 15], [16, 17]]);
  const down = analyze(DOWN);
  assert.deepEqual(foldingRanges(down).map((f) => [f.startLine, f.endLine]), [[0, 5], [1, 4], [3, 4], [7, 10]]);
});

test('formatting indents residual/parallel bodies and their sections, in the editor\'s indentation, idempotently', () => {
  const text = 'network f\ninput 8x8x8\ns: CONV3-8 pad1\nRESIDUAL Add\nconv3-8 pad1\n    # body\nShortcut\nconv1-8\nEND\nparallel\nbranch\n      relu\nbranch\nend\nADD s\n';
  const a = analyze(text);
  const format = (edits: { range: { start: { line: number } }; newText: string }[]) =>
    text.split('\n').map((l, i) => edits.find((e) => e.range.start.line === i)?.newText ?? l).join('\n');
  const four = format(formatting(a, { insertSpaces: true, tabSize: 4 }));
  assert.equal(four, 'network f\ninput 8x8x8\ns: conv3-8 pad1\nresidual add\n    conv3-8 pad1\n    # body\nshortcut\n    conv1-8\nend\nparallel\nbranch\n    relu\nbranch\nend\nadd s\n');
  assert.deepEqual(formatLines(analyze(four), 0, 100, '    '), [], 'idempotent');
  const two = format(formatting(a, { insertSpaces: true }));
  assert.match(two, /\nresidual add\n {2}conv3-8 pad1\n/);
  assert.equal(indentUnit({ insertSpaces: false, tabSize: 8 }), '\t');
  assert.equal(indentUnit({ insertSpaces: true, tabSize: 3 }), '   ');
  // A nested construct: the inner residual's sections are at its own depth.
  const nested = 'parallel\nbranch\nresidual\nrelu\nshortcut\nrelu\nend\nend\n';
  const out = applyEdits(nested, formatLines(analyze(nested), 0, 100).map((c) => ({
    span: { start: analyze(nested).lines.lineStart(c.line), end: analyze(nested).lines.lineStart(c.line) + nested.split('\n')[c.line].length }, text: c.text,
  })));
  assert.equal(out, 'parallel\nbranch\n  residual\n    relu\n  shortcut\n    relu\n  end\nend\n');
});

test('semantic tokens: the new keywords, the merge word, labels where written and where referred to', () => {
  const text = 'skip: conv3-8 pad1\nresidual add\nshortcut\nend\nparallel concat\nbranch\nend\nadd skip\n';
  const a = analyze(text);
  const data = semanticTokens(a).data;
  const got: string[] = [];
  let line = 0;
  let ch = 0;
  for (let i = 0; i < data.length; i += 5) {
    line += data[i];
    ch = data[i] ? data[i + 1] : ch + data[i + 1];
    got.push(`${LEGEND.tokenTypes[data[i + 3]]}${data[i + 4] ? '+decl' : ''}:${text.split('\n')[line].slice(ch, ch + data[i + 2])}`);
  }
  assert.deepEqual(got, ['variable+decl:skip', 'function:conv', 'number:3', 'number:8', 'parameter:pad', 'number:1',
    'keyword:residual', 'keyword:add', 'keyword:shortcut', 'keyword:end', 'keyword:parallel', 'keyword:concat', 'keyword:branch', 'keyword:end',
    'keyword:add', 'variable:skip']);
});

test('completion: labels after add/concat/mul (earlier in the network, newest first, with shapes), merge words, new options', () => {
  const text = 'network a\ninput 3x8x8\nfar: conv3-4 pad1\nnear: conv3-4 pad1 stride2\nres: residual\n  conv3-4 pad1\nend\nadd \nlater: relu\n\nnetwork b\ninput 3x8x8\nother: relu\n';
  const a = analyze(text);
  const caps = { snippets: true, markdown: true };
  const labels = completion(a, at(text, 'add ', 4), caps);
  // far 4×8×8; near stride2 → 4×4×4; res keeps 4×4×4. `later` is after the cursor, `other` in another network.
  assert.deepEqual(labels.map((i) => `${i.label} ${i.detail}`), ['res 4×4×4', 'near 4×4×4', 'far 4×8×8']);
  const concat2 = 'network c\ninput 3x8x8\nx: relu\ny: relu\nconcat x \n';
  assert.deepEqual(completion(analyze(concat2), at(concat2, 'concat x ', 9), caps).map((i) => i.label), ['y'], 'a label already written is not offered again');
  const mul = 'network m\ninput 3x8x8\nx: relu\nmul x \n';
  assert.deepEqual(completion(analyze(mul), at(mul, 'mul x ', 6), caps), [], '`mul` takes one label');
  assert.deepEqual(completion(analyze('residual \n'), 9, caps).map((i) => i.label), ['add', 'concat', 'mul']);
  assert.deepEqual(completion(analyze('parallel \n'), 9, caps).map((i) => i.label), ['concat', 'add']);
  const heads = completion(analyze('network h\ninput 3x8x8\n\n'), 22, caps).map((i) => i.label);
  for (const k of ['residual', 'shortcut', 'parallel', 'branch', 'add', 'concat', 'mul']) assert.ok(heads.includes(k), k);
  const res = completion(analyze('network h\ninput 3x8x8\n\n'), 22, caps).find((i) => i.label === 'residual')!;
  assert.match((res.documentation as { value: string }).value, /out = merge\(shortcut\(x\), body\(x\)\)/);
  const optionsOf = (line: string) => completion(analyze(line), line.length, caps).map((i) => i.label);
  assert.ok(optionsOf('maxpool ').includes('ceil'));
  assert.ok(optionsOf('deconv4-8 ').includes('outpadP'));
  assert.ok(optionsOf('upsample2 ').includes('bilinear'));
});

test('completion on an empty file: network and input first, then starters that analyse without problems (issue 12)', () => {
  const items = completion(analyze(''), 0, { snippets: true, markdown: true });
  assert.deepEqual(items.slice(0, 5).map((i) => i.label), ['network', 'input', 'small CNN', 'VGG block', 'ResNet basic block']);
  const sorted = [...items].sort((x, y) => (x.sortText! < y.sortText! ? -1 : 1)).map((i) => i.label);
  assert.deepEqual(sorted.slice(0, 2), ['network', 'input']);
  assert.ok(items.some((i) => i.label === 'conv'), 'the layer keywords follow');
  assert.ok(completion(analyze('ne'), 2, { snippets: true, markdown: true }).some((i) => i.label === 'small CNN'), 'while the first word is typed');
  assert.ok(!completion(analyze('network n\n\n'), 10, { snippets: true, markdown: true }).some((i) => i.label === 'small CNN'));
  for (const st of STARTERS) {
    const a = analyze(snippetToText(st.snippet));
    assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning').map((d) => d.message), [], st.label);
    assert.ok(a.networks[0].totals.complete, st.label);
  }
});

test('definition, references and rename of labels used by merge lines', () => {
  // `x` is written twice: each reference reads the latest before it.
  const text = 'network n\ninput 4x8x8\nx: conv3-4 pad1\nadd x\nx: relu\nadd x\nconcat x\ny: relu\n';
  const a = analyze(text);
  const uri = 'file:///n.cnn';
  const firstRef = at(text, 'add x', 4);
  const secondRef = at(text, 'add x', 4, firstRef);
  const line = (l: { range: { start: { line: number } } } | null) => l?.range.start.line;
  assert.equal(line(definition(a, uri, firstRef)), 2);
  assert.equal(line(definition(a, uri, secondRef)), 4);
  assert.deepEqual(references(a, uri, at(text, 'x: relu', 0), false).map(line), [5, 6]);
  assert.deepEqual(references(a, uri, firstRef, true).map(line), [2, 3]);
  const n = namedAt(a, secondRef)!;
  assert.equal(n.kind, 'label');
  assert.match(invalidName(a, n, 'y')!, /already exists/);
  const edit = rename(a, { uri, version: 1, documentChanges: false }, secondRef, 'z')!;
  const renamed = applyEdits(text, edit.changes![uri].map((e) => ({
    span: { start: a.lines.offset(e.range.start.line, e.range.start.character), end: a.lines.offset(e.range.end.line, e.range.end.character) }, text: e.newText,
  })));
  assert.equal(renamed, 'network n\ninput 4x8x8\nz: conv3-4 pad1\nadd z\nz: relu\nadd z\nconcat z\ny: relu\n');
  assert.deepEqual(analyze(renamed).diagnostics.filter((d) => d.severity === 'error').map((d) => d.code), []);
  assert.equal(definition(analyze('network u\ninput 4x8x8\nadd nope\n'), uri, 30), null, 'an unknown label has no definition');
});

test('summary view of a graph: merges are rows, a Reads column names what non-chain rows read; a chain has no such column', () => {
  // Layer order by hand: 0 skip conv, 1 relu, 2 conv, 3 relu, 4 conv, 5 add(1, 4), 6 relu moved after it, 7 conv3-32 s2,
  // 8 shortcut conv1-32 (reads 6), 9 add(8, 7), 10 relu, 11 conv1-8, 12 relu, 13 conv3-8 (reads 10), 14 relu,
  // 15 concat(12, 14, 10), 16 conv1-16, 17 relu, 18 upsample, 19 add(1, 18).
  const s = toSummary(analyze(GRAPH));
  const html = summaryHtml(s.networks[0], makeNonce(() => 0.5), 'vscode-resource:');
  assert.match(html, /<th>Reads<\/th>/);
  const reads = [...html.matchAll(/data-index="(\d+)"[^>]*><td class="num">\d+<\/td><td><code>([^<]*)<\/code><\/td><td class="reads">([^<]*)<\/td><td class="num">(\d+)<\/td>/g)]
    .filter((m) => m[3]).map((m) => `${m[1]} ${m[2]} ← ${m[3]} (line ${m[4]})`);
  assert.deepEqual(reads, [
    '5 residual add ← #1, #4 (line 8)', '8 conv1-32 stride2 ← #6 (line 12)', '9 residual add ← #8, #7 (line 13)',
    '13 conv3-8 pad1 ← #10 (line 18)', '15 parallel concat ← #12, #14, #10 (line 20)', '19 add skip ← #1, #18 (line 23)',
  ]);
  assert.ok(!summaryHtml(toSummary(analyze('network c\ninput 3x8x8\nrelu\n')).networks[0], 'n', 'x').includes('Reads'));
  // MACs by hand (Cout·Cin·k²·H·W; merges 0): 3 × 16·16·9·64 = 442,368 + 32·16·9·16 = 73,728 + 32·16·16 = 8,192
  // + 8·32·16 = 4,096 + 8·32·9·16 = 36,864 + 16·48·16 = 12,288 = 577,536.
  assert.equal(statusText('g', s.networks[0].totals), '$(symbol-structure) g: 15.50 k params · 577.54 k MACs');
});
