/**
 * What the integration tests need from the editor, through VS Code's API only: documents of the
 * workspace (a copy of samples/), the diagnostics the language server publishes (waited for on
 * onDidChangeDiagnostics, never by sleeping), and the text of hovers and inlay hints.
 */
import * as vscode from 'vscode';

/** The workspace folder the suite runs in: a copy of samples/ (both runners open one). */
export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the integration suite needs a workspace folder holding a copy of samples/');
  return folder.uri;
}

/** A file of the workspace by its path relative to the folder, e.g. 'zoo/resnet18.cnn'. */
export function sample(rel: string): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), ...rel.split('/'));
}

/** Opens a document and shows it in an editor (the language server starts on the first `.cnn`). */
export async function open(target: vscode.Uri | { content: string }): Promise<vscode.TextDocument> {
  const doc = target instanceof vscode.Uri
    ? await vscode.workspace.openTextDocument(target)
    : await vscode.workspace.openTextDocument({ language: 'cnn', content: target.content });
  await vscode.window.showTextDocument(doc);
  return doc;
}

/**
 * Closes every editor without saving: the edited untitled documents are reverted first, since closing
 * a dirty one stops at "Do you want to save?", which nobody answers in a test.
 */
export async function closeAllEditors(): Promise<void> {
  for (const doc of vscode.workspace.textDocuments.filter((d) => d.isDirty)) {
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** A diagnostic's code as a string ('unknown-layer'), whichever form the client gave it. */
export function codeOf(d: vscode.Diagnostic): string {
  const c = d.code;
  return typeof c === 'object' && c !== null ? String(c.value) : String(c ?? '');
}

/**
 * Resolves to the diagnostics of `uri` once `accept` holds for them: at once when it already does,
 * else on a later onDidChangeDiagnostics event for that document. Rejects after `timeoutMs` with what
 * was last seen (a bound on a broken server, not a pause: a healthy one answers in milliseconds).
 */
export function waitForDiagnostics(
  uri: vscode.Uri, accept: (ds: readonly vscode.Diagnostic[]) => boolean, timeoutMs = 30_000,
): Promise<readonly vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const ds = vscode.languages.getDiagnostics(uri);
      if (!accept(ds)) return false;
      sub.dispose();
      clearTimeout(timer);
      resolve(ds);
      return true;
    };
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) check();
    });
    const timer = setTimeout(() => {
      sub.dispose();
      const seen = vscode.languages.getDiagnostics(uri).map((d) => `${d.range.start.line + 1}: ${codeOf(d)} ${d.message}`);
      reject(new Error(`the diagnostics of ${uri.toString()} did not become as expected within ${timeoutMs} ms; they are: ${JSON.stringify(seen)}`));
    }, timeoutMs);
    check();
  });
}

/** The first line whose text (comments included) starts with `prefix` after leading spaces, as a 0-based number. */
export function lineOf(doc: vscode.TextDocument, prefix: string, from = 0): number {
  for (let i = from; i < doc.lineCount; i++) if (doc.lineAt(i).text.trimStart().startsWith(prefix)) return i;
  throw new Error(`${doc.uri.toString()} has no line starting with "${prefix}" from line ${from + 1}`);
}

/** The markdown of every hover at a position, joined. */
export async function hoverText(doc: vscode.TextDocument, pos: vscode.Position): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n---\n');
}

/** The inlay hints of a document's lines [first, last], each as its 0-based line and label text. */
export async function inlayHints(doc: vscode.TextDocument, first = 0, last = doc.lineCount - 1): Promise<{ line: number; label: string }[]> {
  const range = new vscode.Range(first, 0, last, doc.lineAt(last).text.length);
  const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, range);
  return hints.map((h) => ({
    line: h.position.line,
    label: typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join(''),
  }));
}
