/**
 * The "CNN Lab: Compare Networks" view: one webview panel with the networks of a document side by side
 * (a sortable table and bar charts of params and MACs stacked by stage), refreshed when the document
 * changes; clicking a network reveals its `network` line. The figures come from the server's
 * `cnnLab/compare`; nothing is analysed here.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { compareRequest, type CompareResult, type ResultOf } from '../../server/src/protocol.js';
import { compareHtml } from './compareHtml.js';
import { isFromCompareView, type ToCompareView } from './compareMessages.js';
import { makeNonce } from './webviewHtml.js';

/** The command's id (package.json declares it with category "CNN Lab"). */
export const COMPARE_NETWORKS_COMMAND = 'cnnLab.compareNetworks';

/** The single comparison panel of the extension. */
export class ComparePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  /** The document shown and the server's latest answer for it. */
  private shown: { uri: string; result: CompareResult } | undefined;
  private ready = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** Listeners of the current panel, disposed with it. */
  private panelDisposables: vscode.Disposable[] = [];

  constructor(private readonly client: LanguageClient, private readonly extensionUri: vscode.Uri) {
    this.disposables.push(vscode.workspace.onDidChangeTextDocument((e) => {
      if (this.shown && e.document.uri.toString() === this.shown.uri) this.scheduleRefresh();
    }));
  }

  /** Shows the comparison of a document's networks. */
  async show(uri: string): Promise<void> {
    const result = await this.fetch(uri);
    if (!result || !result.networks.length) {
      void vscode.window.showInformationMessage('CNN Lab: no network in this file to compare.');
      return;
    }
    this.shown = { uri, result };
    if (!this.panel) this.createPanel();
    else this.panel.reveal(undefined, true);
    this.panel!.title = `Compare: ${fileName(uri)}`;
    this.post();
  }

  private fetch(uri: string): Promise<CompareResult | null> {
    return this.client.sendRequest<ResultOf<typeof compareRequest>>(compareRequest.method, { uri });
  }

  private createPanel(): void {
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel('cnnLab.compare', 'Compare networks', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: [dist],
      retainContextWhenHidden: false,
    });
    this.panel = panel;
    this.ready = false;
    this.panelDisposables = [
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.shown = undefined;
        for (const d of this.panelDisposables) d.dispose();
        this.panelDisposables = [];
      }),
      // A hidden webview is discarded (no retained context); it says 'ready' again when shown.
      panel.onDidChangeViewState(() => { if (!panel.visible) this.ready = false; }),
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
    ];
    panel.webview.html = compareHtml({
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'compare.js')).toString(),
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
    });
  }

  /** Sends the latest result, once the page listens. */
  private post(): void {
    if (!this.panel || !this.ready || !this.shown) return;
    const m: ToCompareView = { type: 'show', file: fileName(this.shown.uri), networks: this.shown.result.networks };
    void this.panel.webview.postMessage(m);
  }

  private onMessage(m: unknown): void {
    if (!isFromCompareView(m)) return;
    if (m.type === 'ready') {
      this.ready = true;
      this.post();
    } else if (m.type === 'reveal' && this.shown) {
      const net = this.shown.result.networks.find((n) => n.name === m.network);
      if (!net) return;
      const uri = this.shown.uri;
      const r = net.range;
      const selection = new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
      const column = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri)?.viewColumn ?? vscode.ViewColumn.One;
      void vscode.window.showTextDocument(vscode.Uri.parse(uri), { viewColumn: column, selection }).then((editor) =>
        editor.revealRange(selection, vscode.TextEditorRevealType.AtTop));
    }
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      const shown = this.shown;
      if (!shown || !this.panel) return;
      this.fetch(shown.uri).then((result) => {
        if (result && this.shown?.uri === shown.uri) {
          this.shown = { uri: shown.uri, result };
          this.post();
        }
      }, () => undefined);
    }, 300);
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** The last segment of a URI's path, for titles. */
function fileName(uri: string): string {
  return decodeURIComponent(uri.replace(/[?#].*$/, '').replace(/^.*\//, '')) || uri;
}
