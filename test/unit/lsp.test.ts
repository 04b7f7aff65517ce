/**
 * The language server over the real protocol: spawns the built dist/server.js (`npm run build`) and
 * talks JSON-RPC to it as an editor would. Every wait is for an event (diagnostics published, a
 * response), never a sleep.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  CodeAction, CompletionItem, DocumentSymbol, FoldingRange, Hover, InlayHint, MarkupContent, Position, SemanticTokens,
  TextEdit, WorkspaceEdit, CodeLens, Location,
} from 'vscode-languageserver-protocol';
import { CancellationTokenSource } from 'vscode-languageserver-protocol';
import { readRepo } from '../helpers/core.js';
import { startTestServer, testUri, type TestServer } from '../helpers/lsp.js';
import type { Summary } from '../../server/src/analysis/summary.js';
import { networkAtRequest, statsRequest, summaryRequest, type NetworkAtResult, type StatsResult } from '../../server/src/protocol.js';

const VGG16 = readRepo('samples/vgg16.cnn');
const vggUri = testUri('vgg16.cnn');

/** The 0-based position of the first occurrence of `needle` (plus `delta` characters) in `text`. */
function positionOf(text: string, needle: string, delta = 0, from = 0): Position {
  const at = text.indexOf(needle, from);
  assert.ok(at >= 0, `'${needle}' not found`);
  const before = text.slice(0, at + delta).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}

/** Applies LSP text edits to a text (as an editor would). */
function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: Position) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

/** The text edits of a workspace edit for one document, whichever form the server used. */
function editsOf(edit: WorkspaceEdit | null | undefined, uri: string): TextEdit[] {
  assert.ok(edit, 'an edit');
  if (edit.documentChanges) {
    return edit.documentChanges.flatMap((c) => ('textDocument' in c && c.textDocument.uri === uri ? c.edits as TextEdit[] : []));
  }
  return edit.changes?.[uri] ?? [];
}

const markdown = (h: Hover | null): string => (h?.contents as MarkupContent | undefined)?.value ?? '';

