/**
 * The CNN Lab language server's entry point: `node dist/server.js --stdio` (or --node-ipc, --socket=N,
 * --pipe=NAME). It only creates the connection; everything else is wired by `startServer`.
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './features/start.js';
import { tuneYoungGeneration } from './heap.js';

tuneYoungGeneration();

// Without a transport argument, serve over stdio: the common case for editors other than VS Code.
const hasTransport = process.argv.some((a) => /^--(stdio|node-ipc|socket|pipe)/.test(a));
const connection = hasTransport
  ? createConnection(ProposedFeatures.all)
  : createConnection(ProposedFeatures.all, process.stdin, process.stdout);

startServer(connection);
