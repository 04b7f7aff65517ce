/**
 * A language client for tests and the benchmark: spawns the built `dist/server.js --stdio` and speaks
 * JSON-RPC to it with vscode-languageserver-protocol's client side. Waiting is always for an event
 * (a published diagnostic, a response), never a sleep.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection,
  type PublishDiagnosticsParams, type ClientCapabilities, type InitializeResult,
} from 'vscode-languageserver-protocol/node';
import { repoPath } from './core.js';

/** A running server and the client end of its connection. */
export interface TestServer {
  readonly conn: ProtocolConnection;
  readonly child: ChildProcess;
  /** Messages the server logged through `window/logMessage`. */
  readonly logs: string[];
  /** What the server answered to `initialize`. */
  initializeResult?: InitializeResult;
  /** The settings the client answers `workspace/configuration` with (the `cnnLab` section); mutate freely. */
  settings: Record<string, unknown>;
  /** Resolves with the next diagnostics published for a uri that satisfy `accept` (or already published). */
  diagnostics(uri: string, accept?: (p: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams>;
  /** Opens a document and resolves with its first diagnostics. */
  open(uri: string, text: string, version?: number): Promise<PublishDiagnosticsParams>;
  /** Replaces a document's text (as one full-text change) and resolves with the diagnostics of that version. */
  replace(uri: string, text: string, version: number): Promise<PublishDiagnosticsParams>;
  /** Sends `shutdown` and `exit`, then kills the process if it is still there. */
  stop(): Promise<void>;
}

/** Capabilities of a well-equipped client (like VS Code's). */
export const FULL_CAPABILITIES: ClientCapabilities = {
  textDocument: {
    synchronization: { dynamicRegistration: false },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } },
    publishDiagnostics: { relatedInformation: true, versionSupport: true },
    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } }, isPreferredSupport: true },
    documentSymbol: { hierarchicalDocumentSymbolSupport: true },
    rename: { prepareSupport: true },
    inlayHint: {},
    semanticTokens: { requests: { full: true, range: true }, tokenTypes: [], tokenModifiers: [], formats: ['relative'] },
  },
  workspace: { configuration: true, workspaceEdit: { documentChanges: true }, didChangeConfiguration: { dynamicRegistration: false } },
};

/** The path of the built server; the tests need `npm run build` (run by `npm ci`'s prepare) first. */
export const SERVER_JS = repoPath('dist/server.js');

/** Starts the server, initialises it and returns the client. */
export async function startTestServer(options: { capabilities?: ClientCapabilities; initializationOptions?: unknown } = {}): Promise<TestServer> {
  if (!existsSync(SERVER_JS)) throw new Error(`${SERVER_JS} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [SERVER_JS, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const logs: string[] = [];
  const latest = new Map<string, PublishDiagnosticsParams[]>();
  const waiters: { uri: string; accept: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  const server: TestServer = {
    conn, child, logs, settings: {},
    diagnostics(uri, accept = () => true) {
      const seen = latest.get(uri)?.find(accept);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ uri, accept, resolve }));
    },
    async open(uri, text, version = 1) {
      latest.delete(uri);
      const p = server.diagnostics(uri, (d) => d.version === version);
      await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'cnn', version, text } });
      return p;
    },
    async replace(uri, text, version) {
      const p = server.diagnostics(uri, (d) => d.version === version);
      await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
      return p;
    },
    async stop() {
      try {
        await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
        await conn.sendNotification('exit');
      } catch {
        // The server may already be gone.
      }
      conn.dispose();
      if (child.exitCode === null) child.kill();
    },
  };
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    // Keep the recent publications of each uri so a waiter registered late still sees them.
    const list = latest.get(p.uri) ?? [];
    list.push(p);
    if (list.length > 20) list.shift();
    latest.set(p.uri, list);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w.uri === p.uri && w.accept(p)) {
        waiters.splice(i, 1);
        w.resolve(p);
      }
    }
  });
  conn.onNotification('window/logMessage', (p: { message: string }) => {
    logs.push(p.message);
  });
  conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map(() => server.settings));
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('workspace/inlayHint/refresh', () => null);
  conn.onRequest('workspace/codeLens/refresh', () => null);
  child.on('exit', (code) => {
    if (code && code !== 0) process.stderr.write(`server exited with ${code}: ${stderr.join('')}\n`);
  });
  conn.listen();
  server.initializeResult = await conn.sendRequest<InitializeResult>('initialize', {
    processId: process.pid, rootUri: null, workspaceFolders: null,
    capabilities: options.capabilities ?? FULL_CAPABILITIES,
    initializationOptions: options.initializationOptions,
  });
  await conn.sendNotification('initialized', {});
  return server;
}

/** A file URI for a test document. */
export const testUri = (name: string): string => `file:///test/${name}`;
