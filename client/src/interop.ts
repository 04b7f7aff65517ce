/**
 * "CNN Lab: Export as ONNX…" and "CNN Lab: Open ONNX Model as .cnn". The export plans the network at the
 * cursor, takes the weights of `cnnLab.run.weights` or He-initialises them from `cnnLab.run.seed` (as a
 * run does), asks where to save, writes the file and offers to show it. The import asks for a .onnx
 * file, opens the text in an untitled editor and offers to save the weights; what it cannot express is
 * shown by node name and op type, and nothing is opened. The work is the server's interop/ code, run
 * here: it is plain TypeScript without decoders.
 */
import * as vscode from 'vscode';
import { analyze } from '../../server/src/analysis/analyze.js';
import { fmtInt } from '../../server/src/analysis/summary.js';
import { paramsFromSafetensors } from '../../server/src/engine/loadweights.js';
import { writeSafetensors } from '../../server/src/engine/safetensors.js';
import { initParams } from '../../server/src/engine/weights.js';
import { EXPORT_FORMATS } from '../../server/src/interop/formats.js';
import { importOnnx } from '../../server/src/interop/onnxImport.js';
import { planRun } from '../../server/src/run/plan.js';
import { defaultNetworkName, pickNetwork } from './run/model.js';
import { numberSetting, weightsSetting } from './run/commands.js';

/** Command ids, contributed in package.json with category "CNN Lab". */
export const EXPORT_ONNX_COMMAND = 'cnnLab.exportOnnx';
export const IMPORT_ONNX_COMMAND = 'cnnLab.openOnnx';

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Exports the network at the cursor (or the one named) of the active .cnn editor or the given file. */
async function exportOnnx(uriArg?: unknown, networkArg?: unknown): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const uri = uriArg instanceof vscode.Uri ? uriArg : typeof uriArg === 'string' ? vscode.Uri.parse(uriArg) : editor?.document.uri;
  if (!uri) {
    void vscode.window.showInformationMessage('CNN Lab: open a .cnn file to export one of its networks as ONNX.');
    return;
  }
  const document = editor && editor.document.uri.toString() === uri.toString() ? editor.document : await vscode.workspace.openTextDocument(uri);
  const a = analyze(document.getText(), defaultNetworkName(document.uri.path));
  const network = pickNetwork(a, editor?.document === document ? document.offsetAt(editor.selection.active) : undefined, typeof networkArg === 'string' ? networkArg : undefined);
  if (!network) {
    void vscode.window.showInformationMessage('CNN Lab: this file has no network to export.');
    return;
  }
  const format = EXPORT_FORMATS.onnx!;
  try {
    // Nothing runs, so the run budget does not apply; the exporter refuses a model over protobuf's 2 GiB.
    const plan = planRun(a, network.name, { maxMacs: Infinity, maxMemoryBytes: Infinity }, 'last');
    const config = vscode.workspace.getConfiguration('cnnLab.run', document.uri);
    const weights = weightsSetting(config, document.uri);
    const seed = numberSetting(config.get('seed'), 0);
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(document.uri, '..', `${network.name}${format.extension}`),
      filters: { ONNX: ['onnx'] }, saveLabel: 'Export', title: `CNN Lab: export ${network.name} as ONNX`,
    });
    if (!target) return;
    const bytes = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CNN Lab: exporting ${network.name}…` }, async () => {
      const params = weights
        ? paramsFromSafetensors(await vscode.workspace.fs.readFile(weights), plan.inputShape, plan.layers, weights.path.split('/').pop(), plan.inputs)
        : initParams(plan.inputShape, plan.layers, seed, plan.inputs);
      const source = weights ? `weights from ${weights.path.split('/').pop()}` : `He-initialised weights (seed ${seed})`;
      const out = format.write(a, plan, params, { doc: `${network.name} from ${document.uri.path.split('/').pop()}, ${source}` });
      await vscode.workspace.fs.writeFile(target, out);
      return out;
    });
    const reveal = 'Reveal in File Explorer';
    const pick = await vscode.window.showInformationMessage(
      `CNN Lab: exported ${network.name} to ${target.path.split('/').pop()} (${fmtInt(bytes.length)} bytes, ${format.description}; ${weights ? 'weights from the cnnLab.run.weights file' : `He-initialised weights, seed ${seed}`}).`,
      reveal,
    );
    if (pick === reveal) await vscode.commands.executeCommand('revealFileInOS', target);
  } catch (e) {
    void vscode.window.showErrorMessage(`CNN Lab: cannot export ${network.name}: ${message(e)}`);
  }
}

/** Asks for an ONNX model and opens it as .cnn text, offering to save its weights. */
async function openOnnx(uriArg?: unknown): Promise<void> {
  const picked = uriArg instanceof vscode.Uri ? [uriArg] : await vscode.window.showOpenDialog({
    canSelectMany: false, filters: { ONNX: ['onnx'] }, openLabel: 'Open as .cnn', title: 'CNN Lab: open an ONNX model as .cnn',
  });
  const uri = picked?.[0];
  if (!uri) return;
  const file = uri.path.split('/').pop() ?? 'model.onnx';
  try {
    const result = importOnnx(await vscode.workspace.fs.readFile(uri), { name: file.replace(/\.onnx$/i, ''), label: file });
    if (result.problems.length) {
      const shown = result.problems.slice(0, 5).map((p) => `${p.op} '${p.node}': ${p.message}`).join('; ');
      const more = result.problems.length > 5 ? ` (and ${result.problems.length - 5} more; \`cnnlab import\` lists them all)` : '';
      void vscode.window.showErrorMessage(`CNN Lab: ${file} has ${result.problems.length} node${result.problems.length === 1 ? '' : 's'} .cnn cannot express: ${shown}${more}`, { modal: false });
      return;
    }
    const doc = await vscode.workspace.openTextDocument({ language: 'cnn', content: result.text });
    await vscode.window.showTextDocument(doc);
    const save = 'Save Weights…';
    const pick = await vscode.window.showInformationMessage(
      `CNN Lab: ${file} as ${result.network}: ${result.layers} layers, ${fmtInt(result.params)} parameters, ${fmtInt(result.macs)} MACs. Its weights load with "Run on Image with Weights…".`,
      ...(result.tensors.length ? [save] : []),
    );
    if (pick !== save) return;
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(uri, '..', `${result.network}.safetensors`), filters: { safetensors: ['safetensors'] }, saveLabel: 'Save Weights',
    });
    if (target) await vscode.workspace.fs.writeFile(target, writeSafetensors(result.tensors.map((t) => ({ name: t.name, shape: t.shape, data: t.data }))));
  } catch (e) {
    void vscode.window.showErrorMessage(`CNN Lab: cannot import ${file}: ${message(e)}`);
  }
}

/** Registers both commands. */
export function registerInteropCommands(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(EXPORT_ONNX_COMMAND, exportOnnx),
    vscode.commands.registerCommand(IMPORT_ONNX_COMMAND, openOnnx),
  );
}
