/**
 * The CNN Lab language server's entry point: `node dist/server.js --stdio` (or --node-ipc, --socket=N,
 * --pipe=NAME). It only creates the connection; everything else is wired by `startServer`.
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './features/start.js';
import { FrameGuard } from './frames.js';
import { tuneYoungGeneration } from './heap.js';

tuneYoungGeneration();

// Without a transport argument, serve over stdio: the common case for editors other than VS Code.
// On stdio the frames pass a guard first, so a malformed one is dropped instead of silencing the reader.
const otherTransport = process.argv.some((a) => /^--(node-ipc|socket|pipe)/.test(a));
const connection = otherTransport
  ? createConnection(ProposedFeatures.all)
  : createConnection(ProposedFeatures.all, process.stdin.pipe(new FrameGuard((m) => process.stderr.write(`cnn-lab: ${m}\n`))), process.stdout);

startServer(connection);
