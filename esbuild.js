// Bundles the CLI, the language server and the VS Code client into dist/.
// The package is ESM ("type": "module") because chevrotain is ESM-only; the bundles are CommonJS so
// VS Code's extension host can require them, hence the small package.json written into dist/.
import * as esbuild from 'esbuild';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';

const watch = process.argv.includes('--watch');
mkdirSync('dist', { recursive: true });
writeFileSync('dist/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');

/** One bundle per entry point; vscode is provided by the editor at run time. */
const entries = [
  { in: 'server/src/cli.ts', out: 'dist/cli.js', banner: '#!/usr/bin/env node' },
  { in: 'server/src/server.ts', out: 'dist/server.js' },
  { in: 'client/src/extension.ts', out: 'dist/extension.js' },
  // The run worker the extension starts with worker_threads (engine off the extension host's thread).
  { in: 'server/src/run/worker.ts', out: 'dist/worker.js' },
  // The feature-map webview's script (a browser IIFE); its CSS import becomes dist/webview.css.
  { in: 'client/src/webview/featureMaps.ts', out: 'dist/webview.js', browser: true },
  // The comparison view's script ("CNN Lab: Compare Networks").
  { in: 'client/src/webview/compare.ts', out: 'dist/compare.js', browser: true },
  // The integration suite (test/vscode/), mocha included: loaded by @vscode/test-electron as
  // extensionTestsPath and by the e2e runner extension; .vscodeignore keeps it out of the .vsix.
  // Mocha's parallel mode (unused) resolves its worker files by path: esbuild's warning about it is silenced.
  { in: 'test/vscode/suite/index.ts', out: 'dist/test/vscode/suite.js', quiet: ['require-resolve-not-external'] },
];

const contexts = await Promise.all(entries.map((e) => esbuild.context({
  entryPoints: [e.in],
  outfile: e.out,
  bundle: true,
  platform: e.browser ? 'browser' : 'node',
  format: e.browser ? 'iife' : 'cjs',
  target: e.browser ? 'es2022' : 'node20',
  sourcemap: true,
  // Smaller bundles (the .vsix and the extension host's start-up) with names kept for readable stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  external: ['vscode'],
  banner: e.banner ? { js: e.banner } : undefined,
  logLevel: 'warning',
  // load-wasm.ts reads import.meta.url only when run from source; the bundles use __dirname.
  logOverride: { 'empty-import-meta': 'silent', ...Object.fromEntries((e.quiet ?? []).map((w) => [w, 'silent'])) },
})));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  chmodSync('dist/cli.js', 0o755);
}
// The engine's WebAssembly SIMD kernels: hand-written WAT assembled into dist/cnnlab-simd.wasm.
const { buildKernels } = await import('./server/src/engine/simd/build-wasm.mjs');
await buildKernels();
