/**
 * Where CNN Lab's webviews (the summary and the feature maps) open: all in one editor group beside the
 * code. The first opens beside the active editor; each later one opens in the group of a CNN Lab
 * webview already open, and one already open is revealed where it is, so running after "Show Summary"
 * does not split the editor into a third column.
 */
import * as vscode from 'vscode';

/** The CNN Lab webview panels currently open. */
const open = new Set<vscode.WebviewPanel>();

/** Records a panel as one of CNN Lab's until it is closed. */
export function trackWebview(panel: vscode.WebviewPanel): vscode.Disposable {
  open.add(panel);
  return panel.onDidDispose(() => open.delete(panel));
}

/** The column a new CNN Lab webview should open in: that of one already open, else beside the editor. */
export function webviewColumn(except?: vscode.WebviewPanel): vscode.ViewColumn {
  for (const p of open) {
    if (p !== except && p.viewColumn !== undefined) return p.viewColumn;
  }
  return vscode.ViewColumn.Beside;
}

/** Shows a panel in its own group (or that of the other CNN Lab webview when it has none yet), keeping the focus where it is. */
export function revealWebview(panel: vscode.WebviewPanel): void {
  panel.reveal(panel.viewColumn ?? webviewColumn(panel), true);
}
