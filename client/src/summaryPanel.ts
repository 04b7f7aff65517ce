/**
 * The "CNN Lab: Show Summary" view: one webview panel showing the table of the network last asked
 * for, refreshed when its document changes; clicking a row reveals the layer's line.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { formatMarkdown, type SummaryNetwork } from '../../server/src/analysis/summary.js';
import { summaryRequest, type ResultOf, type SummaryParams } from '../../server/src/protocol.js';
import { isFromSummaryView } from './summaryMessages.js';
import { summaryHtml } from './summaryHtml.js';
import { makeNonce } from './webviewHtml.js';
import { revealWebview, trackWebview, webviewColumn } from './webviewColumn.js';

/** Asks the server for one network's summary: by name, else the one at the position. */
export async function fetchNetwork(client: LanguageClient, params: SummaryParams): Promise<SummaryNetwork | undefined> {
  const s = await client.sendRequest<ResultOf<typeof summaryRequest>>(summaryRequest.method, params);
  return s?.networks[0];
}

/** The single summary panel of the extension. */
export class SummaryPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private shown: { uri: string; network: string } | undefined;
  private network: SummaryNetwork | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** Listeners of the current panel, disposed with it. */
  private panelDisposables: vscode.Disposable[] = [];

  constructor(private readonly client: LanguageClient) {
    this.disposables.push(vscode.workspace.onDidChangeTextDocument((e) => {
      if (this.shown && e.document.uri.toString() === this.shown.uri) this.scheduleRefresh();
    }));
  }

  /** Shows the summary of a network of a document. */
  async show(uri: string, params: SummaryParams): Promise<void> {
    const n = await fetchNetwork(this.client, params);
    if (!n) {
      void vscode.window.showInformationMessage('CNN Lab: no network here to summarise.');
      return;
    }
    this.shown = { uri, network: n.name };
    this.render(n);
    if (this.panel && !this.panel.visible) revealWebview(this.panel);
  }

  private render(n: SummaryNetwork): void {
    this.network = n;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('cnnLab.summary', `Summary: ${n.name}`, { viewColumn: webviewColumn(), preserveFocus: true }, {
        enableScripts: true,
        localResourceRoots: [],
        retainContextWhenHidden: false,
      });
      this.panelDisposables = [
        trackWebview(this.panel),
        this.panel.onDidDispose(() => {
          this.panel = undefined;
          this.shown = undefined;
          for (const d of this.panelDisposables) d.dispose();
          this.panelDisposables = [];
        }),
        this.panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      ];
    }
    this.panel.title = `Summary: ${n.name}`;
    this.panel.webview.html = summaryHtml(n, makeNonce(), this.panel.webview.cspSource);
  }

  private onMessage(m: unknown): void {
    if (!isFromSummaryView(m) || !this.shown) return;
    if (m.type === 'copyMarkdown' && this.network) {
      void vscode.env.clipboard.writeText(formatMarkdown(this.network)).then(() =>
        vscode.window.setStatusBarMessage(`CNN Lab: summary of ${this.network!.name} copied as Markdown`, 3000));
    } else if (m.type === 'reveal') {
      const uri = vscode.Uri.parse(this.shown.uri);
      const pos = new vscode.Position(m.line, 0);
      const column = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === this.shown!.uri)?.viewColumn ?? vscode.ViewColumn.One;
      void vscode.window.showTextDocument(uri, { viewColumn: column, selection: new vscode.Range(pos, pos) });
    }
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      const shown = this.shown;
      if (!shown || !this.panel) return;
      fetchNetwork(this.client, { uri: shown.uri, network: shown.network }).then((n) => { if (n && this.panel) this.render(n); }, () => undefined);
    }, 300);
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
