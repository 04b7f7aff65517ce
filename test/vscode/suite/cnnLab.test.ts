/**
 * CNN Lab through VS Code's API, in a real extension host: the figures the language server computes
 * (diagnostics, hovers, inlay hints), a quick fix and formatting applied as edits, and the Run command
 * on a network with fixed Sobel kernels. Each test asserts figures a person would check by hand.
 */
import * as assert from 'node:assert/strict';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { RunResult } from '../../../client/src/run/commands.js';
import { closeAllEditors, codeOf, hoverText, inlayHints, lineOf, open, sample, waitForDiagnostics } from './helpers.js';

/** The extension under test, as its package.json names it. */
const EXTENSION_ID = 'cnn-lab.cnn-lab';

/** Defines the tests; index.ts calls it once mocha's tdd interface is in place. */
export function defineTests(): void {
  suite('CNN Lab in VS Code', () => {
    suiteSetup(async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext, `${EXTENSION_ID} is not installed in this extension host`);
      // A stat of the workspace's copy of samples/ fails here, clearly, rather than in every test.
      await vscode.workspace.fs.stat(sample('vgg16.cnn'));
    });

    suiteTeardown(closeAllEditors);

    test('vgg16.cnn: diagnostics published, no errors or warnings, one fc-dominates note', async () => {
      const doc = await open(sample('vgg16.cnn'));
      const ds = await waitForDiagnostics(doc.uri, (d) => d.length > 0);
      const bad = ds.filter((d) => d.severity === vscode.DiagnosticSeverity.Error || d.severity === vscode.DiagnosticSeverity.Warning);
      assert.deepEqual(bad.map(codeOf), [], 'VGG16 has no errors or warnings');
      assert.deepEqual(ds.map(codeOf), ['fc-dominates']);
      assert.equal(ds[0].severity, vscode.DiagnosticSeverity.Information);
      assert.equal(ds[0].source, 'cnn-lab');
      assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
    });

    test('vgg16.cnn: the first conv hover says 1,792 parameters and 64×224×224', async () => {
      const doc = await open(sample('vgg16.cnn'));
      const line = lineOf(doc, 'conv3-64 pad1');
      const text = await hoverText(doc, new vscode.Position(line, 2));
      assert.match(text, /1,792/, text);
      assert.match(text, /64×224×224/, text);
      // The first fc layer: 25,088 × 4,096 weights plus 4,096 biases.
      const fc = await hoverText(doc, new vscode.Position(lineOf(doc, 'FC-4096'), 2));
      assert.match(fc, /102,764,544/, fc);
    });

    test('vgg16.cnn: inlay hints give each layer line its output shape', async () => {
      const doc = await open(sample('vgg16.cnn'));
      const hints = await inlayHints(doc);
      const at = (line: number) => hints.filter((h) => h.line === line).map((h) => h.label.trim()).join(' ');
      const first = lineOf(doc, 'conv3-64 pad1');
      assert.match(at(first), /^→ 64×224×224$/, JSON.stringify(hints.slice(0, 4)));
      assert.match(at(lineOf(doc, 'maxpool', first)), /^→ 64×112×112$/);
      assert.match(at(lineOf(doc, 'FC-1000')), /^→ 1,000$/);
    });

    test('resnet18.cnn: the first residual end merges into 64×56×56', async () => {
      const doc = await open(sample('zoo/resnet18.cnn'));
      await waitForDiagnostics(doc.uri, () => true);
      const end = lineOf(doc, 'end', lineOf(doc, 'residual'));
      const text = await hoverText(doc, new vscode.Position(end, doc.lineAt(end).firstNonWhitespaceCharacterIndex + 1));
      assert.match(text, /64×56×56/, text);
      const hints = (await inlayHints(doc, end, end)).map((h) => h.label);
      assert.ok(hints.some((h) => /64×56×56/.test(h)), `inlay hints of line ${end + 1}: ${JSON.stringify(hints)}`);
    });

    test('mistakes.cnn: every "expect:" comment names exactly the codes reported on its line', async () => {
      const doc = await open(sample('mistakes.cnn'));
      const expected = new Map<number, string[]>();
      for (let i = 0; i < doc.lineCount; i++) {
        const m = /#\s*expect:\s*(.+)$/.exec(doc.lineAt(i).text);
        if (m) expected.set(i, m[1].trim().split(/\s+/).sort());
      }
      assert.ok(expected.size >= 10, `mistakes.cnn has ${expected.size} expect: comments`);
      const ds = await waitForDiagnostics(doc.uri, (d) => d.length > 0);
      const got = new Map<number, string[]>();
      for (const d of ds) got.set(d.range.start.line, [...(got.get(d.range.start.line) ?? []), codeOf(d)].sort());
      const show = (m: Map<number, string[]>) => [...m].sort((a, b) => a[0] - b[0]).map(([l, c]) => `${l + 1}: ${c.join(' ')}`);
      assert.deepEqual(show(got), show(expected));
    });

    test('quick fix: "Change to \'conv3-16\'" is applied and the unknown-layer diagnostic goes', async () => {
      const doc = await open({ content: 'network fix\ninput 3x32x32\nconv3-16 pad1\nconvv3-16 pad1\n' });
      const [d] = await waitForDiagnostics(doc.uri, (ds) => ds.some((x) => codeOf(x) === 'unknown-layer'))
        .then((ds) => ds.filter((x) => codeOf(x) === 'unknown-layer'));
      assert.equal(d.range.start.line, 3);
      const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
        'vscode.executeCodeActionProvider', doc.uri, d.range, vscode.CodeActionKind.QuickFix.value);
      const titles = actions.map((a) => a.title);
      const fix = actions.find((a): a is vscode.CodeAction => 'edit' in a && a.title === "Change to 'conv3-16'");
      assert.ok(fix?.edit, `no "Change to 'conv3-16'" fix with an edit; offered: ${JSON.stringify(titles)}`);
      assert.equal(await vscode.workspace.applyEdit(fix.edit), true, 'applyEdit refused the fix');
      assert.equal(doc.lineAt(3).text, 'conv3-16 pad1');
      const after = await waitForDiagnostics(doc.uri, (ds) => !ds.some((x) => codeOf(x) === 'unknown-layer'));
      assert.deepEqual(after.filter((x) => x.severity === vscode.DiagnosticSeverity.Error).map(codeOf), []);
      const hints = await inlayHints(doc, 3, 3);
      assert.deepEqual(hints.map((h) => h.label.trim()), ['→ 16×32×32']);
    });

    test('formatting: keywords lower-cased, single spaces, no trailing blanks, bodies indented', async () => {
      const doc = await open({ content: 'NETWORK tidy\nINPUT 3X32X32\nconv3-16    pad1   \nresidual\nconv3-16 pad1\n  end\nMaxPool\n' });
      await waitForDiagnostics(doc.uri, () => true);
      const edits = await vscode.commands.executeCommand<vscode.TextEdit[]>(
        'vscode.executeFormatDocumentProvider', doc.uri, { tabSize: 2, insertSpaces: true });
      assert.ok(edits && edits.length > 0, 'the formatter returned no edits');
      const we = new vscode.WorkspaceEdit();
      we.set(doc.uri, edits);
      assert.equal(await vscode.workspace.applyEdit(we), true);
      assert.equal(doc.getText(), 'network tidy\ninput 3x32x32\nconv3-16 pad1\nresidual\n  conv3-16 pad1\nend\nmaxpool\n');
      const again = await vscode.commands.executeCommand<vscode.TextEdit[]>(
        'vscode.executeFormatDocumentProvider', doc.uri, { tabSize: 2, insertSpaces: true });
      assert.deepEqual(again ?? [], [], 'formatting a formatted document changes nothing');
    });

    test('Run on Image: sobel-x on edge.png finds the vertical edge, 4·175/255 at columns 63 and 64', async () => {
      const doc = await open(sample('lecture/09-edges.cnn'));
      await waitForDiagnostics(doc.uri, () => true);
      // The third argument, an image, skips the picker (the hook this suite uses; see README, Tests).
      const result = await vscode.commands.executeCommand<RunResult | undefined>(
        'cnnLab.runOnImage', doc.uri, 'sobel-x', sample('images/edge.png'));
      assert.ok(result, 'the run gave no result (refused, cancelled or failed: see the notifications)');
      assert.equal(result.network, 'sobel-x');
      assert.deepEqual(result.inputShape, [1, 128, 128]);
      assert.deepEqual(result.layers.map((l) => [l.text, l.shape]), [['conv3-1 pad1 sobelx', [1, 128, 128]]]);
      // edge.png is 40 left of column 64 and 215 from it on, grey. Sobel x (−1 0 1 / −2 0 2 / −1 0 1)
      // gives 4·(215−40)/255 on the two columns beside the step, and at the zero padding of the right
      // border −4·215/255, the smallest value.
      const step = (4 * 175) / 255;
      const border = (-4 * 215) / 255;
      const close = (got: number, want: number, what: string) =>
        assert.ok(Math.abs(got - want) < 1e-4, `${what}: ${got}, expected ${want} (difference ${Math.abs(got - want)})`);
      close(result.layers[0].max, step, 'largest value');
      close(result.layers[0].min, border, 'smallest value');
      assert.ok(result.top.length > 0, 'no top values');
      for (const t of result.top) {
        close(t.value, step, `top value at ${t.index}`);
        assert.ok([63, 64].includes(t.index % 128), `a top value at column ${t.index % 128} (flat index ${t.index})`);
      }
    });
  });
}
