/**
 * The server's wiring: documents, the per-version analysis cache, settings, and one handler per LSP
 * feature, each run through `runSafe` so an exception becomes a logged error and an empty result.
 * The features themselves live one per file beside this one and never touch the connection.
 */
import {
  CodeActionKind, DidChangeConfigurationNotification, TextDocuments, TextDocumentSyncKind,
  type CancellationToken, type ClientCapabilities, type Connection, type InitializeResult,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis } from '../analysis/analyze.js';
import {
  compareRequest, networkAtRequest, statsRequest, summaryRequest,
  type CompareParams, type InitializationOptions, type NetworkAtParams, type StatsResult, type SummaryParams,
} from '../protocol.js';
import { AnalysisCache } from './cache.js';
import { codeActions, type EditTarget } from './codeActions.js';
import { codeLenses } from './codeLens.js';
import { compare } from './compare.js';
import { completion, type CompletionCapabilities } from './completion.js';
import { toOffset } from './convert.js';
import { diagnostics } from './diagnostics.js';
import { foldingRanges } from './folding.js';
import { formatting } from './formatting.js';
import { hover } from './hover.js';
import { inlayHints } from './inlayHints.js';
import { definition, prepareRename, references, rename } from './names.js';
import { runSafe, runSafeNotification } from './runSafe.js';
import { LEGEND, semanticTokens } from './semanticTokens.js';
import { SettingsStore } from './settings.js';
import { networkAt, summary } from './summary.js';
import { documentSymbols, SYMBOL_LIMIT } from './symbols.js';

/** What the client told us it can do, reduced to the answers the features need. */
interface ClientAbilities {
  readonly completion: CompletionCapabilities;
  readonly documentChanges: boolean;
  readonly configuration: boolean;
  readonly dynamicConfiguration: boolean;
  readonly inlayHintRefresh: boolean;
  readonly codeLensRefresh: boolean;
}

function readAbilities(c: ClientCapabilities): ClientAbilities {
  const item = c.textDocument?.completion?.completionItem;
  return {
    completion: { snippets: !!item?.snippetSupport, markdown: !!item?.documentationFormat?.includes('markdown') },
    documentChanges: !!c.workspace?.workspaceEdit?.documentChanges,
    configuration: !!c.workspace?.configuration,
    dynamicConfiguration: !!c.workspace?.didChangeConfiguration?.dynamicRegistration,
    inlayHintRefresh: !!c.workspace?.inlayHint?.refreshSupport,
    codeLensRefresh: !!c.workspace?.codeLens?.refreshSupport,
  };
}

/** The capabilities the server announces. */
function serverCapabilities(): InitializeResult['capabilities'] {
  return {
    textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
    hoverProvider: true,
    completionProvider: { triggerCharacters: [' '], resolveProvider: false },
    inlayHintProvider: true,
    codeLensProvider: { resolveProvider: false },
    codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
    documentSymbolProvider: true,
    foldingRangeProvider: true,
    semanticTokensProvider: { legend: LEGEND, full: true, range: true },
    documentFormattingProvider: true,
    documentRangeFormattingProvider: true,
    definitionProvider: true,
    referencesProvider: true,
    renameProvider: { prepareProvider: true },
  };
}