describe('language server over stdio', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s?.stop();
  });

  test('initialize announces the features; a document that is not open gets empty answers', async () => {
    const caps = s.initializeResult!.capabilities;
    assert.deepEqual(caps.textDocumentSync, { openClose: true, change: 2 }, 'incremental sync');
    for (const k of ['hoverProvider', 'inlayHintProvider', 'codeLensProvider', 'codeActionProvider', 'documentSymbolProvider', 'foldingRangeProvider',
      'semanticTokensProvider', 'documentFormattingProvider', 'definitionProvider', 'referencesProvider', 'renameProvider', 'completionProvider'] as const) {
      assert.ok(caps[k], k);
    }
    assert.equal(await s.conn.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///none.cnn' }, position: { line: 0, character: 0 } }), null);
  });

  test('didOpen publishes the analysis diagnostics with codes and ranges', async () => {
    const d = await s.open(vggUri, VGG16);
    assert.deepEqual(d.diagnostics.map((x) => x.code), ['fc-dominates']);
    const fc = d.diagnostics[0];
    assert.equal(fc.severity, 3, 'information');
    assert.equal(fc.source, 'cnn-lab');
    assert.deepEqual(fc.range.start, positionOf(VGG16, 'FC-4096'));
    assert.match(fc.message as string, /89\.4%/);
  });

  test('hover on conv3-64 pad1: shapes, the params formula, MACs, memory, receptive field, doc', async () => {
    const h = await s.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri: vggUri }, position: positionOf(VGG16, 'conv3-64 pad1', 2) });
    const md = markdown(h);
    assert.match(md, /3×224×224 → 64×224×224/);
    assert.ok(md.includes('64×3×3×3 + 64 = 1,792'), md);
    assert.match(md, /MACs:\*\* 86,704,128/);
    assert.match(md, /FLOPs = 2·MACs/);
    assert.match(md, /3,211,264 values = 12\.8 MB/);
    assert.match(md, /Receptive field:\*\* 3×3 input pixels · jump 1 · effective padding 1/);
    assert.match(md, /then `relu` added by `auto`/);
    assert.match(md, /Convolution with N filters/);
    assert.deepEqual(h!.range!.start, positionOf(VGG16, 'conv3-64 pad1'));
  });

  test('hover on the first FC notes the implicit flatten; on an option, the option doc', async () => {
    const fc = markdown(await s.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri: vggUri }, position: positionOf(VGG16, 'FC-4096', 1) }));
    assert.match(fc, /Implicit flatten:\*\* the 512×7×7 map is read as a vector of 25,088 values/);
    assert.ok(fc.includes('4,096×(512×7×7) + 4,096 = 102,764,544'), fc);
    const pad = markdown(await s.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri: vggUri }, position: positionOf(VGG16, 'pad1', 1) }));
    assert.match(pad, /\*\*`pad1`\*\* — Zero padding of P pixels/);
  });

  test('hover on network and input: totals with the fc share', async () => {
    const net = markdown(await s.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri: vggUri }, position: positionOf(VGG16, 'network vgg16', 9) }));
    assert.match(net, /Parameters:\*\* 138,357,544 · 553\.4 MB \(527\.8 MiB\) in float32/);
    assert.match(net, /fc share of parameters:\*\* 123,642,856 = 89\.4%/);
    assert.match(net, /MACs:\*\* 15,470,264,320 \(15\.47 G\)/);
    const input = markdown(await s.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri: vggUri }, position: positionOf(VGG16, 'input 3x224x224', 1) }));
    assert.match(input, /Input:\*\* 3×224×224 = 150,528 values/);
    assert.match(input, /138,357,544/);
  });

  test('inlay hints show the output shape at the end of each layer line', async () => {
    const hints = await s.conn.sendRequest<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri: vggUri }, range: { start: { line: 0, character: 0 }, end: { line: 40, character: 0 } },
    });
    const first = positionOf(VGG16, 'conv3-64 pad1');
    assert.deepEqual(hints[0].position, { line: first.line, character: first.character + 'conv3-64 pad1'.length });
    assert.equal(hints[0].label, '→ 64×224×224');
    assert.equal(hints.length, 24, 'one per layer line: 13 conv, 5 maxpool, 3 FC, 2 dropout, soft-max');
    assert.equal(hints.find((h) => h.position.line === positionOf(VGG16, 'soft-max').line)?.label, '→ 1,000');
    const ranged = await s.conn.sendRequest<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri: vggUri }, range: { start: { line: first.line, character: 0 }, end: { line: first.line, character: 99 } },
    });
    assert.equal(ranged.length, 1, 'only the lines in the range');
  });

  test('completion: keywords with snippets and docs at the head, valid options after it', async () => {
    const text = 'network t\ninput 3x32x32\n\nconv3-64 \nmaxpool \nconv3-8 pad1 \n';
    const uri = testUri('complete.cnn');
    await s.open(uri, text);
    const heads = await s.conn.sendRequest<CompletionItem[]>('textDocument/completion', { textDocument: { uri }, position: { line: 2, character: 0 } });
    const conv = heads.find((i) => i.label === 'conv')!;
    assert.ok(conv);
    assert.equal(conv.insertTextFormat, 2, 'snippet');
    assert.equal((conv.textEdit as TextEdit).newText, 'conv${1:3}-${2:64} pad${3:1}');
    assert.match((conv.documentation as MarkupContent).value, /Convolution with N filters/);
    for (const k of ['maxpool', 'fc', 'gap', 'network', 'input', 'block', 'repeat']) assert.ok(heads.some((i) => i.label === k), k);
    const convOpts = (await s.conn.sendRequest<CompletionItem[]>('textDocument/completion', { textDocument: { uri }, position: { line: 3, character: 9 } })).map((i) => i.label);
    for (const o of ['padP', 'same', 'strideS', 'dilationD', 'groupsG', 'nobias', 'sobelx']) assert.ok(convOpts.includes(o), o);
    assert.ok(!convOpts.includes('slopeS') && !convOpts.includes('conv'), 'only conv options');
    const poolOpts = (await s.conn.sendRequest<CompletionItem[]>('textDocument/completion', { textDocument: { uri }, position: { line: 4, character: 8 } })).map((i) => i.label);
    assert.deepEqual(poolOpts.sort(), ['ceil', 'padP', 'same', 'strideS', 'xN'].sort());
    const afterPad = (await s.conn.sendRequest<CompletionItem[]>('textDocument/completion', { textDocument: { uri }, position: { line: 5, character: 13 } })).map((i) => i.label);
    assert.ok(!afterPad.includes('padP') && !afterPad.includes('same') && afterPad.includes('strideS'), 'padding already written');
  });

  test('code action: the large-kernel quick fix rewrites the line and the hint goes away', async () => {
    const text = 'network k\ninput 3x32x32\nconv5-8 pad2\nrelu\nfc-10\n';
    const uri = testUri('kernel.cnn');
    const d = await s.open(uri, text);
    const lk = d.diagnostics.find((x) => x.code === 'large-kernel')!;
    assert.ok(lk);
    const actions = await s.conn.sendRequest<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri }, range: lk.range, context: { diagnostics: [lk] },
    });
    const fix = actions.find((a) => /two 3×3/.test(a.title))!;
    assert.equal(fix.title, 'Replace by two 3×3 convolutions (3 → 3 → 8 channels) with `relu` between them, as after this conv: ' +
      'same receptive field, fewer parameters (608 → 308) and fewer MACs (614.40 k → 304.13 k)');
    assert.ok(fix, actions.map((a) => a.title).join('; '));
    assert.equal(fix.kind, 'quickfix');
    assert.equal(fix.isPreferred, true);
    assert.equal(fix.diagnostics?.[0].code, 'large-kernel');
    const fixed = applyTextEdits(text, editsOf(fix.edit, uri));
    assert.equal(fixed, 'network k\ninput 3x32x32\nconv3-3 pad1\nrelu\nconv3-8 pad1\nrelu\nfc-10\n');
    const after = await s.replace(uri, fixed, 2);
    assert.ok(!after.diagnostics.some((x) => x.code === 'large-kernel'));
  });

  test('code action: "did you mean" fixes a typo and the error clears', async () => {
    const text = 'network t\ninput 3x32x32\nconvv3-8 pad1\nconv3-8 padd1\n';
    const uri = testUri('typo.cnn');
    const d = await s.open(uri, text);
    assert.deepEqual(d.diagnostics.map((x) => x.code), ['unknown-layer', 'unknown-option']);
    let current = text;
    let version = 1;
    for (const diag of d.diagnostics) {
      const actions = await s.conn.sendRequest<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: diag.range, context: { diagnostics: [diag] } });
      const fix = actions.find((a) => a.isPreferred && a.diagnostics?.[0].code === diag.code)!;
      assert.ok(fix, `a preferred fix for ${diag.code}`);
      current = applyTextEdits(current, editsOf(fix.edit, uri));
      const res = await s.replace(uri, current, ++version);
      if (version === 3) assert.deepEqual(res.diagnostics, []);
    }
    assert.equal(current, 'network t\ninput 3x32x32\nconv3-8 pad1\nconv3-8 pad1\n');
  });

  test('code action: pad to keep the size (`same`) on a stride-1 conv that shrinks the map', async () => {
    const text = 'network p\ninput 3x32x32\nconv3-8\nconv5-8 pad1 nobias\nconv3-8 stride2\n';
    const uri = testUri('pad.cnn');
    await s.open(uri, text);
    const at = async (line: number) => s.conn.sendRequest<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri }, range: { start: { line, character: 0 }, end: { line, character: 0 } }, context: { diagnostics: [] },
    });
    const a1 = (await at(2)).find((a) => a.title.includes('same'))!;
    assert.match(a1.title, /32×32 stays 32×32 instead of 30×30/);
    assert.equal(applyTextEdits(text, editsOf(a1.edit, uri)).split('\n')[2], 'conv3-8 same');
    const a2 = (await at(3)).find((a) => a.title.includes('same'))!;
    assert.equal(applyTextEdits(text, editsOf(a2.edit, uri)).split('\n')[3], 'conv5-8 same nobias');
    assert.ok(!(await at(4)).some((a) => a.title.includes('same')), 'not offered at stride 2');
  });

  test('missing input: the quick fix inserts an input line', async () => {
    const text = 'network m\nconv3-8 pad1\n';
    const uri = testUri('missing.cnn');
    const d = await s.open(uri, text);
    const mi = d.diagnostics.find((x) => x.code === 'missing-input')!;
    const actions = await s.conn.sendRequest<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: mi.range, context: { diagnostics: [mi] } });
    assert.equal(applyTextEdits(text, editsOf(actions[0].edit, uri)), 'network m\ninput 3x224x224\nconv3-8 pad1\n');
  });

  test('document symbols: networks with their layer lines and output shapes', async () => {
    const syms = await s.conn.sendRequest<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: vggUri } });
    assert.equal(syms.length, 1);
    assert.equal(syms[0].name, 'vgg16');
    assert.match(syms[0].detail!, /3×224×224 → 1,000 · 138,357,544 params/);
    const layers = syms[0].children!.filter((c) => c.kind === 12);
    assert.equal(layers.length, 24);
    assert.deepEqual([layers[0].name, layers[0].detail], ['conv3-64 pad1', '→ 64×224×224']);
    assert.deepEqual([layers[23].name, layers[23].detail], ['soft-max', '→ 1,000']);
  });

  test('formatting normalises spacing, case and indentation (the editor\'s tabSize), keeping comments and the paper\'s FC', async () => {
    const text = [
      'NETWORK  demo   # a demo',
      'Input 3X32X32   ',
      'AUTO RELU',
      'block Stage',
      'Conv3-16   PAD1      # aligned',
      '    maxpool',
      'end',
      'Stage x2',
      'FC-10',
      '\tsoftmax  ',
      '',
    ].join('\n');
    const uri = testUri('fmt.cnn');
    await s.open(uri, text);
    const edits = await s.conn.sendRequest<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 4, insertSpaces: true } });
    assert.equal(applyTextEdits(text, edits), [
      'network demo    # a demo',
      'input 3x32x32',
      'auto relu',
      'block Stage',
      '    conv3-16 pad1    # aligned', // tabSize 4 (issue 12); the comment keeps its column
      '    maxpool',
      'end',
      'Stage x2',
      'FC-10',
      'softmax',
      '',
    ].join('\n'));
    const broken = 'network b\ninput 3x8x8\nconv3-8   $ pad1   \n';
    await s.replace(uri, broken, 2);
    const e2 = await s.conn.sendRequest<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
    assert.equal(applyTextEdits(broken, e2), 'network b\ninput 3x8x8\nconv3-8   $ pad1\n', 'an unreadable line is only trimmed');
  });

  test('go to definition, references and rename of a block; invalid names are refused', async () => {
    const text = 'block stage\n  conv3-8 pad1\n  maxpool\nend\nnetwork r\ninput 3x32x32\nstage\nstage x2\n';
    const uri = testUri('rename.cnn');
    await s.open(uri, text);
    const call = { line: 6, character: 2 };
    const def = await s.conn.sendRequest<Location | null>('textDocument/definition', { textDocument: { uri }, position: call });
    assert.deepEqual(def?.range, { start: { line: 0, character: 6 }, end: { line: 0, character: 11 } });
    const refs = await s.conn.sendRequest<Location[]>('textDocument/references', { textDocument: { uri }, position: call, context: { includeDeclaration: true } });
    assert.deepEqual(refs.map((r) => r.range.start.line), [0, 6, 7]);
    const prep = await s.conn.sendRequest<{ placeholder: string } | null>('textDocument/prepareRename', { textDocument: { uri }, position: call });
    assert.equal(prep?.placeholder, 'stage');
    const edit = await s.conn.sendRequest<WorkspaceEdit>('textDocument/rename', { textDocument: { uri }, position: call, newName: 'vggStage' });
    assert.equal(applyTextEdits(text, editsOf(edit, uri)), text.replace(/stage/g, 'vggStage'));
    await assert.rejects(
      s.conn.sendRequest('textDocument/rename', { textDocument: { uri }, position: call, newName: 'conv3-8' }),
      /keyword of the language/);
    assert.equal(await s.conn.sendRequest('textDocument/prepareRename', { textDocument: { uri }, position: { line: 1, character: 4 } }), null,
      'a layer keyword is not renameable');
  });

  test('a branching network: hover and hint on a residual end, completion of labels, rename of a label', async () => {
    // 8×16×16: skip conv1-8 keeps it; the body conv3-8 stride2 pad1 gives 8×8×8 (⌊(16 + 2 − 3)/2⌋ + 1 = 8), the shortcut
    // conv1-8 stride2 too (⌊15/2⌋ + 1 = 8); the add is 8·8·8 = 512 additions; rf 1 + 2 = 3 (body) vs 1 (shortcut), jump 2.
    const text = 'network b\ninput 8x16x16\nskip: conv1-8\nresidual\n  conv3-8 stride2 pad1\nshortcut\n  conv1-8 stride2\nend\nupsample2\nadd skip\n';
    const uri = testUri('graph.cnn');
    const d = await s.open(uri, text);
    assert.deepEqual(d.diagnostics.filter((x) => x.severity === 1), []);
    const end = markdown(await s.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line: 7, character: 1 } }));
    assert.match(end, /shortcut: 8×8×8 \(line 7\) · body: 8×8×8 \(line 5\)/);
    assert.match(end, /512 element-wise additions · 0 MACs/);
    assert.match(end, /3×3 input pixels · jump 2 · that of body/);
    const hints = await s.conn.sendRequest<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 7, character: 0 }, end: { line: 9, character: 0 } } });
    assert.deepEqual(hints.map((h) => `${h.position.line}: ${h.label}`), ['7: → 8×8×8', '8: → 8×16×16', '9: → 8×16×16']);
    const labels = await s.conn.sendRequest<CompletionItem[]>('textDocument/completion', { textDocument: { uri }, position: { line: 9, character: 4 } });
    assert.deepEqual(labels.map((i) => `${i.label} ${i.detail}`), ['skip 8×16×16']);
    const edit = await s.conn.sendRequest<WorkspaceEdit>('textDocument/rename', { textDocument: { uri }, position: { line: 9, character: 6 }, newName: 'x0' });
    assert.equal(applyTextEdits(text, editsOf(edit, uri)), text.replace(/skip/g, 'x0'));
    const def = await s.conn.sendRequest<Location | null>('textDocument/definition', { textDocument: { uri }, position: { line: 9, character: 6 } });
    assert.deepEqual(def?.range, { start: { line: 2, character: 0 }, end: { line: 2, character: 4 } });
  });

  test('folding ranges and semantic tokens', async () => {
    const folds = await s.conn.sendRequest<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri: vggUri } });
    assert.ok(folds.some((f) => f.startLine === positionOf(VGG16, 'network').line && f.endLine === positionOf(VGG16, 'soft-max').line), 'the network folds');
    assert.ok(folds.some((f) => f.kind === 'comment' && f.startLine === 0 && f.endLine === 1), 'the header comment folds');
    const legend = ['keyword', 'function', 'number', 'parameter', 'namespace', 'class', 'variable', 'comment', 'operator'];
    const tokens = await s.conn.sendRequest<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri: vggUri } });
    assert.equal(tokens.data.length % 5, 0);
    // Decode and find the pieces of the first conv line.
    const decoded: { line: number; char: number; len: number; type: string }[] = [];
    let line = 0;
    let char = 0;
    for (let i = 0; i < tokens.data.length; i += 5) {
      line += tokens.data[i];
      char = tokens.data[i] ? tokens.data[i + 1] : char + tokens.data[i + 1];
      decoded.push({ line, char, len: tokens.data[i + 2], type: legend[tokens.data[i + 3]] });
    }
    const convLine = positionOf(VGG16, 'conv3-64 pad1').line;
    assert.deepEqual(decoded.filter((t) => t.line === convLine).map((t) => `${t.type}:${VGG16.split('\n')[convLine].slice(t.char, t.char + t.len)}`),
      ['function:conv', 'number:3', 'number:64', 'parameter:pad', 'number:1']);
    assert.equal(decoded[0].type, 'comment');
  });

  test('code lens on the network line shows totals and opens the summary; a second one runs it on an image', async () => {
    const lenses = await s.conn.sendRequest<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: vggUri } });
    assert.equal(lenses.length, 2);
    assert.deepEqual([lenses[1].command!.title, lenses[1].command!.command, ...lenses[1].command!.arguments!], ['▶ Run on image', 'cnnLab.runOnImage', vggUri, 'vgg16']);
    assert.equal(lenses[0].range.start.line, positionOf(VGG16, 'network').line);
    assert.match(lenses[0].command!.title, /138,357,544 params · 15\.47 G MACs · 553\.4 MB of weights/);
    assert.deepEqual([lenses[0].command!.command, ...lenses[0].command!.arguments!], ['cnnLab.showSummary', vggUri, 'vgg16']);
  });

  test('cnnLab/summary returns the core summary JSON; cnnLab/networkAt the totals at a position', async () => {
    const sum = await s.conn.sendRequest<Summary | null>(summaryRequest.method, { uri: vggUri });
    assert.equal(sum!.networks[0].totals.params, 138_357_544);
    assert.equal(sum!.networks[0].layers.length, 39, '16 conv + 16 auto relu, 5 maxpool... as the CLI lists them');
    const byPos = await s.conn.sendRequest<Summary | null>(summaryRequest.method, { uri: vggUri, position: { line: 20, character: 0 } });
    assert.equal(byPos!.networks[0].name, 'vgg16');
    const at = await s.conn.sendRequest<NetworkAtResult | null>(networkAtRequest.method, { uri: vggUri, position: { line: 10, character: 0 } });
    assert.equal(at!.totals.macs, 15_470_264_320);
    assert.equal(await s.conn.sendRequest(summaryRequest.method, { uri: 'file:///not-open.cnn' }), null);
  });

  test('a broken edit in the middle of the file is reported and the diagnostics recover', async () => {
    const lines = VGG16.split('\n');
    const mid = positionOf(VGG16, 'conv3-256 pad1').line;
    const brokenLine = 'conv3-$ pad1';
    const v2 = [...lines.slice(0, mid), brokenLine, ...lines.slice(mid + 1)].join('\n');
    const broken = await s.replace(vggUri, v2, 2);
    const errors = broken.diagnostics.filter((d) => d.severity === 1);
    assert.deepEqual(errors.map((d) => [d.code, d.range.start.line]), [['unknown-layer', mid], ['syntax', mid]]);
    // Later lines are still analysed: the hover below the broken line still knows its shape.
    const h = markdown(await s.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri: vggUri }, position: positionOf(v2, 'conv3-512 pad1', 1) }));
    assert.match(h, /Shape:\*\* 256×28×28 → 512×28×28/);
    // An incremental change that restores the line.
    const restored = s.diagnostics(vggUri, (p) => p.version === 3);
    await s.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri: vggUri, version: 3 },
      contentChanges: [{ range: { start: { line: mid, character: 0 }, end: { line: mid, character: brokenLine.length } }, text: lines[mid] }],
    });
    assert.deepEqual((await restored).diagnostics.map((d) => d.code), ['fc-dominates']);
    const sum = await s.conn.sendRequest<Summary | null>(summaryRequest.method, { uri: vggUri });
    assert.equal(sum!.networks[0].totals.params, 138_357_544, 'the incremental edit reproduced the file');
  });

  test('a stray colon after arguments keeps the rest of the file analysed', async () => {
    const uri = testUri('colon.cnn');
    const d = await s.open(uri, VGG16.replace('conv3-128 pad1', 'conv3-128 pad1 : 7'));
    assert.deepEqual(d.diagnostics.map((x) => x.code), ['syntax', 'unknown-option', 'fc-dominates'], 'the colon, then the 7 as an unknown option');
  });

  test('settings: teaching hints off hides large-kernel/fc-dominates; params inlay hints on', async () => {
    s.settings = { diagnostics: { teachingHints: false }, inlayHints: { shapes: true, params: true } };
    const uri = testUri('settings.cnn');
    const republished = s.diagnostics(vggUri, (p) => p.version === 3 && p.diagnostics.length === 0);
    await s.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await republished;
    const d = await s.open(uri, 'network k\ninput 3x32x32\nconv5-8 pad2\n');
    assert.deepEqual(d.diagnostics, []);
    const hints = await s.conn.sendRequest<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 3, character: 0 } },
    });
    assert.equal(hints[0].label, '→ 8×32×32 · 608 params');
    s.settings = {};
    await s.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
  });

  test('a handler that throws answers empty, logs, and the server keeps serving', async () => {
    const before = s.logs.length;
    const h = await s.conn.sendRequest('textDocument/hover', { textDocument: { uri: vggUri }, position: null });
    assert.equal(h, null);
    const c = await s.conn.sendRequest('textDocument/completion', { textDocument: { uri: vggUri }, position: 'nonsense' });
    assert.deepEqual(c, []);
    assert.equal(await s.conn.sendRequest('textDocument/hover', {}), null, 'no document at all');
    assert.equal(await s.conn.sendRequest(summaryRequest.method, null), null);
    assert.ok(s.logs.slice(before).some((m) => /hover failed/.test(m)), 'the exception is logged');
    const ok = await s.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri: vggUri }, position: positionOf(VGG16, 'conv3-64', 1) });
    assert.ok(markdown(ok).includes('1,792'));
    assert.equal(s.child.exitCode, null);
  });

  test('cancelled requests are answered (result or RequestCancelled) and the server keeps serving', async () => {
    // Whether a cancel arrives before the request runs is up to the pipe; over 20 tries some do.
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => {
      const source = new CancellationTokenSource();
      const p = s.conn.sendRequest('textDocument/hover', { textDocument: { uri: vggUri }, position: positionOf(VGG16, 'conv3-64', 1) }, source.token);
      source.cancel();
      return p.then(() => 'answered', (e: { code?: number }) => (e.code === -32800 ? 'cancelled' : `error ${e.code}`));
    }));
    assert.ok(outcomes.every((o) => o === 'answered' || o === 'cancelled'), outcomes.join());
    assert.ok(outcomes.includes('cancelled'), 'at least one request was cancelled before it ran');
    assert.ok(await s.conn.sendRequest('textDocument/hover', { textDocument: { uri: vggUri }, position: positionOf(VGG16, 'conv3-64', 1) }));
  });

  test('cnnLab/stats reports the server memory; every feature reads the one analysis of a version', async () => {
    const st = await s.conn.sendRequest<StatsResult>(statsRequest.method, {});
    assert.ok(st.memory.heapUsed > 0 && st.memory.heapUsed < st.memory.rss);
    assert.ok(st.documents >= 1 && st.analyses >= 1);
    const uri = testUri('once.cnn');
    await s.open(uri, VGG16);
    const doc = { textDocument: { uri } };
    const range = { start: { line: 0, character: 0 }, end: { line: 40, character: 0 } };
    await Promise.all([
      s.conn.sendRequest('textDocument/hover', { ...doc, position: positionOf(VGG16, 'conv3-64', 1) }),
      s.conn.sendRequest('textDocument/inlayHint', { ...doc, range }),
      s.conn.sendRequest('textDocument/documentSymbol', doc),
      s.conn.sendRequest('textDocument/semanticTokens/full', doc),
      s.conn.sendRequest('textDocument/foldingRange', doc),
      s.conn.sendRequest('textDocument/codeLens', doc),
      s.conn.sendRequest('textDocument/codeAction', { ...doc, range, context: { diagnostics: [] } }),
      s.conn.sendRequest(summaryRequest.method, { uri }),
    ]);
    const after = await s.conn.sendRequest<StatsResult>(statsRequest.method, {});
    assert.equal(after.analyses - st.analyses, 1, 'one analysis for the version, shared by diagnostics and eight requests');
  });
});

