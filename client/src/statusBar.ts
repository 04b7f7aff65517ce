/** The status bar item: total parameters and MACs of the network at the cursor in the active .cnn editor. */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { fmtBytes, fmtInt, fmtSi } from '../../server/src/analysis/summary.js';
import { networkAtRequest, SHOW_SUMMARY_COMMAND, type ResultOf } from '../../server/src/protocol.js';
import { statusText } from './summaryHtml.js';

/** Keeps the item in step with the active editor, its cursor and its edits. */
export class NetworkStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('cnnLab.network', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [this.item];
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;

  constructor(private readonly client: LanguageClient) {
    this.item.name = 'CNN Lab: network at cursor';
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      vscode.window.onDidChangeTextEditorSelection((e) => { if (e.textEditor === vscode.window.activeTextEditor) this.schedule(150); }),
      vscode.workspace.onDidChangeTextDocument((e) => { if (e.document === vscode.window.activeTextEditor?.document) this.schedule(300); }),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('cnnLab.statusBar')) this.schedule(0); }),
    );
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.update(), ms);
  }

  private async update(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const enabled = vscode.workspace.getConfiguration('cnnLab').get<boolean>('statusBar.enabled', true);
    if (!editor || editor.document.languageId !== 'cnn' || !enabled) {
      this.item.hide();
      return;
    }
    const gen = ++this.generation;
    const uri = editor.document.uri.toString();
    let r: ResultOf<typeof networkAtRequest>;
    try {
      r = await this.client.sendRequest<ResultOf<typeof networkAtRequest>>(networkAtRequest.method, { uri, position: { line: editor.selection.active.line, character: editor.selection.active.character } });
    } catch {
      r = null;
    }
    if (gen !== this.generation) return; // a newer update is on its way
    if (!r) {
      this.item.hide();
      return;
    }
    const t = r.totals;
    this.item.text = statusText(r.name, t);
    const tip = new vscode.MarkdownString(
      `**${r.name}**\n\n- Parameters: ${fmtInt(t.params)} (${fmtBytes(t.paramBytes)})\n- fc share: ${(100 * t.fcShare).toFixed(1)}%\n`
      + `- MACs: ${fmtInt(t.macs)} (${fmtSi(t.macs)}); FLOPs ${fmtSi(t.flops)}\n- Activations: ${fmtBytes(t.activationBytes)}\n\nClick for the summary table.`);
    this.item.tooltip = tip;
    this.item.command = { title: 'Show Summary', command: SHOW_SUMMARY_COMMAND, arguments: [uri, r.name] };
    this.item.show();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