/** Starts serving the language on a connection (which the caller created for its transport). */
export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const cache = new AnalysisCache();
  const log = connection.console;
  let abilities: ClientAbilities = readAbilities({});
  let settings = new SettingsStore(connection, false);

  connection.onInitialize((params) => {
    abilities = readAbilities(params.capabilities);
    const init = (params.initializationOptions ?? {}) as InitializationOptions;
    settings = new SettingsStore(connection, abilities.configuration, init.settings);
    return { capabilities: serverCapabilities(), serverInfo: { name: 'cnn-lab' } };
  });

  connection.onInitialized(() => {
    if (abilities.dynamicConfiguration) {
      connection.client.register(DidChangeConfigurationNotification.type, { section: 'cnnLab' })
        .catch((e: unknown) => log.warn(`could not register for configuration changes: ${String(e)}`));
    }
  });

  // Diagnostics are pushed once per version. The connection handles one queued message per turn of
  // the event loop, so waiting two turns lets edits that are already queued (a burst of keystrokes,
  // or those that arrived during a long analysis) land first: only the newest version is analysed.
  const pending = new Map<string, NodeJS.Immediate>();
  /** Documents whose outline was cut at SYMBOL_LIMIT (said once in the log). */
  const truncatedOutlines = new Set<string>();
  const schedule = (uri: string) => {
    const old = pending.get(uri);
    if (old) clearImmediate(old);
    pending.set(uri, setImmediate(() => {
      pending.set(uri, setImmediate(() => {
        pending.delete(uri);
        runSafeNotification(log, 'diagnostics', () => publish(uri));
      }));
    }));
  };
  const publish = async (uri: string) => {
    const doc = documents.get(uri);
    if (!doc) return;
    const s = await settings.get(uri);
    const now = documents.get(uri);
    if (!now || now.version !== doc.version) return; // a newer version has been scheduled
    connection.sendDiagnostics({ uri, version: now.version, diagnostics: diagnostics(cache.get(now), uri, s) });
  };

  documents.onDidChangeContent((e) => schedule(e.document.uri));
  documents.onDidClose((e) => {
    const uri = e.document.uri;
    const p = pending.get(uri);
    if (p) clearImmediate(p);
    pending.delete(uri);
    cache.delete(uri);
    settings.forget(uri);
    truncatedOutlines.delete(uri);
    connection.sendDiagnostics({ uri, diagnostics: [] });
  });

  connection.onDidChangeConfiguration((params) => runSafeNotification(log, 'configuration', () => {
    settings.changed(params.settings);
    for (const doc of documents.all()) schedule(doc.uri);
    if (abilities.inlayHintRefresh) connection.languages.inlayHint.refresh().catch(() => undefined);
    if (abilities.codeLensRefresh) connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
  }));

  /** Runs a document request safely on the analysis of the document's current version. */
  const onDocument = <R, E>(name: string, uri: string | undefined, token: CancellationToken, empty: E, fn: (a: Analysis, doc: TextDocument) => R | Promise<R>) =>
    runSafe(log, name, token, empty, () => {
      const doc = uri === undefined ? undefined : documents.get(uri);
      return doc ? fn(cache.get(doc), doc) : empty;
    });
  const target = (doc: TextDocument): EditTarget => ({ uri: doc.uri, version: doc.version, documentChanges: abilities.documentChanges });

  connection.onHover((p, token) => onDocument('hover', p?.textDocument?.uri, token, null, (a) => hover(a, toOffset(a.lines, p.position))));

  connection.onCompletion((p, token) => onDocument('completion', p?.textDocument?.uri, token, [],
    (a) => completion(a, toOffset(a.lines, p.position), abilities.completion)));

  connection.languages.inlayHint.on((p, token) => onDocument('inlayHint', p?.textDocument?.uri, token, [], async (a, doc) => {
    const s = await settings.get(doc.uri);
    return inlayHints(a, p.range, s.inlayHints, token);
  }));

  connection.onCodeLens((p, token) => onDocument('codeLens', p?.textDocument?.uri, token, [], async (a, doc) => {
    const s = await settings.get(doc.uri);
    return s.codeLens.enabled ? codeLenses(a, doc.uri) : [];
  }));

  connection.onCodeAction((p, token) => onDocument('codeAction', p?.textDocument?.uri, token, [], async (a, doc) => {
    const s = await settings.get(doc.uri);
    const span = { start: toOffset(a.lines, p.range.start), end: toOffset(a.lines, p.range.end) };
    return codeActions(a, span, target(doc), s, p.context.only);
  }));

  connection.onDocumentSymbol((p, token) => onDocument('documentSymbol', p?.textDocument?.uri, token, [], (a, doc) => {
    const { symbols, truncated } = documentSymbols(a, token);
    if (truncated && !truncatedOutlines.has(doc.uri)) {
      truncatedOutlines.add(doc.uri);
      log.info(`outline of ${doc.uri} limited to ${SYMBOL_LIMIT} items (${truncated} lines left out)`);
    }
    return symbols;
  }));

  connection.onFoldingRanges((p, token) => onDocument('foldingRange', p?.textDocument?.uri, token, [], (a) => foldingRanges(a)));

  connection.languages.semanticTokens.on((p, token) => onDocument('semanticTokens', p?.textDocument?.uri, token, { data: [] },
    (a) => semanticTokens(a, undefined, token)));
  connection.languages.semanticTokens.onRange((p, token) => onDocument('semanticTokens/range', p?.textDocument?.uri, token, { data: [] },
    (a) => semanticTokens(a, { from: p.range.start.line, to: p.range.end.line }, token)));

  connection.onDocumentFormatting((p, token) => onDocument('formatting', p?.textDocument?.uri, token, [], (a) => formatting(a, p.options, undefined, token)));
  connection.onDocumentRangeFormatting((p, token) => onDocument('rangeFormatting', p?.textDocument?.uri, token, [],
    (a) => formatting(a, p.options, { from: p.range.start.line, to: p.range.end.line }, token)));

  connection.onDefinition((p, token) => onDocument('definition', p?.textDocument?.uri, token, null,
    (a, doc) => definition(a, doc.uri, toOffset(a.lines, p.position))));
  connection.onReferences((p, token) => onDocument('references', p?.textDocument?.uri, token, [],
    (a, doc) => references(a, doc.uri, toOffset(a.lines, p.position), p.context.includeDeclaration)));
  connection.onPrepareRename((p, token) => onDocument('prepareRename', p?.textDocument?.uri, token, null,
    (a) => prepareRename(a, toOffset(a.lines, p.position))));
  connection.onRenameRequest((p, token) => onDocument('rename', p?.textDocument?.uri, token, null,
    (a, doc) => rename(a, target(doc), toOffset(a.lines, p.position), p.newName)));

  connection.onRequest(summaryRequest.method, (p: SummaryParams, token: CancellationToken) =>
    onDocument(summaryRequest.method, p?.uri, token, null, (a) => summary(a, p.network, p.position)));
  connection.onRequest(networkAtRequest.method, (p: NetworkAtParams, token: CancellationToken) =>
    onDocument(networkAtRequest.method, p?.uri, token, null, (a) => networkAt(a, p.position)));
  connection.onRequest(compareRequest.method, (p: CompareParams, token: CancellationToken) =>
    onDocument(compareRequest.method, p?.uri, token, null, (a) => compare(a)));
  connection.onRequest(statsRequest.method, (_p: unknown, token: CancellationToken) =>
    runSafe(log, statsRequest.method, token, null, (): StatsResult => {
      const m = process.memoryUsage();
      return {
        memory: { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers },
        documents: documents.all().length,
        analyses: cache.analyses,
        lastAnalysisMs: cache.lastDuration,
      };
    }));

  documents.listen(connection);
  connection.listen();
}