describe('language server with a minimal client (no snippets, no workspace/configuration)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ capabilities: {}, initializationOptions: { settings: { inlayHints: { params: true }, diagnostics: { severity: { 'fc-dominates': 'off' } } } } });
  });
  after(async () => {
    await s?.stop();
  });

  test('settings come from initializationOptions and didChangeConfiguration; completion inserts plain text', async () => {
    const d = await s.open(vggUri, VGG16);
    assert.deepEqual(d.diagnostics, [], 'fc-dominates is off');
    const hints = await s.conn.sendRequest<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri: vggUri }, range: { start: { line: 0, character: 0 }, end: { line: 8, character: 0 } },
    });
    assert.equal(hints[0].label, '→ 64×224×224 · 1,792 params');
    const items = await s.conn.sendRequest<CompletionItem[]>('textDocument/completion', { textDocument: { uri: vggUri }, position: { line: 5, character: 0 } });
    const conv = items.find((i) => i.label === 'conv')!;
    assert.equal(conv.insertTextFormat, 1);
    assert.equal((conv.textEdit as TextEdit).newText, 'conv3-64 pad1');
    const republished = s.diagnostics(vggUri, (p) => p.diagnostics.length === 1);
    await s.conn.sendNotification('workspace/didChangeConfiguration', { settings: { cnnLab: {} } });
    assert.equal((await republished).diagnostics[0].code, 'fc-dominates');
    const rename = await s.conn.sendRequest<WorkspaceEdit>('textDocument/rename', {
      textDocument: { uri: vggUri }, position: positionOf(VGG16, 'vgg16', 1), newName: 'D',
    });
    assert.ok(rename.changes?.[vggUri], 'plain `changes` for a client without documentChanges');
  });
});
