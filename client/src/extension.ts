/**
 * The VS Code side of CNN Lab: starts the language server (dist/server.js over stdio) and registers
 * the commands, the summary view and the status bar item. Everything about the language is the
 * server's; this file only wires.
 */
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { formatMarkdown } from '../../server/src/analysis/summary.js';
import { SHOW_SUMMARY_COMMAND, type SummaryParams } from '../../server/src/protocol.js';
import { channelLog } from './run/log.js';
import { COMPARE_NETWORKS_COMMAND, ComparePanel } from './comparePanel.js';
import { registerInteropCommands } from './interop.js';
import { registerExportPytorch } from './exportPytorch.js';
import { registerRunCommands } from './run/index.js';
import { WorkerClient } from './run/workerClient.js';
import { NetworkStatus } from './statusBar.js';
import { fetchNetwork, SummaryPanel } from './summaryPanel.js';

let client: LanguageClient | undefined;

/** Which document and network a command is about: its arguments, else the active editor's cursor. */
function commandTarget(uriArg?: unknown, network?: unknown): { uri: string; params: SummaryParams } | undefined {
  const editor = vscode.window.activeTextEditor;
  const uri = typeof uriArg === 'string' ? uriArg : uriArg instanceof vscode.Uri ? uriArg.toString() : editor?.document.uri.toString();
  if (!uri) return undefined;
  if (typeof network === 'string') return { uri, params: { uri, network } };
  const position = editor && editor.document.uri.toString() === uri ? editor.selection.active : undefined;
  return { uri, params: position ? { uri, position: { line: position.line, character: position.character } } : { uri } };
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.stdio },
    debug: { module: serverModule, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'cnn', scheme: 'file' }, { language: 'cnn', scheme: 'untitled' }],
  };
  const c = new LanguageClient('cnnLab', 'CNN Lab', serverOptions, clientOptions);
  client = c;
  const panel = new SummaryPanel(c);
  context.subscriptions.push(
    panel,
    vscode.commands.registerCommand(SHOW_SUMMARY_COMMAND, async (uriArg?: unknown, network?: unknown) => {
      const t = commandTarget(uriArg, network);
      if (t) await panel.show(t.uri, t.params);
    }),
    vscode.commands.registerCommand('cnnLab.copySummaryMarkdown', async (uriArg?: unknown, network?: unknown) => {
      const t = commandTarget(uriArg, network);
      const n = t && await fetchNetwork(c, t.params);
      if (!n) {
        void vscode.window.showInformationMessage('CNN Lab: no network here to summarise.');
        return;
      }
      await vscode.env.clipboard.writeText(formatMarkdown(n));
      vscode.window.setStatusBarMessage(`CNN Lab: summary of ${n.name} copied as Markdown`, 3000);
    }),
    vscode.commands.registerCommand('cnnLab.restartServer', () => c.restart()),
  );
  const compare = new ComparePanel(c, context.extensionUri);
  context.subscriptions.push(
    compare,
    vscode.commands.registerCommand(COMPARE_NETWORKS_COMMAND, async (uriArg?: unknown) => {
      const t = commandTarget(uriArg);
      if (t) await compare.show(t.uri);
    }),
  );
  // Runs log into the language client's "CNN Lab" output channel, beside the server's messages.
  const log = channelLog(c.outputChannel);
  // The run worker (dist/worker.js) analyses for runs off the extension host's thread. Exports and imports
  // get a worker of their own, started by each command and stopped after it: a VGG16 export holds its
  // worker for a second, which must neither delay the panel's queries nor be stopped with a cancelled run.
  const worker = new WorkerClient(context.asAbsolutePath('dist/worker.js'), undefined, log);
  const interopWorker = new WorkerClient(context.asAbsolutePath('dist/worker.js'), undefined, log);
  context.subscriptions.push({ dispose: () => { worker.dispose(); interopWorker.dispose(); } });
  registerRunCommands(context, worker, log);
  registerInteropCommands(context, interopWorker);
  registerExportPytorch(context, interopWorker);
  await c.start();
  context.subscriptions.push(new NetworkStatus(c), c);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
