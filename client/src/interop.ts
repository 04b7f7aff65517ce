/**
 * "CNN Lab: Export as ONNX…" and "CNN Lab: Open ONNX Model as .cnn". The export asks the run worker for
 * the network at the cursor (and whether it can be exported), takes the weights of `cnnLab.run.weights`
 * or He-initialises them from `cnnLab.run.seed` (as a run does), asks where to save, has the worker
 * write the model and offers to show it. The import asks for a .onnx file, has the worker read it,
 * opens the text in an untitled editor and offers to save the weights; what it cannot express is shown
 * by node name and op type, and nothing is opened. Analysing, planning, initialising and encoding are
 * the worker's (server/src/run/interop.ts): a VGG16 model is 550 MB, built off the extension host's thread.
 */
import * as vscode from 'vscode';
import { fmtInt } from '../../server/src/language/format.js';
import { defaultNetworkName } from '../../server/src/language/names.js';
import { numberSetting, weightsSetting } from './run/commands.js';
import type { WorkerClient } from './run/workerClient.js';

/** Command ids, contributed in package.json with category "CNN Lab". */
export const EXPORT_ONNX_COMMAND = 'cnnLab.exportOnnx';
export const IMPORT_ONNX_COMMAND = 'cnnLab.openOnnx';

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const baseName = (uri: vscode.Uri): string => uri.path.split('/').pop() ?? uri.path;

/** Exports the network at the cursor (or the one named) of the active .cnn editor or the given file. */
async function exportOnnx(worker: WorkerClient, uriArg?: unknown, networkArg?: unknown): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const uri = uriArg instanceof vscode.Uri ? uriArg : typeof uriArg === 'string' ? vscode.Uri.parse(uriArg) : editor?.document.uri;
  if (!uri) {
    void vscode.window.showInformationMessage('CNN Lab: open a .cnn file to export one of its networks as ONNX.');
    return;
  }
  const document = editor && editor.document.uri.toString() === uri.toString() ? editor.document : await vscode.workspace.openTextDocument(uri);
  const text = document.getText();
  const defaultName = defaultNetworkName(document.uri.path);
  const offset = editor?.document === document ? document.offsetAt(editor.selection.active) : undefined;
  const name = typeof networkArg === 'string' ? networkArg : undefined;
  let prepared;
  try {
    // Nothing runs, so the run budget does not apply: only a network with errors is refused.
    prepared = await worker.prepare({
      text, defaultName, budget: { maxMacs: Infinity, maxMemoryBytes: Infinity }, ...(name !== undefined ? { network: name } : {}), ...(offset !== undefined ? { offset } : {}),
    });
  } catch (e) {
    void vscode.window.showErrorMessage(`CNN Lab: cannot export: ${message(e)}`);
    return;
  }
  const network = prepared.network;
  if (!network) {
    void vscode.window.showInformationMessage('CNN Lab: this file has no network to export.');
    return;
  }
  try {
    if (prepared.refusal !== undefined) throw new Error(prepared.refusal);
    const config = vscode.workspace.getConfiguration('cnnLab.run', document.uri);
    const weights = weightsSetting(config, document.uri);
    const seed = numberSetting(config.get('seed'), 0);
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(document.uri, '..', `${network.name}.onnx`),
      filters: { ONNX: ['onnx'] }, saveLabel: 'Export', title: `CNN Lab: export ${network.name} as ONNX`,
    });
    if (!target) return;
    const exported = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CNN Lab: exporting ${network.name}…` }, async () => {
      const files = await worker.exportModel({
        text, defaultName, network: network.name, format: 'onnx', source: baseName(document.uri),
        ...(weights ? { weights: { bytes: await vscode.workspace.fs.readFile(weights), fileName: baseName(weights) } } : { seed }),
      });
      worker.release();
      await vscode.workspace.fs.writeFile(target, files.main);
      return files;
    });
    const reveal = 'Reveal in File Explorer';
    const pick = await vscode.window.showInformationMessage(
      `CNN Lab: exported ${network.name} to ${baseName(target)} (${fmtInt(exported.main.length)} bytes, ${exported.description}; ${weights ? 'weights from the cnnLab.run.weights file' : `He-initialised weights, seed ${seed}`}).`,
      reveal,
    );
    if (pick === reveal) await vscode.commands.executeCommand('revealFileInOS', target);
  } catch (e) {
    void vscode.window.showErrorMessage(`CNN Lab: cannot export ${network.name}: ${message(e)}`);
  }
}

/** Asks for an ONNX model and opens it as .cnn text, offering to save its weights. */
async function openOnnx(worker: WorkerClient, uriArg?: unknown): Promise<void> {
  const picked = uriArg instanceof vscode.Uri ? [uriArg] : await vscode.window.showOpenDialog({
    canSelectMany: false, filters: { ONNX: ['onnx'] }, openLabel: 'Open as .cnn', title: 'CNN Lab: open an ONNX model as .cnn',
  });
  const uri = picked?.[0];
  if (!uri) return;
  const file = uri.path.split('/').pop() ?? 'model.onnx';
  try {
    const result = await worker.importModel({ bytes: await vscode.workspace.fs.readFile(uri), name: file.replace(/\.onnx$/i, ''), label: file });
    // Nothing more is asked of the worker: it goes before the notification waits on the user.
    worker.release();
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
      ...(result.weights ? [save] : []),
    );
    if (pick !== save || !result.weights) return;
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(uri, '..', `${result.network}.safetensors`), filters: { safetensors: ['safetensors'] }, saveLabel: 'Save Weights',
      title: `CNN Lab: save the weights of ${result.network}`,
    });
    if (target) await vscode.workspace.fs.writeFile(target, result.weights);
  } catch (e) {
    void vscode.window.showErrorMessage(`CNN Lab: cannot import ${file}: ${message(e)}`);
  }
}

/** Registers both commands; `worker` does the work and is let go when a command ends (release waits for others). */
export function registerInteropCommands(context: vscode.ExtensionContext, worker: WorkerClient): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(EXPORT_ONNX_COMMAND, (uri?: unknown, network?: unknown) => exportOnnx(worker, uri, network).finally(() => worker.release())),
    vscode.commands.registerCommand(IMPORT_ONNX_COMMAND, (uri?: unknown) => openOnnx(worker, uri).finally(() => worker.release())),
  );
}
