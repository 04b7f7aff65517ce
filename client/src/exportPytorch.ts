/**
 * "CNN Lab: Export as PyTorch…": asks for the network (when the file has several), the weights (none,
 * He-initialised, or a .safetensors file) and where to save, writes the .py (and the .safetensors
 * beside it), then offers to open the .py. The run worker lists the networks and does the export
 * (server/src/exportPytorch.ts, through server/src/run/interop.ts); this file only asks and writes.
 */
import * as vscode from 'vscode';
import type { WorkerClient } from './run/workerClient.js';

/** The command's id, as package.json contributes it. */
export const EXPORT_PYTORCH_COMMAND = 'cnnLab.exportPytorch';

/** Registers the command; `worker` does the work and is let go when the command ends. */
export function registerExportPytorch(context: vscode.ExtensionContext, worker: WorkerClient): void {
  context.subscriptions.push(vscode.commands.registerCommand(EXPORT_PYTORCH_COMMAND, async (uriArg?: unknown) => {
    try {
      await exportActive(worker, uriArg);
    } catch (e) {
      void vscode.window.showErrorMessage(`CNN Lab: cannot export as PyTorch: ${(e as Error).message}`);
    } finally {
      worker.release();
    }
  }));
}

async function exportActive(worker: WorkerClient, uriArg?: unknown): Promise<void> {
  const uri = uriArg instanceof vscode.Uri ? uriArg : vscode.window.activeTextEditor?.document.uri;
  if (!uri) {
    void vscode.window.showInformationMessage('CNN Lab: open a .cnn file to export.');
    return;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const base = uri.path.replace(/^.*\//, '');
  const text = doc.getText();
  const defaultName = base.replace(/\.cnn$/i, '');
  // Only the list of networks is wanted here; the export itself says what is wrong with the one picked.
  const { networks } = await worker.prepare({ text, defaultName, budget: { maxMacs: Infinity, maxMemoryBytes: Infinity } });
  if (!networks.length) throw new Error('the file has no network');
  const network = networks.length === 1 ? networks[0]
    : await vscode.window.showQuickPick([...networks], { title: 'Export which network?' });
  if (!network) return;
  const choice = await vscode.window.showQuickPick([
    { label: 'Module only', value: 'none' as const },
    { label: 'Module and He-initialised weights', description: 'seed 0, as Run on Image uses', value: 'seed' as const },
    { label: 'Module and weights from a .safetensors file…', value: 'file' as const },
  ], { title: 'Weights to write beside the .py' });
  if (!choice) return;
  let weights: { bytes: Uint8Array; fileName: string } | undefined;
  if (choice.value === 'file') {
    const picked = await vscode.window.showOpenDialog({ filters: { Safetensors: ['safetensors'] }, canSelectMany: false, title: 'Weights to export' });
    if (!picked?.length) return;
    weights = { bytes: await vscode.workspace.fs.readFile(picked[0]), fileName: picked[0].path.replace(/^.*\//, '') };
  }
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(uri, '..', `${network}.py`), filters: { Python: ['py'] }, title: 'Export as PyTorch',
  });
  if (!target) return;
  const files = await worker.exportModel({
    text, defaultName, network, format: 'pytorch', source: base, ...(weights ? { weights } : {}), ...(choice.value === 'seed' ? { seed: 0 } : {}),
  });
  worker.release();
  await vscode.workspace.fs.writeFile(target, files.main);
  let also = '';
  if (files.weights) {
    const st = target.with({ path: target.path.replace(/(\.py)?$/, '.safetensors') });
    await vscode.workspace.fs.writeFile(st, files.weights);
    also = ` and ${st.path.replace(/^.*\//, '')}`;
  }
  const open = await vscode.window.showInformationMessage(`CNN Lab: exported ${network} to ${target.path.replace(/^.*\//, '')}${also}.`, 'Open');
  if (open === 'Open') await vscode.window.showTextDocument(target);
}
