/**
 * "CNN Lab: Export as PyTorch…": asks for the network (when the file has several), the weights (none,
 * He-initialised, or a .safetensors file) and where to save, writes the .py (and the .safetensors
 * beside it), then offers to open the .py. The export itself is server/src/exportPytorch.ts.
 */
import * as vscode from 'vscode';
import { analyze } from '../../server/src/analysis/analyze.js';
import { pytorchFiles } from '../../server/src/exportPytorch.js';

/** The command's id, as package.json contributes it. */
export const EXPORT_PYTORCH_COMMAND = 'cnnLab.exportPytorch';

/** Registers the command. */
export function registerExportPytorch(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand(EXPORT_PYTORCH_COMMAND, async (uriArg?: unknown) => {
    try {
      await exportActive(uriArg);
    } catch (e) {
      void vscode.window.showErrorMessage(`CNN Lab: cannot export as PyTorch: ${(e as Error).message}`);
    }
  }));
}

async function exportActive(uriArg?: unknown): Promise<void> {
  const uri = uriArg instanceof vscode.Uri ? uriArg : vscode.window.activeTextEditor?.document.uri;
  if (!uri) {
    void vscode.window.showInformationMessage('CNN Lab: open a .cnn file to export.');
    return;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const base = uri.path.replace(/^.*\//, '');
  const a = analyze(doc.getText(), base.replace(/\.cnn$/i, ''));
  if (!a.networks.length) throw new Error('the file has no network');
  const network = a.networks.length === 1 ? a.networks[0].name
    : await vscode.window.showQuickPick(a.networks.map((n) => n.name), { title: 'Export which network?' });
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
  const files = pytorchFiles(a, base, { network, weights, seed: choice.value === 'seed' ? 0 : undefined });
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(files.source));
  let also = '';
  if (files.weights) {
    const st = target.with({ path: target.path.replace(/(\.py)?$/, '.safetensors') });
    await vscode.workspace.fs.writeFile(st, files.weights);
    also = ` and ${st.path.replace(/^.*\//, '')}`;
  }
  const open = await vscode.window.showInformationMessage(`CNN Lab: exported ${network} to ${target.path.replace(/^.*\//, '')}${also}.`, 'Open');
  if (open === 'Open') await vscode.window.showTextDocument(target);
}
